// lib/tile_precision (f32): the element type lib/gemm_tile.wgsl stages its tiles in.
alias tile_t = f32;
