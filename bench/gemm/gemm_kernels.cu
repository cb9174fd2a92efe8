#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <stdexcept>

#include "gemm/gemm_kernels.hpp"
#include "gpu/cuda_check.hpp"

namespace gpuscale::bench::gemm {
namespace {

constexpr int kThreads = 256;
constexpr std::size_t kMaxBlocks = 8192;  // grid-stride beyond this

__device__ __forceinline__ std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ float normal_at(std::uint64_t seed, std::size_t i) {
  const std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ull * (static_cast<std::uint64_t>(i) + 1));
  const float u1 = (static_cast<float>(h >> 40) + 1.0f) * 0x1p-24f;         // (0, 1]
  const float u2 = static_cast<float>((h >> 16) & 0xffffffull) * 0x1p-24f;  // [0, 1)
  return sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
}

template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) {
  return x;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float x) {
  return __float2half_rn(x);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <>
__device__ __forceinline__ __nv_fp8_storage_t from_float<__nv_fp8_storage_t>(float x) {
  return __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
}

template <typename T>
__device__ __forceinline__ float to_float(T x);
template <>
__device__ __forceinline__ float to_float<float>(float x) {
  return x;
}
template <>
__device__ __forceinline__ float to_float<__half>(__half x) {
  return __half2float(x);
}
template <>
__device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 x) {
  return __bfloat162float(x);
}
template <>
__device__ __forceinline__ float to_float<__nv_fp8_storage_t>(__nv_fp8_storage_t x) {
  return __half2float(__half(__nv_cvt_fp8_to_halfraw(x, __NV_E4M3)));
}

template <typename T>
__global__ void fill_normal_kernel(T* dst, std::size_t n, std::uint64_t seed, float scale) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = from_float<T>(normal_at(seed, i) * scale);
}

template <typename T>
__global__ void gather_kernel(const T* src, const std::int64_t* bases, std::int64_t n_bases,
                              const std::int64_t* offsets, std::int64_t n_offsets, float* out) {
  const std::int64_t total = n_bases * n_offsets;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const std::int64_t p = i / n_offsets, q = i % n_offsets;
    out[i] = to_float<T>(src[bases[p] + offsets[q]]);
  }
}

unsigned blocks_for(std::size_t n) {
  return static_cast<unsigned>(std::clamp<std::size_t>((n + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

template <typename T>
void launch_fill(void* dst, std::size_t n, std::uint64_t seed, float scale, cudaStream_t s) {
  fill_normal_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(dst), n, seed, scale);
  GPUSCALE_CUDA_CHECK_LAUNCH();
}

template <typename T>
void launch_gather(const void* src, const std::int64_t* bases, std::int64_t n_bases,
                   const std::int64_t* offsets, std::int64_t n_offsets, float* out, cudaStream_t s) {
  const auto total = static_cast<std::size_t>(n_bases * n_offsets);
  gather_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(static_cast<const T*>(src), bases, n_bases, offsets,
                                                          n_offsets, out);
  GPUSCALE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void fill_normal(void* dst, cudaDataType_t type, std::size_t n, std::uint64_t seed, float scale,
                 cudaStream_t s) {
  if (n == 0) return;
  switch (type) {
    case CUDA_R_32F:
      return launch_fill<float>(dst, n, seed, scale, s);
    case CUDA_R_16F:
      return launch_fill<__half>(dst, n, seed, scale, s);
    case CUDA_R_16BF:
      return launch_fill<__nv_bfloat16>(dst, n, seed, scale, s);
    case CUDA_R_8F_E4M3:
      return launch_fill<__nv_fp8_storage_t>(dst, n, seed, scale, s);
    default:
      throw std::invalid_argument("fill_normal: unsupported data type");
  }
}

void gather_to_f32(const void* src, cudaDataType_t type, const std::int64_t* bases, std::int64_t n_bases,
                   const std::int64_t* offsets, std::int64_t n_offsets, float* out, cudaStream_t s) {
  if (n_bases <= 0 || n_offsets <= 0) return;
  switch (type) {
    case CUDA_R_32F:
      return launch_gather<float>(src, bases, n_bases, offsets, n_offsets, out, s);
    case CUDA_R_16F:
      return launch_gather<__half>(src, bases, n_bases, offsets, n_offsets, out, s);
    case CUDA_R_16BF:
      return launch_gather<__nv_bfloat16>(src, bases, n_bases, offsets, n_offsets, out, s);
    case CUDA_R_8F_E4M3:
      return launch_gather<__nv_fp8_storage_t>(src, bases, n_bases, offsets, n_offsets, out, s);
    default:
      throw std::invalid_argument("gather_to_f32: unsupported data type");
  }
}

}  // namespace gpuscale::bench::gemm
