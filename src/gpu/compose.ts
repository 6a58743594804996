// WGSL has no include: this is ours. A line `//#include lib/name` (a comment, so the file stays WGSL)
// is replaced by the library file's text, each file once per shader however often it is asked for
// (libraries may include each other). Whole files only: sizes stay overrides and uniforms.
// Bindings are reflected from the composed text (test/kernels/bindings.test.ts).

/** Library sources by include name ('lib/activation' → the text of shaders/lib/activation.wgsl). */
export type ShaderLibrary = Readonly<Record<string, string>>;

const INCLUDE = /^[ \t]*\/\/#include[ \t]+(\S+)[ \t]*$/;

/**
 * `source` with its includes resolved from `library`. `name` is for messages; an include that the
 * library lacks, or a cycle of includes, throws naming the file, the line and what was expected.
 */
export function composeShader(name: string, source: string, library: ShaderLibrary): string {
  const done = new Set<string>();
  const open: string[] = [];
  const expand = (file: string, text: string): string =>
    text.split('\n').map((line, i) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      const lib = m[1];
      if (!Object.hasOwn(library, lib)) {
        throw new Error(`${file}:${i + 1}: includes '${lib}', which is not a shader library; expected one of ${Object.keys(library).join(', ')}`);
      }
      if (open.includes(lib)) throw new Error(`${file}:${i + 1}: includes '${lib}', which includes it back (${[...open, lib].join(' → ')})`);
      if (done.has(lib)) return `// (${lib} is included above)`;
      open.push(lib);
      const body = expand(`${lib}.wgsl`, library[lib]);
      open.pop();
      done.add(lib);
      return `// ── ${lib}.wgsl ──\n${body}\n// ── end of ${lib}.wgsl ──`;
    }).join('\n');
  return expand(`${name}.wgsl`, source);
}
