// The Python with torch and numpy that the PyTorch interop tests run (Debian's python3-torch is
// /usr/bin/python3; $PYTHON overrides). Absent, those tests are skipped with the reason printed.
import { execFile, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';

export function findTorchPython(): { python?: string; reason: string } {
  const candidates = [...(process.env.PYTHON ? [process.env.PYTHON] : []), '/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: c, reason: `${c} with torch ${r.stdout.trim()}` };
    tried.push(`${c}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { reason: `no python3 with torch and numpy (${tried.join('; ')}); install Debian's python3-torch (scripts/setup-system.sh does)` };
}

const exec = promisify(execFile);

/** Runs scripts/torch_vae.py; resolves to its output, or rejects with it. */
export async function torchVae(python: string, args: string[], timeout = 240_000): Promise<string> {
  try {
    const { stdout, stderr } = await exec(python, ['scripts/torch_vae.py', ...args], { timeout, maxBuffer: 1 << 24 });
    return stdout + stderr;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`torch_vae.py ${args.join(' ')} exited ${err.code}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** The largest |a[i] − b[i]| (the arrays must be as long). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** PyTorch's decoder means of `z` (n × latent) for a state_dict file, through safetensors files in `dir`. */
export async function torchDecode(python: string, dir: string, model: string, z: Float32Array, latent: number, tag: string): Promise<Float32Array> {
  const zFile = join(dir, `${tag}-z.safetensors`), out = join(dir, `${tag}-means.safetensors`);
  await writeFile(zFile, encodeSafetensors({ z: { dtype: 'F32', shape: [z.length / latent, latent], data: z } }));
  await torchVae(python, ['decode', model, zFile, out]);
  return decodeSafetensors(new Uint8Array(await readFile(out))).tensors.means!.data as Float32Array;
}
