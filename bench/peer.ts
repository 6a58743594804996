// What the suite asks of a peer implementation (TensorFlow.js or jax-js on one backend): the same
// matmuls and the same training step, timed with the same protocol as ours (repetitions queued, then
// one wait for all of them to finish), everything it allocates disposed.
import type { Impl, PeerInfo, PeerProfile } from './results';

export type { PeerProfile } from './results';
import type { RawSample } from './timing';

export interface MatmulCase {
  name: string;
  M: number;
  N: number;
  K: number;
  /** A is stored K×M. */
  transA?: boolean;
  /** B is stored N×K. */
  transB?: boolean;
  bias?: boolean;
  activation?: 'identity' | 'relu';
}

export interface PeerMatmul {
  /** The first call, waited for (compiles the peer's program for this shape; uploads the operands). */
  firstUseMs: number;
  run(inner: number): Promise<RawSample>;
  /** The product (M×N), for the agreement check. */
  output(): Promise<Float32Array>;
  dispose(): void;
}

/** Our model's parameters by graph name (weights stored in×out), from its safetensors checkpoint. */
export type VaeWeights = Record<string, { shape: number[]; data: Float32Array }>;

export interface PeerTrainer {
  firstStepMs: number;
  lossFirst: number;
  /** `inner` training steps on batches from `next`, then a wait for them to finish. */
  run(inner: number): Promise<RawSample>;
  lastLoss(): Promise<number>;
  /** A few steps with the peer's own kernel profiler on, kernel by kernel (where it has one: jax-js on WebGPU). */
  profile?(steps: number): Promise<PeerProfile>;
  /** Disposes the model and optimizer; returns tensors leaked (alive after minus before) where the peer can count them. */
  dispose(): number | undefined;
}

export interface Peer {
  impl: Impl;
  info: PeerInfo;
  matmul(c: MatmulCase, a: Float32Array, b: Float32Array, bias: Float32Array | undefined): Promise<PeerMatmul>;
  /**
   * A training step of the default model on batches from `next`. `init` is our model's initial
   * weights: a peer that takes them (jax-js) starts from the same point as ours; tfjs keeps its own
   * seeded nn.Linear-style init.
   */
  trainer(batch: number, next: () => Float32Array, init: VaeWeights): Promise<PeerTrainer>;
  /** The −ELBO per example (nats) of the model with these weights on `x` with noise `eps` (B × Z), for the agreement check. */
  lossAt?(weights: VaeWeights, x: Float32Array, eps: Float32Array): Promise<number>;
  /** The same for the `conv` preset (bench/conv-model.ts), where the peer has it. */
  conv?: ConvPeer;
}

/** A peer's conv VAE: trained from our model's initial weights, and its loss on given weights. */
export interface ConvPeer {
  trainer(batch: number, next: () => Float32Array, init: VaeWeights): Promise<PeerTrainer>;
  lossAt(weights: VaeWeights, x: Float32Array, eps: Float32Array): Promise<number>;
}
