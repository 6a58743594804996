// The shape of a benchmark run's results: what the page (or the Node runner) measures, and what
// bench/run.ts adds (machine, load, targets) before writing bench-results/<date>.json and .md.
import type { TuningResult } from './tuned';
import type { AdapterSummary } from '../src/gpu/device';

/** Who ran it: this library, the TensorFlow.js peers, PyTorch on the CPU (context). */
export type Impl = 'webgpu-vae' | 'tfjs-webgpu' | 'tfjs-wasm' | 'jax-js-webgpu' | 'jax-js-wasm' | 'pytorch-cpu' | 'pytorch-cuda';

/** The peers that run on a WebGPU device (their figures are also fractions of the FMA ceiling). */
export const WEBGPU_PEERS: readonly Impl[] = ['tfjs-webgpu', 'jax-js-webgpu'];

export interface FmaConfig {
  /** 'vec4×8': 8 vec4 chains per invocation; 'f32×16': 16 scalar chains (older results: absent = vec4×8). */
  form?: string;
  workgroupSize: number;
  /** FLOP per invocation per iteration (64 or 32; absent = 64). */
  flopsPerIter?: number;
  invocations: number;
  iters: number;
  ms: number;
  gflops: number;
}

export interface CopyPoint {
  /** Bytes moved: read + written (twice the buffer size). */
  bytes: number;
  ms: number;
  gbps: number;
  /** vec4s each invocation copied in the faster of the two variants. */
  perInvocation: number;
}

export interface Ceilings {
  /** Best FMA-loop throughput over the configurations tried. */
  fmaGflops: number;
  fma: FmaConfig[];
  /** The copy kernel at each size measured (the kernels' own sizes and a large one). */
  copy: CopyPoint[];
  /** Best copy throughput over all sizes. */
  peakCopyGbps: number;
}

export interface KernelResult {
  impl: Impl;
  kind: 'matmul' | 'elementwise';
  /** e.g. 'enc.0 fwd', 'square 1024', 'adam'. */
  name: string;
  /** e.g. '128×784 · 784×400'. */
  shape: string;
  /** Transposes, fusion, schedule; e.g. 'NN +bias relu, vec4'. */
  detail: string;
  /** False for an alternative schedule of ours that the model does not use on this adapter. */
  primary: boolean;
  flops?: number;
  bytes?: number;
  /** The figure used: GPU time from timestamps when measured, else wall time. */
  ms: number;
  /** Wall time per repetition around queue completion (the method every implementation shares). */
  wallMs: number;
  gpuMs?: number;
  /** Relative median absolute deviation of the samples. */
  spread: number;
  runs: number;
  /** Repetitions per sample. */
  inner: number;
  gflops?: number;
  gbps?: number;
  /** Matmuls: GFLOP/s over the FMA ceiling. Element-wise: GB/s over the copy kernel moving the same bytes. */
  ofCeiling?: number;
  /** Element-wise: GB/s over the best copy figure at any size. */
  ofPeakCopy?: number;
  /** Ours: cold pipeline creation (shader module + pipeline, source made unique so nothing is cached). */
  compileMs?: number;
  /** Peers: the first call of this shape, waited for (their programs compile then). */
  firstUseMs?: number;
  /** Peers: max |peer − ours| / max |ours| over the output, to show the same product was timed. */
  maxRelDiff?: number;
}

export interface StepResult {
  impl: Impl;
  batch: number;
  msPerStep: number;
  examplesPerSecond: number;
  spread: number;
  runs: number;
  inner: number;
  /** First step of a fresh model, waited for: preparing passes, pipelines or programs, uploads. */
  firstStepMs?: number;
  /** The step's matmul FLOPs over its time, and that over the FMA ceiling. */
  gflops?: number;
  ofCeiling?: number;
  /** Loss (nats/example) of the first and the last step timed: both implementations train. */
  lossFirst?: number;
  lossLast?: number;
  /** tfjs: tensors alive after the run minus before (0: every step's tensors were disposed). */
  leakedTensors?: number;
  note?: string;
}

/** A peer's −ELBO on our model's weights and data with the noise at zero, against ours. */
export interface Agreement {
  impl: Impl;
  batch: number;
  ours: number;
  theirs: number;
  /** |theirs − ours| / |ours|. */
  relDiff: number;
  tolerance: number;
  ok: boolean;
}

/** One training step, dispatch by dispatch (GPU timestamps around each, one pass each). */
export interface Breakdown {
  batch: number;
  samples: number;
  /** Sum of the dispatches' medians. */
  totalMs: number;
  rows: { label: string; kind: string; ms: number; share: number }[];
}

/** One conv kernel of the conv preset's training step at the breakdown's batch (bench/conv-bench.ts). */
export interface ConvKernelRow {
  /** e.g. 'encoder.2 (Conv 64)'. */
  layer: string;
  pass: 'forward' | 'dX' | 'dW';
  /** The WGSL file that computes it. */
  kernel: string;
  /** The relation: B×H×W×C (in) ↔ OH×OW×O (out), kernel, stride, padding. */
  shape: string;
  /** Nominal: 2·B·OH·OW·O·KH·KW·C (padding taps counted). */
  flops: number;
  /** GPU time of its dispatches (the weight gradient's split reduction included). */
  ms: number;
  gflops: number;
  ofCeiling: number;
  dispatches: number;
}

/** The conv VAE section: our step and the peers' on the same adapter, their loss on our weights, our conv kernels. */
export interface ConvResults {
  batches: number[];
  steps: StepResult[];
  /** Implementations that could not train it, with their error (tfjs-wasm: no Conv2DBackpropFilter). */
  failures: { impl: Impl; batch: number; error: string }[];
  agreement: Agreement[];
  /** Our conv step at batch 128, dispatch by dispatch (where timestamps exist). */
  breakdown?: Breakdown;
  kernels: ConvKernelRow[];
}

export interface PeerInfo {
  impl: Impl;
  version: string;
  detail: string;
}

/** One training epoch of the default model (`vae/main.py`'s protocol: 60,000 examples, batch 128). */
export interface EpochResult {
  impl: Impl;
  examples: number;
  batch: number;
  steps: number;
  /** Each timed epoch (after one warm-up epoch), seconds of training (no evaluation). */
  seconds: number[];
  /** The median of `seconds`. */
  medianSeconds: number;
  note?: string;
}

export interface SuiteResults {
  adapter: string;
  adapterInfo: AdapterSummary;
  features: string[];
  /** Whether GPU timestamps were used for our kernels (else wall time around queue completion). */
  timestamps: boolean;
  profile: 'gpu' | 'cpu';
  quick: boolean;
  ceilings: Ceilings;
  kernels: KernelResult[];
  steps: StepResult[];
  /** Node runs: whole epochs through the trainer, and PyTorch's (CUDA where there is one). */
  epochs?: EpochResult[];
  /** Peers' own kernel profiles of a training step (jax-js on WebGPU), at the breakdown's batch. */
  peerProfiles?: (PeerProfile & { impl: Impl; batch: number })[];
  /** Peers' loss on our weights (absent in older results). */
  agreement?: Agreement[];
  /** Ours at batch 128, where timestamps exist. */
  breakdown?: Breakdown;
  /** The conv preset's training step against the peers, and its conv kernels (absent in older results). */
  conv?: ConvResults;
  /** Tuned against the rule's schedules (bench/tuned.ts); absent with --no-tune. */
  tuning?: TuningResult;
  peers: PeerInfo[];
  /** Things that failed without stopping the run (a peer that could not start, ...). */
  errors: string[];
  durationS: number;
}

export interface LoadSample {
  /** Seconds since the run started. */
  t: number;
  loadavg: [number, number, number];
  /** Processes outside this benchmark's process tree using > 5% of a core over the last interval. */
  others: { pid: number; cpu: number; command: string }[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchFile {
  date: string;
  mode: 'browser' | 'node';
  quick: boolean;
  command: string;
  machine: { cpus: number; model: string; memGiB: number; os: string; node: string; gpu: string };
  browser?: { version: string; userAgent: string; args: string[] };
  commit?: string;
  load: {
    before: LoadSample;
    during: LoadSample[];
    waitedS: number;
    quiet: boolean;
    /** Measurements held back while other processes used the CPU. */
    pauses: { kind: 'wait' | 'retry' | 'unguarded'; t: number; before: string; waitedS: number; quiet: boolean; others: string }[];
  };
  suite: SuiteResults;
  targets: Target[];
}

/** A peer's training step kernel by kernel, from its own profiler (GPU timestamps around each kernel); here, not in peer.ts, so the two do not import each other. */
export interface PeerProfile {
  steps: number;
  /** Per step: kernels dispatched, compute passes, queue submits, and the sum of the kernels' GPU times. */
  kernels: number;
  passes: number;
  submits: number;
  gpuMs: number;
  /** Per step, wall time of the profiled steps (profiling on). */
  wallMs: number;
  /** Per step, grouped by what the kernel does; the most expensive first. */
  rows: { what: string; count: number; ms: number }[];
}
