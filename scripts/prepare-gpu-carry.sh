#!/usr/bin/env bash
# Prepares, on a machine without a GPU, what scripts/gpu-check.sh needs on the lent GPU machine,
# which has the CUDA toolkit but none of Google Benchmark, GoogleTest or nlohmann/json: a Release
# build for sm_90 (plus sm_90a where a target asks for it) under .carry/build, and the shared
# libraries it needs that the GPU machine lacks under .carry/lib. MPI is left out (the
# collectives run single-process there). Then: device run with carry [".carry"], timeout_s 480,
# and the command
#   bash scripts/gpu-check.sh .carry/build
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${PATH}:/usr/local/cuda/bin"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
launch=(); command -v ccache >/dev/null && launch=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B .carry/build "${gen[@]}" "${launch[@]}" -DCMAKE_BUILD_TYPE=Release -DGPUSCALE_CUDA=ON \
  -DGPUSCALE_FETCH_DEPS=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON >/dev/null
# Only what runs there: gpuscale, the bench binaries and the GPU test binaries (host-only tests
# run in CI).
targets=(gpuscale bench_memory bench_compute bench_gemm bench_collectives bench_transfer
         kernels_gpu_tests gemm_gpu_tests gpu_harness_tests gpu_binaries_tests new_transfer_case_gpu_tests)
cmake --build .carry/build -j "${GPUSCALE_JOBS:-$(nproc)}" --target "${targets[@]}"
# Shared libraries the binaries need beyond glibc, CUDA and NCCL (which the GPU machine has):
# Debian's libbenchmark.so.1debian, and the GCC runtime (gpu-check.sh puts them last on the path,
# so the GPU machine's own newer libstdc++/libgcc_s win where it has them).
rm -rf .carry/lib && mkdir -p .carry/lib
bins=(.carry/build/cli/gpuscale .carry/build/bench/*/bench_*)
while IFS= read -r t; do bins+=("$t"); done < <(find .carry/build/tests -type f -name '*gpu*_tests' -perm -u+x)
for bin in "${bins[@]}"; do
  ldd "$bin" 2>/dev/null | awk '$3 ~ /^\// {print $3}'
done | sort -u | grep -E '/lib(benchmark|gomp|stdc\+\+|gcc_s)[^/]*$' | while read -r lib; do
  cp -L "$lib" .carry/lib/
done
# Keep the carry to what runs (64 MiB travel in all; this stays under 30): no objects, static
# libraries, CMake's compiler-id folders or ninja state, no host-only test binaries; symbols stripped.
find .carry/build \( -name '*.o' -o -name '*.a' -o -name '.ninja_*' -o -name 'build.ninja' \) -delete
find .carry/build -type d -name CMakeFiles -prune -exec rm -rf {} +
find .carry/build/tests -type f -perm -u+x ! -name '*gpu*_tests' -delete
rm -f .carry/build/calibrate/bench/bench_planner
for bin in "${bins[@]}"; do strip --strip-unneeded "$bin" 2>/dev/null || true; done
ls .carry/lib
du -sh .carry
size_kib=$(du -sk .carry | cut -f1)
if [ "$size_kib" -gt $((30 * 1024)) ]; then
  echo "prepare-gpu-carry: .carry is $((size_kib / 1024)) MiB, over the 30 MiB aim" >&2
  exit 1
fi
