// `npm run convert`: a webgpu-vae checkpoint to a PyTorch state_dict (safetensors, our config in its
// metadata) and back. Everything is read and checked before anything is written, and the output is
// written atomically and never over an existing file without --force, so a bad input loses nothing.
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeConfig } from '../model/config';
import { decodeCheckpoint, encodeCheckpoint } from '../model/checkpoint';
import { readCheckpointBytes, writeFileAtomic } from '../model/checkpoint-file';
import { decodePytorchModel, encodePytorchModel, pytorchLayout } from '../model/pytorch-layout';
import { fail, readConfigFile, runIfInvoked } from './cli-common';

const HELP = `Usage: npm run convert -- --to pytorch IN OUT
       npm run convert -- --to webgpu-vae IN OUT [--config FILE]

--to pytorch      IN is a webgpu-vae model.safetensors (or a run folder holding one); OUT is a
                  state_dict that torch's load_state_dict(strict=True) accepts on the module
                  scripts/torch_vae.py builds (vae/main.py's fc1, fc21, fc22, fc3, fc4 for one
                  hidden layer each way with ReLU and a Bernoulli decoder; MlpVAE for other MLPs;
                  LayersVAE's encoder.i / decoder.i for layer lists such as --arch conv). The
                  config rides in OUT's metadata; Adam's moments stay behind.
--to webgpu-vae   IN is such a state_dict (e.g. safetensors.torch.save_file(model.state_dict(), IN)
                  or scripts/torch_vae.py train --out IN); OUT is a weights-only checkpoint that
                  npm run train -- --resume, npm run evaluate, the library and the demo load.
--config FILE     JSON config of IN's model (fields of the library's VaeConfig, or a metrics.json),
                  for a state_dict without one in its metadata
--force           replace OUT if it exists
--help            this text`;

interface Cli {
  to: 'pytorch' | 'webgpu-vae';
  input: string;
  output: string;
  config?: string;
  force: boolean;
}

function parseCli(argv: string[]): Cli | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { to: { type: 'string' }, config: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.to !== 'pytorch' && values.to !== 'webgpu-vae') fail(`--to must be pytorch or webgpu-vae, got ${values.to === undefined ? 'nothing' : `'${values.to}'`}`);
  if (positionals.length !== 2) fail(`expected IN and OUT, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  if (values.config !== undefined && values.to === 'pytorch') fail('--config is for --to webgpu-vae (a webgpu-vae checkpoint holds its config)');
  return { to: values.to, input: positionals[0], output: positionals[1], config: values.config, force: !!values.force };
}

async function readInput(path: string, allowFolder: boolean): Promise<{ path: string; bytes: Uint8Array }> {
  let p = resolve(path);
  if (allowFolder && existsSync(p) && statSync(p).isDirectory()) p = join(p, 'model.safetensors');
  if (!existsSync(p)) fail(`${path}: no such file`);
  if (statSync(p).isDirectory()) fail(`${path}: is a folder; expected a .safetensors file`);
  return { path: p, bytes: await readCheckpointBytes(p) };
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli === 'help') {
    console.log(HELP);
    return 0;
  }
  const out = resolve(cli.output);
  const input = await readInput(cli.input, cli.to === 'pytorch');
  if (out === input.path) fail(`OUT is IN (${cli.output}); write the converted model to another file`);
  if (existsSync(out) && !cli.force) fail(`${cli.output} exists; pass --force to replace it`);
  if (existsSync(out) && statSync(out).isDirectory()) fail(`${cli.output} is a folder; expected a file name`);
  let bytes: Uint8Array;
  if (cli.to === 'pytorch') {
    const state = decodeCheckpoint(input.bytes, undefined, input.path);
    bytes = encodePytorchModel(state, { source: 'webgpu-vae', ...(state.extra?.batch ? { batch: state.extra.batch } : {}) });
    console.log(`${describeConfig(state.config)} at step ${state.step} → PyTorch state_dict, ${pytorchLayout(state.config)} names` +
      `${state.adam ? '; Adam moments not carried (PyTorch keeps optimizer state outside the state_dict)' : ''}`);
  } else {
    const config = cli.config ? await readConfigFile(cli.config) : undefined;
    const model = decodePytorchModel(input.bytes, { config, source: input.path });
    bytes = encodeCheckpoint(model.state);
    const from = { argument: `--config ${cli.config}`, metadata: 'its metadata', shapes: "vae/main.py's shapes (ReLU, Bernoulli; no config in the file)" }[model.configFrom];
    console.log(`PyTorch state_dict (${model.layout} names, config from ${from}) → ${describeConfig(model.state.config)}, weights only: ` +
      'training it (npm run train -- --resume) starts Adam fresh at step 0');
  }
  // Only now, with everything checked: the output's folder, then the file, atomically.
  await mkdir(dirname(out), { recursive: true });
  await writeFileAtomic(out, bytes);
  console.log(`wrote ${out}`);
  return 0;
}

runIfInvoked(/convert\.(m?js|ts)$/, main);
