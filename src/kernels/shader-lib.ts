// The WGSL library every built-in kernel may include (shaders/lib/, by `//#include lib/name`), and
// `shader()`, which composes a kernel's source with it (src/gpu/compose.ts) when its module loads,
// `shaderF16()` for the GEMM kernels' f16 variants and `shaderSubgroup()` for the fused objectives'
// subgroup reductions.
import activation from '../../shaders/lib/activation.wgsl?raw';
import biasGradIo from '../../shaders/lib/bias_grad_io.wgsl?raw';
import conv from '../../shaders/lib/conv.wgsl?raw';
import finite from '../../shaders/lib/finite.wgsl?raw';
import gradNormIo from '../../shaders/lib/grad_norm_io.wgsl?raw';
import gemmTile from '../../shaders/lib/gemm_tile.wgsl?raw';
import im2col from '../../shaders/lib/im2col.wgsl?raw';
import matmulVec4Io from '../../shaders/lib/matmul_vec4_io.wgsl?raw';
import likelihood from '../../shaders/lib/likelihood.wgsl?raw';
import objective from '../../shaders/lib/objective.wgsl?raw';
import philox from '../../shaders/lib/philox.wgsl?raw';
import reduceSubgroup from '../../shaders/lib/reduce_subgroup.wgsl?raw';
import reduceTree from '../../shaders/lib/reduce_tree.wgsl?raw';
import tileF16 from '../../shaders/lib/tile_f16.wgsl?raw';
import tileF32 from '../../shaders/lib/tile_f32.wgsl?raw';
import { composeShader, type ShaderLibrary } from '../gpu/compose';

export const SHADER_LIBRARY: ShaderLibrary = {
  'lib/activation': activation,
  'lib/bias_grad_io': biasGradIo,
  'lib/conv': conv,
  'lib/finite': finite,
  'lib/gemm_tile': gemmTile,
  'lib/grad_norm_io': gradNormIo,
  'lib/im2col': im2col,
  'lib/likelihood': likelihood,
  'lib/matmul_vec4_io': matmulVec4Io,
  'lib/objective': objective,
  'lib/philox': philox,
  'lib/tile_precision': tileF32,
  'lib/workgroup_reduce': reduceTree,
};

/** A kernel's source (shaders/`name`.wgsl) with its includes resolved from the library. */
export function shader(name: string, source: string): string {
  return composeShader(name, source, SHADER_LIBRARY);
}

/**
 * A GEMM kernel's f16 variant: the same source with lib/gemm_tile.wgsl's tiles staged as f16
 * (lib/tile_f16.wgsl for lib/tile_precision) and `enable f16;` first. Only for devices with the
 * shader-f16 feature (a module with the directive fails elsewhere).
 */
export function shaderF16(name: string, source: string): string {
  return `enable f16;\n${composeShader(name, source, { ...SHADER_LIBRARY, 'lib/tile_precision': tileF16 })}`;
}

/**
 * A fused objective's subgroup schedule: the same source with lib/reduce_subgroup.wgsl for
 * lib/workgroup_reduce (its tree entries' reductions) and `enable subgroups;` first. Only for devices
 * with the subgroups feature.
 */
export function shaderSubgroup(name: string, source: string): string {
  return `enable subgroups;\n${composeShader(name, source, { ...SHADER_LIBRARY, 'lib/workgroup_reduce': reduceSubgroup })}`;
}
