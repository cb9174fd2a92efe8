#!/usr/bin/env bash
# Builds gpuscale with CUDA 12.4 (the oldest toolkit it supports) on a Debian/Ubuntu machine that
# has a newer one or none: fetches Debian's CUDA 12.4.1 packages (non-free, trixie) without
# installing them, unpacks them into a toolkit root under the cache directory, and configures and
# builds every CUDA target with that nvcc (the default architectures, which for 12.4 are 80, 89 and
# 90, plus sm_90a for wgmma), then runs the tests: the kernels' PTX/SASS checks read 12.4's code,
# and the GPU tests skip without a GPU. It proves the sources compile with 12.4's nvcc, headers,
# cuBLASLt and NCCL 2.20 headers.
#
#   bash scripts/check-cuda-12.4.sh            # cache: ~/.cache/gpuscale-cuda-12.4 (about 3.5 GB)
#
# Needs curl, dpkg-deb, g++-12 (12.4's nvcc accepts GCC up to 13), python3 with pip (for the NCCL
# 2.20 headers), CMake and ninja. The build goes to build/cuda-12.4.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${GPUSCALE_CUDA124_CACHE:-$HOME/.cache/gpuscale-cuda-12.4}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
pool="$mirror/pool/non-free/n/nvidia-cuda-toolkit"
debs=(nvidia-cuda-toolkit_12.4.131~12.4.1-2_amd64.deb libnvvm4_12.4.131~12.4.1-2_amd64.deb
      nvidia-cuda-dev_12.4.127~12.4.1-2_amd64.deb)
mkdir -p "$cache/debs"
for d in "${debs[@]}"; do
  [ -s "$cache/debs/$d" ] || { echo "fetching $d"; curl -fsS -o "$cache/debs/$d.part" "$pool/$d" && mv "$cache/debs/$d.part" "$cache/debs/$d"; }
done
root="$cache/root"
if [ ! -x "$root/usr/lib/nvidia-cuda-toolkit/bin/nvcc" ]; then
  rm -rf "$root" && mkdir -p "$root"
  for d in "${debs[@]}"; do dpkg-deb -x "$cache/debs/$d" "$root"; done
fi
# A standard toolkit layout (bin, include, lib64, nvvm/libdevice) over Debian's scattered one, and an
# nvcc.profile that points there instead of /usr.
tk="$cache/toolkit"
rm -rf "$tk" && mkdir -p "$tk/bin" "$tk/nvvm"
ln -s "$root/usr/include" "$tk/include"
ln -s "$root/usr/lib/x86_64-linux-gnu" "$tk/lib64"
ln -s "$root/usr/lib/nvidia-cuda-toolkit/libdevice" "$tk/nvvm/libdevice"
ln -s "$root/usr/lib/nvidia-cuda-toolkit/bin/crt" "$tk/bin/crt"
for f in nvcc cicc; do ln -s "$root/usr/lib/nvidia-cuda-toolkit/bin/$f" "$tk/bin/$f"; done
for f in ptxas fatbinary nvlink cudafe++ bin2c nvprune; do ln -s "$root/usr/bin/$f" "$tk/bin/$f"; done
# nvcc reads nvcc.profile beside the path it was started by (bin/ here, not the link's target).
profile="$tk/bin/nvcc.profile"
cat > "$profile" <<EOF
TOP = $tk
NVVMIR_LIBRARY_DIR = \$(TOP)/nvvm/libdevice
PATH += \$(TOP)/bin:
INCLUDES += "-I\$(TOP)/include" \$(_SPACE_)
LIBRARIES =+ \$(_SPACE_) "-L\$(TOP)/lib64/stubs" "-L\$(TOP)/lib64"
EOF
# NCCL 2.20 (what CUDA 12.4 nodes ship) headers from its wheel.
nccl="$cache/nccl"
if [ ! -f "$nccl/nvidia/nccl/include/nccl.h" ]; then
  python3 -m pip download -q --no-deps "nvidia-nccl-cu12==2.20.5" -d "$cache/wheels"
  mkdir -p "$nccl" && python3 -m zipfile -e "$cache"/wheels/nvidia_nccl_cu12-2.20.5-*.whl "$nccl"
fi
export LD_LIBRARY_PATH="$tk/lib64:${LD_LIBRARY_PATH:-}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B build/cuda-12.4 -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUSCALE_CUDA=ON -DGPUSCALE_FETCH_DEPS=OFF \
  -DGPUSCALE_TESTS=ON -DCMAKE_CUDA_COMPILER="$tk/bin/nvcc" -DCMAKE_CUDA_HOST_COMPILER=g++-12 \
  -DCUDAToolkit_ROOT="$tk" -DNCCL_INCLUDE_DIR="$nccl/nvidia/nccl/include" \
  "${launcher[@]}" | grep -E "CUDA compiler identification|Found CUDAToolkit|Found NCCL|dependencies"
cmake --build build/cuda-12.4 -j "${GPUSCALE_JOBS:-$(nproc)}"
echo "check-cuda-12.4: every target built with $("$tk/bin/nvcc" --version | tail -1)"
# The kernels' PTX/SASS checks (vector loads, no spills, HGMMA) against 12.4's code generation, and
# every other test (GPU tests skip without a GPU).
ctest --test-dir build/cuda-12.4 -j "${GPUSCALE_JOBS:-$(nproc)}" --output-on-failure
