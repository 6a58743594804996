// What the convert and evaluate commands share: usage errors, the --config JSON file, and the
// entry point that turns errors into a message and an exit code (2 for usage, 1 otherwise).
import { readBounded } from '../util/bounded-read';
import type { VaeConfigInput } from '../model/config';
import { CheckpointError } from '../model/safetensors';
import { fail, UsageError } from './usage-error';

// One UsageError for every command, so a refusal from the shared data loading (./load-data) exits 2 here too.
export { fail, UsageError };

/** A JSON config file: VaeConfig fields, or an object with a `config` (a run's metrics.json). */
export async function readConfigFile(path: string): Promise<VaeConfigInput> {
  let value: unknown;
  try {
    // A config is a few hundred bytes; a run's metrics.json a few hundred kB at most.
    value = JSON.parse(new TextDecoder().decode(await readBounded(path, 16 << 20, '--config', { exact: true, why: 'a config or a metrics.json' })));
  } catch (e) {
    fail(`--config ${path}: cannot read a JSON config (${(e as Error).message})`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'config' in value) value = (value as { config: unknown }).config;
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`--config ${path}: expected a JSON object of config fields such as {"encoderHidden": [400], "latent": 20}`);
  return value as VaeConfigInput;
}

/** Runs `main` when this bundle is the process's entry (not when a test imports it). */
export function runIfInvoked(pattern: RegExp, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || !pattern.test(process.argv[1])) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof UsageError || e instanceof CheckpointError) console.error(`error: ${e.message}\n(see --help)`);
      else console.error(e instanceof Error ? `error: ${e.message}` : e);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
