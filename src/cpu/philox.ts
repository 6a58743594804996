// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// Gaussian noise drawn from it: the CPU side of the counter-based stream the reparameterize shader
// uses (four normals per Philox call). ε(seed, step, stream, i) is a pure function, so the CPU can
// replay any GPU step.
import { seedKey } from '../base/words';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  // Each partial product is < 2^32 and their sums stay below 2^53: exact in doubles.
  const mid = (al * bl) / 65536 + (al * bh) + (ah * bl);
  return (ah * bh + Math.floor(mid / 65536)) >>> 0;
}

export function philox4x32(counter: readonly number[], key: readonly number[], rounds = 10): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let r = 0; r < rounds; r++) {
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The top 24 bits as a uniform in (0, 1), centred in its bucket so it is never 0 or 1. */
export function unitInterval(x: number): number {
  return ((x >>> 8) + 0.5) / 16777216;
}

/** The top 23 bits as a uniform in (0, 1), centred: Box–Muller's input, exact in float32 (the shader's). */
export function unitInterval23(x: number): number {
  return ((x >>> 9) + 0.5) / 8388608;
}

export { seedKey };

/**
 * The four standard normals of group g: Box–Muller on Philox words (r0, r1) gives
 * R·cos 2πt, R·sin 2πt with R = √(−2 ln u(r0)), t = u(r1), u = unitInterval23; (r2, r3) gives
 * the other two.
 * Counter (g, step, stream, 0), key (seed low and high 32 bits).
 */
export function gaussianGroup(seed: number, step: number, stream: number, group: number): [number, number, number, number] {
  const r = philox4x32([group, step, stream, 0], seedKey(seed));
  const r1 = Math.sqrt(-2 * Math.log(unitInterval23(r[0]))), t1 = 2 * Math.PI * unitInterval23(r[1]);
  const r2 = Math.sqrt(-2 * Math.log(unitInterval23(r[2]))), t2 = 2 * Math.PI * unitInterval23(r[3]);
  return [r1 * Math.cos(t1), r1 * Math.sin(t1), r2 * Math.cos(t2), r2 * Math.sin(t2)];
}

/** Standard normal ε for element `index` = 4g + q of `step`: normal q of group g (see gaussianGroup). */
export function gaussianNoise(seed: number, step: number, stream: number, index: number): number {
  return gaussianGroup(seed, step, stream, Math.floor(index / 4))[index % 4];
}
