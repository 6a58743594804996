// The run folder a CLI run writes into, taken before anything is read or trained: a default folder
// that no other run shares (made with an exclusive mkdir, suffixed -2, -3, … when two runs start in
// the same second), an existing folder that already holds a run refused unless it is the one being
// resumed or --overwrite was given, and a lock file (created exclusively, holding the owner's pid)
// so two live runs can never write the same folder. Creating the lock also proves the folder is
// writable, so an unwritable --out fails at once instead of after the first epoch.
import { hostname } from 'node:os';
import { mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readBounded } from '../util/bounded-read';
import { UsageError } from './usage-error';

/** What a run writes into its folder (the files --overwrite replaces). */
export const RUN_FILES = ['model.safetensors', 'best.safetensors', 'metrics.json', 'reconstructions.png', 'samples.png', 'manifold.png'] as const;
export const LOCK_FILE = '.webgpu-vae.lock';
/** writeFileAtomic's temporary files: left behind only by a killed run, never a run of their own. */
const TEMP_FILE = /^\.(model\.safetensors|metrics\.json)\.\d+\.[0-9a-f]+\.tmp$/;

export type FolderMode = 'new' | 'resume' | 'overwrite';

export interface RunFolder {
  path: string;
  /** Files of an earlier run that --overwrite removed. */
  removed: string[];
  /** Removes the lock (also done at process exit); idempotent. */
  release(): void;
}

/** runs/<date-time>: created here, exclusively, so the name is this run's alone. */
export async function createDefaultRunFolder(root: string, now = new Date()): Promise<string> {
  await mkdir(root, { recursive: true }).catch((e) => {
    throw new UsageError(`cannot create the runs folder ${root}: ${(e as Error).message}`, { cause: e });
  });
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  for (let i = 1; i < 10_000; i++) {
    const path = join(root, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      await mkdir(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create the run folder ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  throw new UsageError(`cannot find a free run folder name for ${stamp} in ${root}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockInfo { pid: number; host: string; started: string }

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(new TextDecoder().decode(await readBounded(path, 4096, 'lock file')));
    return Number.isSafeInteger(info?.pid) && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock; a lock left by a dead process on this host is taken over, a live one refused. */
async function takeLock(dir: string, flag: string): Promise<string> {
  const path = join(dir, LOCK_FILE);
  const body = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() } satisfies LockInfo);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await open(path, 'wx');
      try {
        await h.writeFile(body);
      } finally {
        await h.close();
      }
      return path;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new UsageError(`${flag} ${dir}: the folder is not writable (${(e as Error).message}); choose another --out`, { cause: e });
      }
    }
    const owner = await readLock(path);
    if (owner && (owner.host !== hostname() || alive(owner.pid))) {
      throw new UsageError(`${flag} ${dir}: the folder is in use by another run (pid ${owner.pid} on ${owner.host}, since ${owner.started}); ` +
        `wait for it to finish or choose another --out (its lock is ${path})`);
    }
    // Stale (its process is gone, e.g. killed) or unreadable half-written lock: remove and retry.
    await unlink(path).catch(() => {});
  }
  throw new UsageError(`${flag} ${dir}: could not take the lock ${path}; another run may be starting there`);
}

/**
 * Takes `dir` for a run. 'new' requires it absent or holding no run ('resume' accepts the run
 * there, 'overwrite' removes its run files first). Throws a UsageError naming what was found.
 */
export async function openRunFolder(dir: string, mode: FolderMode, flag = '--out'): Promise<RunFolder> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${flag} ${dir}: cannot create the run folder (${(e as Error).message})`, { cause: e });
  }
  if (!(await stat(dir)).isDirectory()) throw new UsageError(`${flag} ${dir}: not a folder; expected a run folder`);
  const lock = await takeLock(dir, flag);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      unlinkSync(lock);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', release);
  try {
    const entries = (await readdir(dir)).filter((f) => f !== LOCK_FILE && !TEMP_FILE.test(f)).sort();
    const removed: string[] = [];
    if (mode === 'new' && entries.length > 0) {
      const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
      const isRun = entries.some((f) => (RUN_FILES as readonly string[]).includes(f));
      throw new UsageError(`${flag} ${dir}: the folder already holds ${isRun ? 'a run' : 'other files'} (${shown}); ` +
        `${isRun ? `pass --resume ${dir} to continue it, or ` : ''}--overwrite to replace its run files, or choose another --out`);
    }
    if (mode === 'overwrite') {
      for (const f of entries) {
        if (!(RUN_FILES as readonly string[]).includes(f)) continue;
        await rm(join(dir, f), { force: true });
        removed.push(f);
      }
    }
    return { path: dir, removed, release };
  } catch (e) {
    release();
    throw e;
  }
}
