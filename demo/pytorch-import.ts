// "Load a PyTorch model": a state_dict in safetensors form (npm run convert -- --to pytorch, or
// scripts/torch_vae.py train --out) becomes the weights-only checkpoint the page loads; a webgpu-vae
// checkpoint passes through unchanged. Errors name the tensor that does not fit.
import { encodeCheckpoint } from '../src/model/checkpoint';
import { decodeModelFile } from '../src/model/pytorch-layout';

/** Checkpoint bytes for Session.load, from either kind of model file. */
export function importModel(bytes: Uint8Array, name: string): Uint8Array {
  const { state, from } = decodeModelFile(bytes, { source: name });
  return from === 'webgpu-vae' ? bytes : encodeCheckpoint(state);
}
