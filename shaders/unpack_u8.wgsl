// unpack_u8.wgsl: 8-bit pixels uploaded packed 4 per u32 word, turned into the floats the model reads,
// as the first kernel of a training step (the host keeps uint8 and uploads a quarter of the bytes).
//   out[i] = table[byte i],  byte i = (packed[i / 4] >> 8·(i mod 4)) & 0xff  (little-endian words)
// The 256-entry table is made on the host (k / 255 for pixels in [0, 1]), so every value is exactly
// the float the host's own conversion gives: a step on unpacked bytes is bit for bit a step on floats.
// One invocation per word; a stride loop covers counts beyond 65,535 workgroups.
// Shapes: packed ⌈count / 4⌉ u32; table 256 f32; out ≥ count f32. CPU twin: src/cpu/unpack-u8.ts.

struct Params {
  count: u32,    // values to write
  stride: u32,   // words between one invocation's iterations: workgroups · 64
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let words = (params.count + 3u) / 4u;
  for (var w = gid.x; w < words; w += params.stride) {
    let v = packed[w];
    for (var j = 0u; j < 4u; j++) {
      let i = 4u * w + j;
      if (i < params.count) { out[i] = table[(v >> (8u * j)) & 255u]; }
    }
  }
}
