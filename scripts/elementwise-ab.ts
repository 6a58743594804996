// A/B timing of the bandwidth-bound kernels (reparameterize forward/backward, the ELBO's serial
// per-example pass, bias_grad's serial schedule) between the shaders of a git revision (A, read with
// `git show REV:shaders/...`, its lib/ includes too) and the working tree (B), interleaved A, B, A,
// B... in one process on one device, each beside the copy kernel moving the same bytes
// (bench/shaders/copy.wgsl, the suite's ceiling).
//   node scripts/build-node.mjs scripts/elementwise-ab.ts dist/bench/elementwise-ab.mjs
//   node dist/bench/elementwise-ab.mjs --base <rev> [--driver lavapipe|swiftshader] [--rounds 4] [--batches 128,2048]
//     [--kernels reparam,elbo,bias,objectives]
// `objectives` times the working tree's ELBO and IWAE objective (both dispatches) under each
// reduction schedule (serial, tree, subgroup where the device has it), alternating, not A against B.
// A's dispatch grid is B's (the wrapper's) unless given: `--base-per-invocation N` for reparameterize
// (elements per invocation at A: 4 since the four-normals stream, commit d03d223; 1 before) and
// `--base-bias-cols N` for bias_grad's serial schedule (columns per 64-wide workgroup at A: 64).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import copySource from '../bench/shaders/copy.wgsl?raw';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime, type Dispatch, encodeDispatches } from '../src/gpu/runtime';
import type { KernelDecl } from '../src/gpu/kernel';
import { composeShader } from '../src/gpu/compose';
import { SHADER_LIBRARY } from '../src/kernels/shader-lib';
import { storageBuffer, storageFrom } from '../src/gpu/buffers';
import { REPARAMETERIZE, prepareReparameterize } from '../src/kernels/reparameterize';
import { ELBO, prepareElbo } from '../src/kernels/elbo';
import { BIAS_GRAD, prepareBiasGrad } from '../src/kernels/bias-grad';
import { activationCode } from '../src/kernels/activation';
import { hasSubgroups } from '../src/kernels/bias-grad';
import { prepareIwaeObjective } from '../src/kernels/iwae-objective';
import { sample, type SampleOptions } from '../bench/timing';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    driver: { type: 'string' },
    rounds: { type: 'string' },
    batches: { type: 'string' },
    'base-per-invocation': { type: 'string' },
    'base-bias-cols': { type: 'string' },
    kernels: { type: 'string' },
  },
});
const base = values.base ?? 'HEAD';
const rounds = Number(values.rounds ?? 4);
const batches = (values.batches ?? '128,2048').split(',').map(Number);
const basePer = values['base-per-invocation'] === undefined ? undefined : Number(values['base-per-invocation']);
const baseBiasCols = values['base-bias-cols'] === undefined ? undefined : Number(values['base-bias-cols']);
const kernels = (values.kernels ?? 'reparam,elbo,bias').split(',');
const show = (path: string) => execFileSync('git', ['show', `${base}:${path}`], { encoding: 'utf8' });
const tryShow = (path: string) => { try { return execFileSync('git', ['show', `${base}:${path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return undefined; } };
const tryRead = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return undefined; } };

const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const device = ctx.device;
const rt = Runtime.forContext(ctx);
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; A = ${base} (${execFileSync('git', ['rev-parse', '--short', base], { encoding: 'utf8' }).trim()}), B = working tree`);

// Both sides' shaders (and their lib/ includes) are read when this runs, not bundled, so a rebuild
// is never forgotten; the bundled wrappers give only buffers, bind groups and B's dispatch grid.
const libAt = (read: (p: string) => string | undefined) =>
  Object.fromEntries(Object.keys(SHADER_LIBRARY).flatMap((k) => { const t = read(`shaders/${k}.wgsl`); return t === undefined ? [] : [[k, t]]; }));
const LIB_A = libAt(tryShow), LIB_B = libAt(tryRead);
// lib/tile_precision is an alias (of lib/tile_f32), not a file: both sides take the bundled one.
for (const lib of [LIB_A, LIB_B]) lib['lib/tile_precision'] = SHADER_LIBRARY['lib/tile_precision'];
// lib/workgroup_reduce is lib/reduce_tree's text (where the revision has it).
for (const [lib, read] of [[LIB_A, tryShow], [LIB_B, tryRead]] as const) { const t = read('shaders/lib/reduce_tree.wgsl'); if (t !== undefined) lib['lib/workgroup_reduce'] = t; }
const side = (decl: KernelDecl, file: string, tag: 'A' | 'B'): KernelDecl => ({
  ...decl, name: `${decl.name}@${tag}`,
  source: composeShader(file, tag === 'A' ? show(`shaders/${file}.wgsl`) : readFileSync(`shaders/${file}.wgsl`, 'utf8'), tag === 'A' ? LIB_A : LIB_B),
});
const COPY: KernelDecl = {
  name: 'bench/copy', source: copySource, entryPoints: ['main'],
  bindings: [{ binding: 0, name: 'src', type: 'read-only-storage' }, { binding: 1, name: 'dst', type: 'storage' }],
  overrides: ['PER'], workgroupSize: [256, 1],
};

const OPTS: SampleOptions = { warmup: 2, minRuns: 5, maxRuns: 9, budgetMs: 300, sampleMs: 25 };

function runner(dispatches: readonly Dispatch[]) {
  return async (inner: number) => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < inner; i++) encodeDispatches(pass, dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return { wallMs: performance.now() - start };
  };
}

let seed = 1;
function filled(n: number, lo = -1, hi = 1): GPUBuffer {
  let s = (seed++ * 2654435761) >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return storageFrom(device, a, 'ab input');
}

/** The copy kernel moving `bytes` (read + write), the better of 1 and 8 vec4s per invocation. */
function copyDispatches(bytes: number): { d: Dispatch[]; destroy(): void } {
  const vec4s = Math.max(1, Math.ceil(bytes / 2 / 16));
  const src = filled(vec4s * 4), dst = storageBuffer(device, vec4s * 4, 'copy dst');
  const d = [1, 8].map((per) => ({
    label: `copy per ${per}`, pipeline: rt.pipeline(COPY, 'main', { PER: per }),
    bindGroup: rt.bindGroup(COPY, { src, dst }), workgroups: rt.grid(Math.ceil(vec4s / (256 * per))),
  }));
  return { d, destroy: () => { src.destroy(); dst.destroy(); } };
}

interface Case { name: string; bytes: number; a: Dispatch; b: Dispatch }

async function measure(c: Case, copy: Dispatch[]) {
  const t = { a: [] as number[], b: [] as number[], copy: [] as number[] };
  // The fastest sample of each side too: on a shared machine, the one least disturbed.
  const low = { a: Infinity, b: Infinity, copy: Infinity };
  for (let r = 0; r < rounds; r++) {
    for (const k of ['a', 'b'] as const) {
      const w = (await sample(runner([c[k]]), OPTS)).wall;
      t[k].push(w.median);
      low[k] = Math.min(low[k], w.min);
    }
    let best = Infinity;
    for (const d of copy) {
      const w = (await sample(runner([d]), OPTS)).wall;
      best = Math.min(best, w.median);
      low.copy = Math.min(low.copy, w.min);
    }
    t.copy.push(best);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const ratios = t.a.map((a, i) => a / t.b[i]);
  const gb = (ms: number) => c.bytes / (ms * 1e6);
  const cg = gb(med(t.copy));
  const [ma, mb] = [med(t.a), med(t.b)];
  console.log(
    `${c.name.padEnd(34)} A ${ma.toFixed(4)} ms (${((100 * gb(ma)) / cg).toFixed(0)}% of copy) | ` +
    `B ${mb.toFixed(4)} ms (${((100 * gb(mb)) / cg).toFixed(0)}%) | copy ${med(t.copy).toFixed(4)} ms ${cg.toFixed(2)} GB/s | ` +
    `A/B per round ${ratios.map((x) => x.toFixed(2)).join(' ')} | fastest A ${low.a.toFixed(4)} B ${low.b.toFixed(4)} copy ${low.copy.toFixed(4)} ms ` +
    `(${((100 * low.copy) / low.a).toFixed(0)}% / ${((100 * low.copy) / low.b).toFixed(0)}% of copy)`,
  );
}

const Z = 20, D = 784, H = 400;

async function reparam(B: number) {
  const count = B * Z;
  const stats = filled(2 * count), z = storageBuffer(device, count, 'z'), dz = filled(count), dstats = filled(2 * count);
  const r = prepareReparameterize(rt, { batch: B, latent: Z }, { stats, z, dz, dstats }, { seed: 1, stream: 0 });
  const [ra, rb] = [side(REPARAMETERIZE, 'reparameterize', 'A'), side(REPARAMETERIZE, 'reparameterize', 'B')];
  const aGrid = (d: Dispatch) => (basePer ? rt.grid(Math.ceil(count / basePer / 256)) : d.workgroups);
  const at = (d: Dispatch, k: KernelDecl, entry: string, grid = d.workgroups): Dispatch => ({ ...d, pipeline: rt.pipeline(k, entry), workgroups: grid });
  for (const [name, bytes, d, entry] of [
    [`reparam fwd B=${B} Z=${Z}`, 12 * count, r.forward, 'forward'],
    [`reparam bwd B=${B} Z=${Z}`, 24 * count, r.backward!, 'backward'],
  ] as const) {
    const copy = copyDispatches(bytes);
    await measure({ name, bytes, a: at(d, ra, entry, aGrid(d)), b: at(d, rb, entry) }, copy.d);
    copy.destroy();
  }
  r.destroy();
  [stats, z, dz, dstats].forEach((x) => x.destroy());
}

async function elbo(B: number) {
  const logits = filled(B * D, -4, 4), x = filled(B * D, 0, 1), st = filled(2 * B * Z);
  const dlogits = storageBuffer(device, B * D, 'dlogits'), dst = storageBuffer(device, 2 * B * Z, 'dstats');
  const terms = storageBuffer(device, 2 * B, 'terms'), loss = storageBuffer(device, 4, 'loss'), totals = storageBuffer(device, 4, 'totals');
  const e = prepareElbo(rt, { batch: B, dim: D, latent: Z, schedule: 'serial' }, { logits, x, stats: st, dlogits, dstats: dst, perExample: terms, loss, totals });
  const bytes = 4 * (3 * B * D + 4 * B * Z + 2 * B);
  const d = e.dispatches[0];
  const copy = copyDispatches(bytes);
  const [ea, eb] = [side(ELBO, 'elbo', 'A'), side(ELBO, 'elbo', 'B')];
  await measure({
    name: `elbo per_example_serial B=${B} D=${D}`, bytes,
    a: { ...d, pipeline: rt.pipeline(ea, 'per_example_serial', { GAUSSIAN: false }) },
    b: { ...d, pipeline: rt.pipeline(eb, 'per_example_serial', { GAUSSIAN: false }) },
  }, copy.d);
  copy.destroy();
  e.destroy();
  [logits, x, st, dlogits, dst, terms, loss, totals].forEach((t) => t.destroy());
}

async function bias(B: number) {
  const [ba, bb] = [side(BIAS_GRAD, 'bias_grad', 'A'), side(BIAS_GRAD, 'bias_grad', 'B')];
  for (const [cols, act] of [[H, 'relu'], [D, 'identity']] as const) {
    const dY = filled(B * cols), y = filled(B * cols, 0, 1), dPre = storageBuffer(device, B * cols, 'dPre'), dBias = storageBuffer(device, cols, 'dBias');
    const op = prepareBiasGrad(rt, { rows: B, cols, activation: act, schedule: 'serial' }, { dY, y, dPre: act === 'identity' ? undefined : dPre, dBias });
    const d = op.dispatches[0];
    const bytes = 4 * ((act === 'identity' ? 1 : 3) * B * cols + cols);
    const copy = copyDispatches(bytes);
    const ACT = activationCode(act);
    await measure({
      name: `bias_grad serial ${B}×${cols} ${act}`, bytes,
      a: { ...d, pipeline: rt.pipeline(ba, 'main_serial', { ACT }), workgroups: baseBiasCols ? rt.grid(Math.ceil(cols / baseBiasCols)) : d.workgroups },
      b: { ...d, pipeline: rt.pipeline(bb, 'main_serial', { ACT }) },
    }, copy.d);
    copy.destroy();
    op.destroy();
    [dY, y, dPre, dBias].forEach((t) => t.destroy());
  }
}

/** Each schedule's dispatches, alternating over the rounds; medians and the fastest sample. */
async function schedules(name: string, make: (schedule: 'serial' | 'tree' | 'subgroup') => { dispatches: Dispatch[]; destroy(): void }) {
  const names = ['serial', 'tree', ...(hasSubgroups(rt) ? ['subgroup' as const] : [])] as const;
  const ops = names.map((n) => make(n));
  const t = names.map(() => [] as number[]), low = names.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const w = (await sample(runner(ops[i].dispatches), OPTS)).wall;
      t[i].push(w.median);
      low[i] = Math.min(low[i], w.min);
    }
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  console.log(`${name.padEnd(34)} ${names.map((n, i) => `${n} ${med(t[i]).toFixed(4)} ms (fastest ${low[i].toFixed(4)})`).join(' | ')}`);
  ops.forEach((o) => o.destroy());
}

async function objectives(B: number) {
  const K = 5;
  const logits = filled(B * K * D, -4, 4), x = filled(B * D, 0, 1), st = filled(2 * B * Z), eps = filled(B * K * Z);
  const dlogits = storageBuffer(device, B * K * D, 'dlogits'), dst = storageBuffer(device, 2 * B * Z, 'dstats'), weights = storageBuffer(device, B * K, 'weights');
  const terms = storageBuffer(device, 4 * B, 'terms'), loss = storageBuffer(device, 4, 'loss'), totals = storageBuffer(device, 4, 'totals');
  await schedules(`elbo (fused) B=${B} D=${D}`, (schedule) => prepareElbo(rt, { batch: B, dim: D, latent: Z, schedule }, { logits, x, stats: st, dlogits, dstats: dst, perExample: terms, loss, totals }));
  await schedules(`iwae_objective B=${B} k=${K} D=${D}`, (schedule) => prepareIwaeObjective(rt, { batch: B, samples: K, dim: D, latent: Z, schedule }, { logits, x, stats: st, eps, dlogits, weights, perExample: terms, loss, totals }));
  [logits, x, st, eps, dlogits, dst, weights, terms, loss, totals].forEach((b) => b.destroy());
}

for (const B of batches) {
  if (kernels.includes('objectives')) await objectives(B);
  if (kernels.includes('reparam')) await reparam(B);
  if (kernels.includes('elbo')) await elbo(B);
  if (kernels.includes('bias')) await bias(B);
}
rt.destroy();
ctx.destroy();
