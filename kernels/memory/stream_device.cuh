// Device-side building blocks of the stream kernels (kernels/memory/stream.cu and one file per
// further operation, e.g. kernels/memory/dot.cu): float/float2/float4 vectors, the grid-stride
// sweep with kStreamUnroll accesses in flight, the scalar tail, the block reduction, and the
// launch and occupancy dispatch on the run-time access width. Included by .cu files only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/memory/stream.hpp"

namespace gpuscale::kernels::stream_device {

template <int Width>
struct VecOf;
template <>
struct VecOf<4> {
  using type = float;
};
template <>
struct VecOf<8> {
  using type = float2;
};
template <>
struct VecOf<16> {
  using type = float4;
};

// Element-wise helpers so every op is written once for float, float2 and float4.
__device__ __forceinline__ float vfill(float, float v) {
  return v;
}
__device__ __forceinline__ float2 vfill(float2, float v) {
  return make_float2(v, v);
}
__device__ __forceinline__ float4 vfill(float4, float v) {
  return make_float4(v, v, v, v);
}
__device__ __forceinline__ float vfma(float s, float x, float y) {
  return fmaf(s, x, y);
}
__device__ __forceinline__ float2 vfma(float s, float2 x, float2 y) {
  return make_float2(fmaf(s, x.x, y.x), fmaf(s, x.y, y.y));
}
__device__ __forceinline__ float4 vfma(float s, float4 x, float4 y) {
  return make_float4(fmaf(s, x.x, y.x), fmaf(s, x.y, y.y), fmaf(s, x.z, y.z), fmaf(s, x.w, y.w));
}
__device__ __forceinline__ float vmul(float s, float x) {
  return s * x;
}
__device__ __forceinline__ float2 vmul(float s, float2 x) {
  return make_float2(s * x.x, s * x.y);
}
__device__ __forceinline__ float4 vmul(float s, float4 x) {
  return make_float4(s * x.x, s * x.y, s * x.z, s * x.w);
}
__device__ __forceinline__ float vadd(float x, float y) {
  return x + y;
}
__device__ __forceinline__ float2 vadd(float2 x, float2 y) {
  return make_float2(x.x + y.x, x.y + y.y);
}
__device__ __forceinline__ float4 vadd(float4 x, float4 y) {
  return make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
}
__device__ __forceinline__ float vsum(float x) {
  return x;
}
__device__ __forceinline__ float vsum(float2 x) {
  return x.x + x.y;
}
__device__ __forceinline__ float vsum(float4 x) {
  return (x.x + x.y) + (x.z + x.w);
}

// One grid-stride sweep over nvec vectors: load(i) then store(i, value, u) for every vector index
// i, kStreamUnroll at a time with all loads of a step issued before its first store. u is the
// (compile-time after unrolling) slot of i within the step, 0 in the remainder loop.
template <typename Load, typename Store>
__device__ __forceinline__ void sweep(std::size_t nvec, Load load, Store store) {
  using Item = decltype(load(std::size_t{0}));
  const std::size_t threads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + (kStreamUnroll - 1) * threads < nvec; i += kStreamUnroll * threads) {
    Item v[kStreamUnroll];
#pragma unroll
    for (int u = 0; u < kStreamUnroll; ++u) v[u] = load(i + u * threads);
#pragma unroll
    for (int u = 0; u < kStreamUnroll; ++u) store(i + u * threads, v[u], u);
  }
  for (; i < nvec; i += threads) store(i, load(i), 0);
}

// The trailing n % kVec floats, one per thread (fewer than 4, so the first threads suffice).
template <typename Fn>
__device__ __forceinline__ void tail(std::size_t first, std::size_t n, Fn fn) {
  const std::size_t i = first + static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) fn(i);
}

// Sum of `v` over the block, valid in thread 0. Any block size that is a multiple of 32, <= 1024.
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double warp_sums[32];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int warps = (blockDim.x + 31) / 32;
    v = lane < warps ? warp_sums[lane] : 0.0;
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  return v;
}

inline bool aligned(const void* p, int width_bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(width_bytes) == 0;
}

inline bool bad_shape(int width_bytes, int grid, int block) {
  return !stream_width_supported(width_bytes) || grid <= 0 || block <= 0 || block > kStreamBlock ||
         block % 32 != 0;
}

// Instantiates kernel<4|8|16> for the run-time width and launches it (from a launcher whose
// parameters are named width_bytes, grid, block and stream).
#define GPUSCALE_STREAM_DISPATCH(kernel, ...)              \
  switch (width_bytes) {                                   \
    case 4:                                                \
      kernel<4><<<grid, block, 0, stream>>>(__VA_ARGS__);  \
      break;                                               \
    case 8:                                                \
      kernel<8><<<grid, block, 0, stream>>>(__VA_ARGS__);  \
      break;                                               \
    default:                                               \
      kernel<16><<<grid, block, 0, stream>>>(__VA_ARGS__); \
      break;                                               \
  }                                                        \
  return cudaGetLastError()

// Blocks of `block` threads of the instance of a stream kernel for `width_bytes` resident on one SM
// of the current device (cudaOccupancyMaxActiveBlocksPerMultiprocessor); k4, k8, k16: the kernel's
// instances for 4-, 8- and 16-byte accesses.
template <typename K4, typename K8, typename K16>
cudaError_t blocks_per_sm(int width_bytes, int block, int* blocks, K4 k4, K8 k8, K16 k16) {
  if (!blocks || bad_shape(width_bytes, 1, block)) return cudaErrorInvalidValue;
  *blocks = 0;
  switch (width_bytes) {
    case 4:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, k4, block, 0);
    case 8:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, k8, block, 0);
    default:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, k16, block, 0);
  }
}

}  // namespace gpuscale::kernels::stream_device
