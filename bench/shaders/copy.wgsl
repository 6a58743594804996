// copy.wgsl: the memory-bandwidth ceiling. dst[i] = src[i] over vec4s, PER per invocation in a
// grid-stride loop (consecutive invocations touch consecutive vec4s on every iteration), so a copy
// of n bytes moves 2n bytes (n read, n written). The suite tries PER = 1 and 8 and keeps the best.
// Bench-only: not part of the library.

override PER: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let threads = groups.x * groups.y * 256u;
  let t = gid.x + gid.y * groups.x * 256u;
  let n = arrayLength(&dst);
  for (var k = 0u; k < PER; k++) {
    let i = t + k * threads;
    if (i < n) {
      dst[i] = src[i];
    }
  }
}
