// Node-only modules (Dawn's `webgpu`, node: built-ins) loaded by a name bundlers do not follow: a page
// never takes the paths that need them, so a browser bundle (esbuild, webpack, Vite, Next.js) should
// not have to resolve them; a literal import('node:fs') fails esbuild's browser build outright.

/** `import(name)`, hidden from bundlers' static analysis. */
export function importNodeOnly<T>(name: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name) as Promise<T>;
}
