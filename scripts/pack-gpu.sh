#!/usr/bin/env bash
# Packs what a run on a machine with an NVIDIA GPU (and no node, no network) needs into .gpu/ at the project's root:
# this machine's node (xz), Dawn's node addon for linux-x64, the Vulkan loader, one bundled entry script,
# and .gpu/run.sh that unpacks them there and runs the entry on the best adapter.
#
#   bash scripts/pack-gpu.sh bench/node.ts      # the Node benchmark (npm run bench -- --node)
#   then copy .gpu/ to that machine and run there: bash .gpu/run.sh [ARGS...]
#
# This project's copy of ../shared/gpu/pack.sh: the entry is bundled by scripts/build-node.mjs, which
# turns the WGSL `?raw` imports into strings (plain esbuild cannot).
#
# Nothing can be fetched on that machine, so everything travels in .gpu/.
# The entry must import 'webgpu' (kept external; shipped in .gpu/node_modules/webgpu).
set -euo pipefail
entry=${1:?usage: pack.sh ENTRY.ts}
root=$(git rev-parse --show-toplevel)
cd "$root"
# .gpu/ is in .gitignore.
rm -rf .gpu && mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 .gpu/lib
xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
wg=node_modules/webgpu
[ -f "$wg/dist/linux-x64/dawn.node" ] || { echo "pack.sh: $wg is not installed (npm ci first)" >&2; exit 2; }
cp "$wg/package.json" "$wg/index.js" .gpu/node_modules/webgpu/
xz -T0 -6 -c "$wg/dist/linux-x64/dawn.node" > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# Vulkan loader: the GPU machine may lack libvulkan.so.1
tmp=$(mktemp -d)
( cd "$tmp" && apt-get download libvulkan1 >/dev/null 2>&1 ) || { apt-get update -qq >/dev/null && ( cd "$tmp" && apt-get download libvulkan1 >/dev/null ); }
dpkg-deb -x "$tmp"/libvulkan1_*.deb "$tmp/x"
cp -L "$tmp"/x/usr/lib/x86_64-linux-gnu/libvulkan.so.1 .gpu/lib/
rm -rf "$tmp"
node scripts/build-node.mjs "$entry" .gpu/app.mjs
cat > .gpu/run.sh <<'RUN'
#!/usr/bin/env bash
# Runs .gpu/app.mjs with node and Dawn on the machine's GPU (NVIDIA Vulkan driver when present).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -x /tmp/gpu-node ] || xz -dc "$here/node.xz" > /tmp/gpu-node && chmod +x /tmp/gpu-node
d="$here/node_modules/webgpu/dist/linux-x64"
[ -f "$d/dawn.node" ] || xz -dc "$d/dawn.node.xz" > "$d/dawn.node"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"; fi
done
echo "run.sh: node $(/tmp/gpu-node --version), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<loader default>}" >&2
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader >&2 || true
exec /tmp/gpu-node "$here/app.mjs" "$@"
RUN
chmod +x .gpu/run.sh
du -sh .gpu | awk '{print "pack.sh: .gpu is " $1 ""}'
