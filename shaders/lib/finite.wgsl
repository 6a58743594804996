// lib/finite.wgsl: whether an f32 is finite (neither NaN nor ±Inf), from its exponent bits: WGSL has
// no isnan/isinf, and a compiler may fold v == v away.

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// A quiet NaN from the bits (a WGSL constant NaN is an error); `x` only keeps it out of const-evaluation.
fn not_a_number(x: u32) -> f32 { return bitcast<f32>(0x7fc00000u | (x & 0u)); }
