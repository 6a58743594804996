// Where the benchmark driver runs from and how it reaches node_modules: scripts/build-node.mjs
// bundles the driver with esbuild, which cannot bundle Vite, Puppeteer or TensorFlow.js, so those
// are imported at run time from node_modules, never through the bundle.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';


/** The project root: the bundle runs from dist/bench/ (else the working directory). */
export const ROOT = ((): string => {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  return existsSync(join(up, 'package.json')) && existsSync(join(up, 'bench')) ? up : process.cwd();
})();
/** A module from node_modules at run time (kept out of the esbuild bundle). */
export const runtimeImport = <T>(specifier: string): Promise<T> => import(specifier) as Promise<T>;

export const log = (line: string) => console.log(line);

/** Around each measurement: wait for a quiet machine before, say whether it stayed quiet after. */
export type Gate = { before(what: string): Promise<void>; after(what: string): Promise<boolean> };
