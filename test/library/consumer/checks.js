// A consumer's program, the same in Node and in a page: it knows webgpu-vae only as the installed
// package. Each check returns what it saw; test/library/consumer-harness.ts judges it (a new check
// goes here and there).
import { BUILTIN_OPS, CpuVae, GpuVae, TrainingStopped, customLayer, defineLayer } from 'webgpu-vae';

const SIDE = 28;
const DIM = SIDE * SIDE;

/** A seeded data set of shapes (a disk and a bar per image, pixels 0 or 1): no data package needed. */
export function shapes(count, seed) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const images = new Float32Array(count * DIM);
  for (let n = 0; n < count; n++) {
    const cx = 7 + rand() * 14, cy = 7 + rand() * 14, r = 3 + rand() * 5, bar = Math.floor(rand() * SIDE);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const inDisk = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      images[n * DIM + y * SIDE + x] = inDisk || (y === bar && x > 3 && x < 24) ? 1 : 0;
    }
  }
  return { images, labels: new Uint8Array(count), count, rows: SIDE, cols: SIDE, dim: DIM };
}

// A layer kind of the consumer's own: y = a·x with one learned scalar a (WGSL, CPU twin, backward).
const SCALE_WGSL = /* wgsl */ `
struct Params { count: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> da: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.count) { y[gid.x] = a[0] * x[gid.x]; }
}

@compute @workgroup_size(64)
fn backward_x(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.count) { dx[gid.x] = a[0] * dy[gid.x]; }
}

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn backward_a(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var i = t; i < params.count; i += 64u) { s += x[i] * dy[i]; }
  partial[t] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w /= 2u) {
    if (t < w) { partial[t] += partial[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { da[0] = partial[0]; }
}
`;

const SCALE_KERNEL = {
  name: 'scale (consumer)', source: SCALE_WGSL, entryPoints: ['forward', 'backward_x', 'backward_a'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform' }, { binding: 1, name: 'x', type: 'read-only-storage' },
    { binding: 2, name: 'a', type: 'read-only-storage' }, { binding: 3, name: 'y', type: 'storage' },
    { binding: 4, name: 'dy', type: 'read-only-storage' }, { binding: 5, name: 'dx', type: 'storage' },
    { binding: 6, name: 'da', type: 'storage' },
  ],
  overrides: [], workgroupSize: [64, 1],
};

export const SCALE = defineLayer({
  name: 'scale',
  layer(spec, input, name) {
    if (Object.keys(spec).some((k) => k !== 'kind' && k !== 'name')) throw new Error(`layer ${name} (scale): takes no fields`);
    return { attrs: { width: input.shape.reduce((p, q) => p * q, 1) }, params: [{ role: 'a', shape: [1], fanIn: 1, init: 1 }] };
  },
  shape: (_name, a, inputs) => ({ y: { shape: [a.width], perSample: inputs.x.perSample } }),
  buffers: (op) => ({ saved: [op.inputs.x], grads: [{ tensor: op.inputs.x, phase: 'backward', mode: 'write' }], scratch: [], persistent: [], oneBindGroup: true }),
  gpu(op, ctx) {
    const count = ctx.rows(op.inputs.x) * op.attrs.width;
    const params = ctx.rt.uniform(`${op.name} params`, Uint32Array.of(count, 0, 0, 0).buffer);
    const bindGroup = ctx.rt.bindGroup(SCALE_KERNEL, {
      params, x: ctx.tensor(op.inputs.x), a: ctx.param(op.params.a), y: ctx.tensor(op.outputs.y), dy: ctx.grad(op.outputs.y),
      dx: ctx.needsGrad(op.inputs.x) ? ctx.grad(op.inputs.x) : ctx.rt.writablePlaceholder, da: ctx.paramGrad(op.params.a),
    });
    const groups = ctx.rt.grid(Math.ceil(count / 64));
    const d = (entry, workgroups) => ({ label: `${op.name} ${entry}`, pipeline: ctx.rt.pipeline(SCALE_KERNEL, entry), bindGroup, workgroups });
    return {
      forward: [d('forward', groups)],
      backward: [d('backward_a', [1, 1, 1]), ...(ctx.needsGrad(op.inputs.x) ? [d('backward_x', groups)] : [])],
      destroy: () => params.destroy(),
    };
  },
  cpuForward(op, ctx) {
    const a = ctx.param(op.params.a)[0];
    ctx.acts.set(op.outputs.y, Float64Array.from(ctx.acts.get(op.inputs.x), (v) => a * v));
  },
  cpuBackward(op, ctx) {
    const x = ctx.acts.get(op.inputs.x), dy = ctx.grads.get(op.outputs.y), a = ctx.param(op.params.a)[0];
    let da = 0;
    for (let i = 0; i < x.length; i++) da += x[i] * dy[i];
    ctx.paramGrad(op.params.a)[0] = da;
    if (ctx.needsGrad(op.inputs.x)) ctx.grads.set(op.inputs.x, Float64Array.from(dy, (v) => a * v));
  },
});

const MLP = { encoderHidden: [64], decoderHidden: [64], latent: 4, seed: 5, adam: { lr: 3e-3 } };
const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Runs every check on `runtime`; `extra` adds the platform's own (e.g. IndexedDB in a page). */
export async function runChecks(runtime, extra = {}) {
  const train = shapes(256, 1), test = shapes(64, 2);
  const out = {};
  const vae = new GpuVae(runtime, MLP, { maxBatch: 32 });

  // Trains: two epochs of fit, the test loss falls.
  const first = await vae.fit({ epochs: 2, batch: 32, train, test });
  out.trains = { epochs: first.map((m) => m.epoch), steps: vae.step, testLoss: first.map((m) => m.test.elbo) };

  // Continues: one more epoch (fit counts from where the model stands) on the model, and on a copy
  // loaded from its bytes, land on the same weights.
  const bytes = await vae.save();
  const copy = GpuVae.load(runtime, bytes, { maxBatch: 32 });
  const more = await vae.fit({ epochs: 1, batch: 32, train, test });
  const moreCopy = await copy.fit({ epochs: 1, batch: 32, train, test });
  out.continues = {
    epochs: more.map((m) => m.epoch), steps: vae.step, copySteps: copy.step, checkpointBytes: bytes.length,
    paramDiff: maxAbsDiff(await vae.readParams(), await copy.readParams()), testLoss: [more[0].test.elbo, moreCopy[0].test.elbo],
  };
  copy.dispose();

  // Aborts: a signal aborted during fit stops it with TrainingStopped at a step boundary, reason 'aborted'.
  const stop = new AbortController();
  const stepBefore = vae.step;
  try {
    await vae.fit({ epochs: 50, batch: 32, train, test, readEvery: 2, onProgress: (p) => { if (p.step >= stepBefore + 4) stop.abort(new Error('enough')); }, signal: stop.signal });
    out.aborts = { threw: false };
  } catch (e) {
    out.aborts = { threw: true, isTrainingStopped: e instanceof TrainingStopped, message: e.message, step: e.step, stepBefore, stepAfter: vae.step,
      reason: e.reason === undefined ? null : String(e.reason), cause: e.cause instanceof Error ? e.cause.message : null };
  }

  // Inference only: the weights and the forward's buffers, the same test loss, training refused.
  const lean = GpuVae.load(runtime, await vae.save(), { maxBatch: 32, inference: true });
  let trainError = null;
  try {
    await lean.fit({ epochs: 1, batch: 32, train, test });
  } catch (e) {
    trainError = e.message;
  }
  out.inference = { bytes: lean.bytes, trainingBytes: vae.bytes, testLoss: [(await vae.evaluate(test.images, 64)).loss, (await lean.evaluate(test.images, 64)).loss], trainError };
  lean.dispose();

  // 1,000 samples in one call on the maxBatch-32 model; a second call draws others, a seed repeats.
  const many = await vae.sample(1000), again = await vae.sample(1000);
  const seeded = [await vae.sample(10, { seed: 4 }), await vae.sample(10, { seed: 4 })];
  out.samples = { length: many.length, inRange: many.every((v) => v >= 0 && v <= 1), distinct: new Set(many.slice(0, 784 * 10)).size,
    callsDiffer: maxAbsDiff(many, again) > 0, seededSame: maxAbsDiff(seeded[0], seeded[1]) === 0 };

  // A custom layer: GPU against the package's own CPU reference, then saved and reloaded.
  const registry = BUILTIN_OPS.with(SCALE);
  const config = {
    latent: 4, seed: 21, adam: { lr: 3e-3 },
    encoder: [{ kind: 'linear', width: 48, activation: 'relu' }, customLayer('scale', { name: 'encoder.gain' }), { kind: 'linear', name: 'encoder.head', width: 8 }],
    decoder: [{ kind: 'linear', width: 40, activation: 'tanh' }, { kind: 'linear', name: 'decoder.out', width: 784 }],
  };
  const custom = new GpuVae(runtime, config, { maxBatch: 16, registry });
  const cpu = new CpuVae(config, undefined, registry);
  const relative = [];
  for (let step = 0; step < 8; step++) {
    const x = train.images.subarray(step * 16 * DIM, (step + 1) * 16 * DIM);
    const want = cpu.trainStep(x, 16)[0];
    custom.trainStep(x);
    relative.push(Math.abs((await custom.readLoss())[0] - want) / want);
  }
  const gain = cpu.graph.params.find((p) => p.name === 'encoder.gain.a');
  out.customLayer = {
    params: custom.graph.params.map((p) => p.name).filter((n) => n.startsWith('encoder.gain')),
    worstRelativeLoss: Math.max(...relative),
    gain: [(await custom.readParams())[gain.offset], cpu.params[gain.offset]],
  };
  // Saved and reloaded through the registry; without it the load names the kind it does not know.
  const customBytes = await custom.save();
  const reloaded = GpuVae.load(runtime, customBytes, { maxBatch: 16, registry });
  out.customLayer.reloaded = { step: reloaded.step, paramDiff: maxAbsDiff(await custom.readParams(), await reloaded.readParams()),
    testLoss: [(await custom.evaluate(test.images, 32)).loss, (await reloaded.evaluate(test.images, 32)).loss] };
  reloaded.dispose();
  try {
    GpuVae.load(runtime, customBytes, { maxBatch: 16 }).dispose();
  } catch (e) {
    out.customLayer.withoutRegistry = e.message;
  }
  custom.dispose();
  for (const [name, check] of Object.entries(extra)) out[name] = await check({ model: vae, bytes: await vae.save(), test });
  vae.dispose();
  return out;
}
