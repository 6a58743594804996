#!/bin/sh
# Ours against the PyTorch reference on one data set, seeds 0-2, 10 epochs, the MLP (the conv preset is
# too slow for 6 such runs on a 2-core software GPU): `npm run train` and scripts/pytorch_vae.py on the
# same files and test part, each queue niced, ours and PyTorch's side by side; then the table
# (scripts/tinted-table.mjs). Extra arguments go to both (e.g. --likelihood logistic). The CLI bundle
# and the Python scripts are copied first, so editing the tree while it runs changes nothing.
#   npm run tinted-digits -- --out /tmp/tinted
#   sh scripts/tinted-compare.sh /tmp/tinted/tinted.npz /tmp/tinted-runs [--likelihood L]
set -e
DATA=$1; OUT=$2; shift 2
mkdir -p "$OUT/py"
# Inside node_modules, so the bundle resolves `webgpu` as the real CLI does.
BUNDLE="node_modules/.cache/tinted-compare-$$/train.mjs"
node scripts/build-node.mjs src/cli/train.ts "$BUNDLE"
cp scripts/pytorch_vae.py scripts/image_data_np.py scripts/philox_np.py "$OUT/py/"
(for seed in 0 1 2; do
  nice -n 10 node "$BUNDLE" --data "$DATA" --arch mlp --epochs 10 --seed $seed --eval-k 0 --no-tune \
    --out "$OUT/ours-$seed" --overwrite "$@" > "$OUT/ours-$seed.log" 2>&1
done) &
ours=$!
for seed in 0 1 2; do
  nice -n 10 /usr/bin/python3 "$OUT/py/pytorch_vae.py" --data "$DATA" --arch mlp --epochs 10 --seed $seed --k 0 --threads 1 \
    --out "$OUT/torch-$seed.json" "$@" > "$OUT/torch-$seed.log" 2>&1
done
wait $ours
node scripts/tinted-table.mjs "$OUT" "$DATA" "$@" | tee "$OUT/table.md"
