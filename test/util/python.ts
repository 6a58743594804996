// The Python with torch and numpy that the PyTorch interop tests run (Debian's python3-torch is
// /usr/bin/python3; $PYTHON overrides). Absent, those tests are skipped with the reason printed.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

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
