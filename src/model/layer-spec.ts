// A layer's description in a model's layer list (the type lives with the shared words, src/base/words.ts).
export type { LayerSpec } from '../base/words';
