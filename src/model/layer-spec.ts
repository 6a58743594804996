// A layer's description in a model's layer list: its kind's name (an op kind the registry knows) and
// that kind's fields, e.g. { kind: 'linear', width: 400, activation: 'relu' }.
export interface LayerSpec {
  kind: string;
  /** Parameter names start with it (default `<encoder|decoder>.<index>`). */
  name?: string;
  [field: string]: unknown;
}
