// Types for the ES build of wgsl_reflect, imported by path (its Node entry is CommonJS in an ESM package).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
