// lib/tile_precision (f16): the element type of the GEMM kernels' f16 variants, composed by
// kernels/shader-lib.ts's shaderF16 (which puts `enable f16;` first); inputs are rounded to f16
// when staged, and the products are taken and accumulated in f32.
alias tile_t = f16;
