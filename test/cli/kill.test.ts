// Crash safety of checkpoints: the training CLI is killed (SIGKILL, no chance to clean up) at seeded
// random moments while it writes a checkpoint every epoch; after every kill the checkpoint on disk
// either does not exist yet or loads completely, and resuming from it works (the killed run's lock
// file is left behind and taken over by the next run).
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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
    const path = join(out, 'model.safetensors');
    const stamp = () => (existsSync(path) ? statSync(path).mtimeMs : -1);
    for (let kill = 0; kill < 8; kill++) {
      const child = spawn('node', [...args, ...(existsSync(path) ? ['--resume', out] : [])], { stdio: 'ignore' });
      // Wait for this process to write a checkpoint of its own (start-up time depends on the machine's
      // load, so a fixed delay would often kill it before it trained), then kill it at a random moment
      // of the following epochs, writes included.
      const before = stamp();
      const deadline = Date.now() + 90_000;
      while (stamp() === before && child.exitCode === null && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
      await new Promise((ok) => setTimeout(ok, 1500 * r()));
      child.kill('SIGKILL');
      await new Promise((ok) => (child.exitCode !== null || child.signalCode !== null ? ok(null) : child.once('exit', ok)));
      if (!existsSync(path)) continue;
      const state = decodeCheckpoint(new Uint8Array(await readFile(path)), undefined, path);
      expect(state.step % Math.ceil(9000 / 1024)).toBe(0);
      steps.push(state.step);
      loaded++;
    }
    console.info(`8 kills: the checkpoint loaded after ${loaded} of them, at steps ${steps.join(', ')}`);
    expect(loaded).toBe(8);
    // Each restart resumed from the last checkpoint and got further.
    expect(steps.at(-1)!).toBeGreaterThan(steps[0]);
  }, 600_000);
});
