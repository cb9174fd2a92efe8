#!/usr/bin/env bash
# Prepares, on a machine without a GPU, what scripts/gpu-check.sh needs on the lent GPU machine,
# which has the CUDA toolkit but none of Google Benchmark, GoogleTest or nlohmann/json: a Release
# build for sm_90 (plus sm_90a where a target asks for it) under .carry/build, and the shared
# libraries it needs that the GPU machine lacks under .carry/lib. MPI is left out (the
# collectives run single-process there). Then: device run with carry [".carry"] and the command
#   bash scripts/gpu-check.sh .carry/build
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${PATH}:/usr/local/cuda/bin"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
launch=(); command -v ccache >/dev/null && launch=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B .carry/build "${gen[@]}" "${launch[@]}" -DCMAKE_BUILD_TYPE=Release -DGPUSCALE_CUDA=ON \
  -DGPUSCALE_FETCH_DEPS=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON >/dev/null
cmake --build .carry/build -j "${GPUSCALE_JOBS:-$(nproc)}"
mkdir -p .carry/lib
for lib in libbenchmark.so.1 libbenchmark_main.so.1; do
  src=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
  [ -n "$src" ] && cp -L "$src" .carry/lib/
done
du -sh .carry
