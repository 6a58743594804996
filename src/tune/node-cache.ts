// The tuner's store in Node: a JSON file (default in the user's cache folder), written atomically;
// and the implementation half of the adapter key there: Dawn's version (the `webgpu` package).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AdapterSummary } from '../gpu/device';
import { adapterKey, dawnImplementation, type TuneStore } from './cache';
import { Tuner, type TunerOptions } from './tuner';

/** $WEBGPU_VAE_TUNE_CACHE, else $XDG_CACHE_HOME/webgpu-vae/tune.json, else ~/.cache/webgpu-vae/tune.json. */
export function defaultTuneCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WEBGPU_VAE_TUNE_CACHE) return env.WEBGPU_VAE_TUNE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webgpu-vae', 'tune.json');
}

export function fileTuneStore(path: string): TuneStore {
  return {
    describe: path,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async write(text) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, path);
    },
  };
}

/** 'dawn (webgpu <version>) node <version>': what runs the kernels in this process. */
export function nodeImplementation(): string {
  return dawnImplementation(createRequire(import.meta.url), process.versions.node);
}

/** A tuner for this process's adapter with its choices in a cache file (default: defaultTuneCachePath()). */
export function openNodeTuner(info: AdapterSummary, options: Partial<TunerOptions> & { cachePath?: string } = {}): Promise<Tuner> {
  const { cachePath, ...rest } = options;
  return Tuner.open({ adapterKey: adapterKey(info, nodeImplementation()), store: fileTuneStore(cachePath ?? defaultTuneCachePath()), ...rest });
}
