// Crash safety of checkpoints: the training CLI is killed (SIGKILL, no chance to clean up) at seeded
// random moments while it writes a checkpoint every epoch; after every kill the checkpoint on disk
// either does not exist yet or loads completely, and resuming from it works (the killed run's lock
// file is left behind and taken over by the next run).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { rng } from '../util/random';

const run = promisify(execFile);
const bundle = 'node_modules/.cache/webgpu-vae-kill-test/train.mjs';
let dir: string;

beforeAll(async () => {
  await run('node', ['scripts/build-node.mjs', 'src/cli/train.ts', bundle]);
  dir = await mkdtemp(join(tmpdir(), 'vae-kill-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('killing training at random moments', () => {
  it('never leaves a checkpoint that fails to load', async () => {
    const out = join(dir, 'run');
    // A tiny model with large batches: an epoch (and so a checkpoint write) every fraction of a second.
    const args = [bundle, '--hidden', '16', '--latent', '2', '--batch', '1024', '--epochs', '400', '--eval-k', '0', '--out', out];
    const r = rng(2024);
    let loaded = 0;
    const steps: number[] = [];
    for (let kill = 0; kill < 8; kill++) {
      const child = spawn('node', [...args, ...(existsSync(join(out, 'model.safetensors')) ? ['--resume', out] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
      // The random moment counts from when the run has taken its folder (start-up time varies with
      // the machine's load), so the kills land while it trains and writes checkpoints.
      await new Promise<void>((ok) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('run folder:')) ok();
        });
        child.once('exit', () => ok());
      });
      child.stdout!.resume();
      await new Promise((ok) => setTimeout(ok, 1000 + 2500 * r()));
      child.kill('SIGKILL');
      await new Promise((ok) => child.once('exit', ok));
      const path = join(out, 'model.safetensors');
      if (!existsSync(path)) continue;
      const state = decodeCheckpoint(new Uint8Array(await readFile(path)), undefined, path);
      expect(state.step % Math.ceil(9000 / 1024)).toBe(0);
      steps.push(state.step);
      loaded++;
    }
    console.info(`8 kills: the checkpoint loaded after ${loaded} of them, at steps ${steps.join(', ')}`);
    expect(loaded).toBeGreaterThan(4);
    // Each restart resumed from the last checkpoint and got further.
    expect(steps.at(-1)!).toBeGreaterThan(steps[0]);
  });
});
