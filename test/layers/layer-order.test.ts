// The library's floors (README, "How the code is layered"): every module under src/ imports only
// from its own folder or from a folder on a lower floor, so the leaf words know nothing above them,
// the kernels no CPU twin, the graph no op kind, the model nothing of training. The import graph
// has no circles besides (npm run cycles). Reads the sources; needs no GPU.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lowest first. A folder may import its own modules and those of the floors below it. */
export const FLOORS: readonly (readonly string[])[] = [
  ['base'], // the shared words: activations, likelihoods, noise streams, the seed key, layer and objective specs
  ['util'], // bounded file reads, PNG encoding, image grids
  ['io'], // bytes in and out: bounded URL loads, IndexedDB, Node-only imports hidden from bundlers
  ['gpu'], // devices, kernels as data, the runtime (pipelines, bind groups, uniforms), buffers
  ['kernels'], // one module per WGSL kernel: its declaration and how it is prepared
  ['tune'], // timing kernels' schedules on the adapter and remembering the fastest
  ['cpu'], // the CPU twins of the kernels, in float64, and the Philox stream
  ['data'], // data sets: the embedded MNIST, IDX files, binarization
  ['graph'], // what an op kind is, the graph from layer lists, the memory plan, the scheduler
  ['ops'], // the op kinds (layers, samplers, objectives) and their registry
  ['optim'], // the step program (clip, Adam), lr and β schedules, the loss readback
  ['model'], // config, initialisation, the GPU and CPU models, checkpoints and their formats
  ['eval'], // evaluation protocols and inference, written once against a ModelRunner
  ['train'], // the training loop, its step driver, early stopping, the CPU backend
  ['vae'], // GpuVae: the model with evaluation, inference, fit, save and load
  ['cli', '.'], // the command-line tools; the package's entry (src/index.ts, src/runtime-api.ts)
];

const SRC = resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports or re-exports (static, side-effect and dynamic). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const re of [/(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*['"](\.[^'"]+)['"]/g, /(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g, /import\(\s*['"](\.[^'"]+)['"]\s*\)/g]) {
    for (const m of text.matchAll(re)) found.push(m[1]);
  }
  return found;
}

const folderOf = (file: string) => {
  const rel = relative(SRC, dirname(file));
  return rel === '' ? '.' : rel.split(/[\\/]/)[0];
};
const floorOf = (folder: string) => FLOORS.findIndex((f) => f.includes(folder));

describe('layer order of src/', () => {
  const files = sources(SRC);

  it('names a floor for every folder', () => {
    const folders = [...new Set(files.map(folderOf))];
    expect(folders.filter((f) => floorOf(f) < 0), 'folders under src/ without a floor in FLOORS').toEqual([]);
  });

  it('has no import from a lower floor to a higher one, nor across folders of one floor', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const file of files) {
      const from = folderOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const target = resolve(dirname(file), spec.replace(/\?raw$/, ''));
        if (relative(SRC, target).startsWith('..')) continue; // shaders/, package.json: not a module of src/
        const to = folderOf(target + (target.endsWith('.ts') ? '' : '.ts'));
        checked++;
        if (to === from) continue;
        if (floorOf(to) >= floorOf(from)) wrong.push(`${relative(SRC, file)} imports ${spec} (${from} is floor ${floorOf(from)}, ${to} floor ${floorOf(to)})`);
      }
    }
    expect(checked, 'imports found (the pattern still matches the sources)').toBeGreaterThan(300);
    expect(wrong, 'imports that run up the floors').toEqual([]);
  });

  it('catches an upward import', () => {
    // The check itself, on a line such as the one it exists to stop.
    expect(importsOf("import { train } from '../train/trainer';\nexport type { X } from './x';\nconst m = await import('../gpu/device');")).toEqual(['../train/trainer', './x', '../gpu/device']);
  });
});
