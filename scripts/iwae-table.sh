#!/bin/bash
# The issue-14 comparison (Burda et al. Table 1's ordering on the embedded split): ELBO- and IWAE-trained
# (k = 5) models, 10 epochs, with and without --binarize, ours and the PyTorch script's, seeds 0-2.
# Runs serially into DIR (outside the repo), seed by seed so an interrupted queue leaves whole seeds, and
# skips runs already finished (a metrics file with final figures). Both run from frozen copies in DIR
# (the bundle by `freeze`, the PyTorch script when its queue starts), so edits and rebuilds of the repo
# do not change a running queue.
#   bash scripts/iwae-table.sh freeze DIR   # copy dist/cli/train.mjs (+ .map) to DIR, link node_modules
#   bash scripts/iwae-table.sh ours DIR     # the 12 runs of ours
#   bash scripts/iwae-table.sh torch DIR    # the 12 runs of scripts/pytorch_vae.py (1 thread)
#   node scripts/iwae-table-md.mjs DIR      # the markdown table of what finished
# Where only the reference BLAS is installed (this machine), PyTorch steps are ~4x faster with OpenBLAS
# unpacked beside the runs, the system left alone (its first epoch's figures came out identical):
#   apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb ob
#   LD_LIBRARY_PATH=$PWD/ob/usr/lib/x86_64-linux-gnu/openblas-pthread bash scripts/iwae-table.sh torch DIR
set -u
what=${1:?usage: iwae-table.sh freeze|ours|torch DIR}
dir=${2:?usage: iwae-table.sh freeze|ours|torch DIR}
repo=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}  # REPO= when running a copy of this script
epochs=${EPOCHS:-10}
mkdir -p "$dir"
case $what in
  freeze)
    cp "$repo/dist/cli/train.mjs" "$repo/dist/cli/train.mjs.map" "$dir/"
    ln -sfn "$repo/node_modules" "$dir/node_modules"
    git -C "$repo" rev-parse HEAD > "$dir/train.mjs.commit"
    echo "froze $(cat "$dir/train.mjs.commit") into $dir"
    exit 0 ;;
  ours) ;;
  torch) cp "$repo/scripts/pytorch_vae.py" "$repo/scripts/philox_np.py" "$dir/" ;;  # frozen for this queue
  *) echo "unknown step '$what': expected freeze, ours or torch" >&2; exit 2 ;;
esac
for s in 0 1 2; do
  for bin in raw bin; do
    for obj in elbo iwae; do
      flags=(--seed "$s" --epochs "$epochs")
      [ "$bin" = bin ] && flags+=(--binarize)
      [ "$obj" = iwae ] && flags+=(--objective iwae --k-train 5)
      name=$what-$obj-$bin-s$s
      if [ "$what" = ours ]; then
        [ -f "$dir/$name/metrics.json" ] && grep -q '"final"' "$dir/$name/metrics.json" && continue
        echo "$(date -u +%T) $name"
        (cd "$dir" && node --enable-source-maps train.mjs "${flags[@]}" --no-tune --out "$dir/$name" --overwrite) > "$dir/$name.log" 2>&1
        rc=$?
      else
        [ -f "$dir/$name.json" ] && grep -q '"test_neg_lk"' "$dir/$name.json" && continue
        echo "$(date -u +%T) $name"
        /usr/bin/python3 "$dir/pytorch_vae.py" "${flags[@]}" --root "$repo" --threads 1 --out "$dir/$name.json" > "$dir/$name.log" 2>&1
        rc=$?
      fi
      [ "$rc" = 0 ] || echo "$(date -u +%T) $name failed (rc $rc), see $dir/$name.log"
    done
  done
done
echo "$(date -u +%T) $what done"
