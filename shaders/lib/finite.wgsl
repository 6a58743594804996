// lib/finite.wgsl: whether an f32 is finite (neither NaN nor ±Inf), from its exponent bits: WGSL has
// no isnan/isinf, and a compiler may fold v == v away.

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}
