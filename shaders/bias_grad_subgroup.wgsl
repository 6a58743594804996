// bias_grad_subgroup.wgsl: bias_grad.wgsl's GPU schedule with subgroup shuffles in place of its
// shared-memory tree (5 barriers): a workgroup owns 16 columns, 16 row lanes each, laid out so that
// a column's 16 lanes are consecutive invocations; each lane sums a fixed stride of rows, then a
// butterfly of subgroupShuffleXor (masks 8, 4, 2, 1 below the subgroup size S) adds the lanes within
// min(S, 16)-lane runs, and where S < 16 one barrier and a loop join a column's 16 / S runs. S is the
// subgroup_size builtin read at run time (lavapipe 8, SwiftShader 4, NVIDIA 32), not assumed.
// Subgroups are taken as runs of consecutive local indices (what Vulkan drivers do; WGSL does not
// promise it): a workgroup that finds otherwise writes NaN, and the tuner's check against the CPU
// twin rejects the schedule there. Same bindings and outputs as bias_grad.wgsl; only on devices
// with the subgroups feature. Deterministic per adapter. CPU twin: src/cpu/bias-grad.ts.
enable subgroups;

//#include lib/activation
//#include lib/finite

//#include lib/bias_grad_io

// One sum per run of S lanes (S ≥ 4: at most 64 runs).
var<workgroup> runs: array<f32, 64>;

// Invocation li = 16·c + r: column wid.x·16 + c, row lane r.
@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) sid: u32,
) {
  let r = li % 16u;
  let col = wid.x * 16u + li / 16u;
  var v = 0.0;
  if (col < dims.cols) {
    for (var row = r; row < dims.rows; row += 16u) { v += grad_at(row * dims.cols + col); }
  }
  let linear = subgroupAll(li % sg == sid);
  for (var m = 8u; m > 0u; m >>= 1u) {
    // A mask at or past S would leave the subgroup: its shuffle reads the lane itself and is dropped.
    let other = subgroupShuffleXor(v, select(0u, m, m < sg));
    v += select(0.0, other, m < sg);
  }
  let run = min(sg, 16u);
  if (li % run == 0u) { runs[li / run] = select(not_a_number(sid), v, linear); }
  workgroupBarrier();
  if (r == 0u && col < dims.cols) {
    var t = 0.0;
    let per = 16u / run;
    for (var j = 0u; j < per; j++) { t += runs[li / run + j]; }
    dBias[col] = t;
  }
}
