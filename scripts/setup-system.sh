#!/usr/bin/env bash
# Installs the system pieces a clean Debian bookworm machine lacks for WebGPU without a GPU:
# Chromium (ships SwiftShader, used by the browser tests) and Mesa 25's lavapipe (Node's fastest
# software Vulkan driver), from bookworm-backports; and Debian's python3-torch, which the PyTorch
# interop tests and scripts/torch_vae.py run on. Does nothing when all are there.
set -euo pipefail
need_chromium=0; need_mesa=0; need_torch=0
[ -x /usr/bin/chromium ] || need_chromium=1
if ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -Eq '^(2[5-9]|[3-9][0-9])\.'; then need_mesa=1; fi
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || need_torch=1
if [ $need_chromium = 0 ] && [ $need_mesa = 0 ] && [ $need_torch = 0 ]; then echo "setup-system: chromium, mesa 25 and python3-torch present"; exit 0; fi
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
src=/etc/apt/sources.list.d/debian.sources
if [ $need_mesa = 1 ] && [ -f $src ] && ! grep -q bookworm-backports $src; then
  $sudo sed -i 's/^Suites: bookworm bookworm-updates$/& bookworm-backports/' $src
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
[ $need_chromium = 1 ] && $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation
[ $need_mesa = 1 ] && $sudo apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers
[ $need_torch = 1 ] && $sudo apt-get install -y -qq --no-install-recommends python3-torch python3-numpy
echo "setup-system: done"
