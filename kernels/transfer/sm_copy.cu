// SM copy kernels (see sm_copy.hpp). Each thread keeps kSmCopyUnroll independent 16-byte loads in
// flight before storing them, so a few blocks per SM saturate a link with long latency (PCIe, NVLink).
#include <cstdint>

#include "sm_copy.hpp"

namespace gpuscale::kernels {
namespace {

__global__ void __launch_bounds__(kSmCopyBlock)
    sm_copy_vec16(uint4* __restrict__ dst, const uint4* __restrict__ src, std::size_t n) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + (kSmCopyUnroll - 1) * stride < n; i += kSmCopyUnroll * stride) {
    uint4 v[kSmCopyUnroll];
#pragma unroll
    for (int k = 0; k < kSmCopyUnroll; ++k) v[k] = src[i + k * stride];
#pragma unroll
    for (int k = 0; k < kSmCopyUnroll; ++k) dst[i + k * stride] = v[k];
  }
  for (; i < n; i += stride) dst[i] = src[i];
}

__global__ void __launch_bounds__(kSmCopyBlock)
    sm_copy_bytes(unsigned char* __restrict__ dst, const unsigned char* __restrict__ src, std::size_t n) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = src[i];
}

}  // namespace

cudaError_t launch_sm_copy(void* dst, const void* src, std::size_t bytes, int grid, cudaStream_t stream) {
  if (grid < 1) return cudaErrorInvalidValue;
  if (bytes == 0) return cudaSuccess;
  const bool aligned = (reinterpret_cast<std::uintptr_t>(dst) % 16 == 0) &&
                       (reinterpret_cast<std::uintptr_t>(src) % 16 == 0) && bytes % 16 == 0;
  if (aligned)
    sm_copy_vec16<<<grid, kSmCopyBlock, 0, stream>>>(static_cast<uint4*>(dst), static_cast<const uint4*>(src),
                                                     bytes / 16);
  else
    sm_copy_bytes<<<grid, kSmCopyBlock, 0, stream>>>(static_cast<unsigned char*>(dst),
                                                     static_cast<const unsigned char*>(src), bytes);
  return cudaGetLastError();
}

}  // namespace gpuscale::kernels
