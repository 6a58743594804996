// The tinted-digit colour set: each embedded 28×28 digit tinted with a colour and placed at a seeded
// offset on a 32×32 background of another colour (hues apart, one light and one dark), as 8-bit
// RGB with the digit's label. Every random choice comes from Philox(seed, image index), so the same
// seed gives the same bytes on any machine. Pure and browser-safe; scripts/make-tinted-digits.ts
// writes it out as PNG folders, .npy / .npz and CIFAR batches.
import { philox4x32, seedKey } from '../cpu/philox';
import type { Dataset } from './dataset';
import { makeImageSet, type ImageSet } from './image-set';

export const TINTED_SIDE = 32;
/** The Philox stream tag of the tinting ('TINT'), apart from every training stream. */
const TINT_STREAM = 0x54494e54;

/** HSV (each in [0, 1]) to RGB in [0, 1]. */
function hsv(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6, f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[i]!.slice() as [number, number, number];
}

/**
 * `count` tinted images from `digits` (28×28 gray, values in [0, 1]; the digits in a seeded order,
 * repeated past N) with `part` (0 train, 1 test) in the counter, so the two parts draw differently.
 */
export function tintDigits(digits: Dataset, count: number, seed: number, part = 0): ImageSet {
  if (digits.rows !== 28 || digits.cols !== 28) throw new Error(`tintDigits: digits are ${digits.rows}×${digits.cols}; expected 28×28`);
  const key = seedKey(seed), S = TINTED_SIDE, D = S * S * 3, N = digits.count;
  // A seeded shuffle of the digits (the embedded set is ordered by class), image n taking order[n mod N].
  const order = Uint32Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor((philox4x32([i, part, TINT_STREAM, 2], key)[0] / 4294967296) * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const pixels = new Uint8Array(count * D), labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const r = [...philox4x32([n, part, TINT_STREAM, 0], key), ...philox4x32([n, part, TINT_STREAM, 1], key)].map((x) => x / 4294967296);
    const light = r[0]! < 0.5;
    const bgHue = r[1]!, fgHue = (bgHue + 0.25 + 0.5 * r[2]!) % 1;
    const bg = hsv(bgHue, 0.3 + 0.5 * r[3]!, light ? 0.75 + 0.25 * r[4]! : 0.1 + 0.25 * r[4]!);
    const fg = hsv(fgHue, 0.6 + 0.4 * r[5]!, light ? 0.1 + 0.3 * r[6]! : 0.75 + 0.25 * r[6]!);
    const dx = Math.floor(r[7]! * 5), dy = Math.floor((r[7]! * 5 - dx) * 5);
    const src = order[n % N]!, img = digits.images;
    labels[n] = digits.labels[src]!;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const u = x - dx, v = y - dy;
        const a = u >= 0 && u < 28 && v >= 0 && v < 28 ? img[src * 784 + v * 28 + u]! : 0;
        const o = n * D + (y * S + x) * 3;
        for (let c = 0; c < 3; c++) pixels[o + c] = Math.round(255 * (bg[c]! * (1 - a) + fg[c]! * a));
      }
    }
  }
  return makeImageSet({ count, shape: { height: S, width: S, channels: 3 }, pixels, labels, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], source: `tinted digits (seed ${seed})` });
}
