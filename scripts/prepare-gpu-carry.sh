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
# Shared libraries the binaries need beyond glibc, CUDA and NCCL (which the GPU machine has):
# Debian's libbenchmark.so.1debian, and the GCC runtime (a newer libstdc++ serves older code too).
rm -rf .carry/lib && mkdir -p .carry/lib
for bin in .carry/build/calibrate/gpuscale .carry/build/bench/*/bench_* $(find .carry/build/tests -name '*_tests'); do
  ldd "$bin" 2>/dev/null | awk '$3 ~ /^\// {print $3}'
done | sort -u | grep -E '/lib(benchmark|gomp|stdc\+\+|gcc_s)[^/]*$' | while read -r lib; do
  cp -L "$lib" .carry/lib/
done
# Object files and static libraries are not needed to run: keep the carry small (64 MiB in all).
find .carry/build \( -name '*.o' -o -name '*.a' \) -delete
ls .carry/lib
du -sh .carry
