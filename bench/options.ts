// The benchmark's command-line options (bench/main.ts documents them), checked with clear errors.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SoftwareDriver } from '../src/gpu/device';
import { ROOT } from './project';

export interface Options {
  quick: boolean;
  mode: 'browser' | 'node';
  outDir: string;
  /** Also write the JSON here. */
  json?: string;
  peers: string[];
  pytorch: boolean;
  driver: SoftwareDriver;
  waitQuietS: number;
  maxLoad: number;
  only?: string[];
  /** Do not pause measurements while other processes are busy. */
  noGate: boolean;
  /** The most seconds the gate may hold measurements back (waits and retries) in the whole run. */
  gateBudgetS: number;
  /** Training-step batch sizes instead of the run's default (quick: 32, 128, 512; full: and 2048). */
  batches?: number[];
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      node: { type: 'boolean' },
      out: { type: 'string' },
      json: { type: 'string' },
      peers: { type: 'string' },
      'no-pytorch': { type: 'boolean' },
      driver: { type: 'string' },
      'wait-quiet': { type: 'string' },
      'max-load': { type: 'string' },
      only: { type: 'string' },
      'no-gate': { type: 'boolean' },
      'gate-budget': { type: 'string' },
      batches: { type: 'string' },
    },
  });
  const quick = !!values.quick;
  const driver = values.driver ?? 'auto';
  if (!['auto', 'lavapipe', 'swiftshader'].includes(driver)) throw new Error(`--driver must be auto, lavapipe or swiftshader, got '${driver}'`);
  const waitQuietS = Number(values['wait-quiet'] ?? (quick ? 0 : 600));
  const maxLoad = Number(values['max-load'] ?? 0.8);
  if (!Number.isFinite(waitQuietS) || waitQuietS < 0) throw new Error(`--wait-quiet must be a number of seconds ≥ 0, got '${values['wait-quiet']}'`);
  const gateBudgetS = Number(values['gate-budget'] ?? 900);
  if (!Number.isFinite(gateBudgetS) || gateBudgetS < 0) throw new Error(`--gate-budget must be a number of seconds ≥ 0, got '${values['gate-budget']}'`);
  const batches = values.batches?.split(',').map(Number);
  if (batches && (!batches.length || batches.some((x) => !Number.isInteger(x) || x < 1 || x > 65536))) {
    throw new Error(`--batches must be a comma-separated list of batch sizes from 1 to 65536, got '${values.batches}'`);
  }
  if (!Number.isFinite(maxLoad) || maxLoad <= 0) throw new Error(`--max-load must be a positive number, got '${values['max-load']}'`);
  return {
    quick,
    mode: values.node ? 'node' : 'browser',
    outDir: resolve(ROOT, values.out ?? 'bench-results'),
    json: values.json,
    peers: (values.peers ?? (values.node ? 'tfjs-webgpu,tfjs-wasm' : 'tfjs-webgpu,tfjs-wasm,jax-js-webgpu,jax-js-wasm')).split(',').filter((p) => p && p !== 'none'),
    pytorch: !values['no-pytorch'],
    driver: driver as SoftwareDriver,
    waitQuietS,
    maxLoad,
    only: values.only?.split(',').filter(Boolean),
    noGate: !!values['no-gate'],
    gateBudgetS,
    batches,
  };
}
