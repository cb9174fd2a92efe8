#!/usr/bin/env bash
# The main job: builds gpuscale (configure once, then incremental) and runs the default suite on
# every local GPU, writing one results document under out/ and printing a summary table. Without
# a usable GPU it says so in one line and measures the host instead.
#
#   scripts/run.sh                      # quick suite (default)
#   scripts/run.sh --suite full         # every sweep
#   scripts/run.sh --families memory    # any other `gpuscale run` option
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v ninja >/dev/null; then export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}; fi
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_CUDA_COMPILER_LAUNCHER=ccache
fi
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="${PATH}:/usr/local/cuda/bin"
cmake --preset default >/dev/null
cmake --build --preset default -j "${GPUSCALE_JOBS:-$(nproc)}" >/dev/null
mkdir -p out
out="out/gpuscale-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ).json"
exec build/default/cli/gpuscale run -o "${out}" "$@"
