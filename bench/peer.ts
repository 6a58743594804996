// What the suite asks of a peer implementation (TensorFlow.js on one backend): the same matmuls and
// the same training step, timed with the same protocol as ours (repetitions queued, then one wait
// for the queue to finish), everything it allocates disposed.
import type { Impl, PeerInfo } from './results';
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

export interface PeerTrainer {
  firstStepMs: number;
  lossFirst: number;
  /** `inner` training steps on batches from `next`, then a wait for them to finish. */
  run(inner: number): Promise<RawSample>;
  lastLoss(): Promise<number>;
  /** Disposes the model and optimizer; returns tensors leaked (alive after minus before). */
  dispose(): number;
}

export interface Peer {
  impl: Impl;
  info: PeerInfo;
  matmul(c: MatmulCase, a: Float32Array, b: Float32Array, bias: Float32Array | undefined): Promise<PeerMatmul>;
  trainer(batch: number, next: () => Float32Array): Promise<PeerTrainer>;
}
