// Dependent-load pointer chase for L1/L2/HBM latency (see pointer_chase.hpp).
#include "kernels/memory/pointer_chase.hpp"

namespace gpuscale::kernels {
namespace {

template <PointerChaseCache Cache>
__device__ __forceinline__ std::uint32_t load(const std::uint32_t* p) {
  if constexpr (Cache == PointerChaseCache::l2) {
    return __ldcg(p);
  } else {
    return *p;  // the compiler sees a read-only buffer and emits LDG.E.CONSTANT: L1 and L2
  }
}

template <PointerChaseCache Cache>
__global__ void __launch_bounds__(1) pointer_chase(const std::uint32_t* words, std::uint32_t start,
                                                   std::uint64_t loads, std::uint64_t* __restrict__ result) {
  std::uint32_t i = start;
  std::uint64_t k = 0;
  // Unrolled so the loop counter costs one compare per 8 loads; the loads stay serial because
  // each address depends on the value loaded before it.
  for (; k + 8 <= loads; k += 8) {
#pragma unroll
    for (int u = 0; u < 8; ++u) i = load<Cache>(words + i);
  }
  for (; k < loads; ++k) i = load<Cache>(words + i);
  result[0] = i;
  result[1] = k;
}

}  // namespace

cudaError_t launch_pointer_chase(const std::uint32_t* words, std::uint32_t start, std::uint64_t loads,
                                 PointerChaseCache cache, std::uint64_t* result, cudaStream_t stream) {
  if (!words || !result) return cudaErrorInvalidValue;
  if (cache == PointerChaseCache::l2)
    pointer_chase<PointerChaseCache::l2><<<1, 1, 0, stream>>>(words, start, loads, result);
  else
    pointer_chase<PointerChaseCache::l1><<<1, 1, 0, stream>>>(words, start, loads, result);
  return cudaGetLastError();
}

}  // namespace gpuscale::kernels
