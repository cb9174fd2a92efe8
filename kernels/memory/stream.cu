// BabelStream-style bandwidth kernels (see stream.hpp for the contract and the bytes formula).
//
// Layout of the work: the n floats are viewed as n / kVec vectors of Width bytes. Thread t of T
// handles vectors t, t + T, t + 2T, ... (coalesced across a warp); each step it issues
// kStreamUnroll independent loads before the first store so that several 16-byte requests per
// thread are in flight, which is what HBM needs to reach its bandwidth. The n % kVec leftover
// floats go one each to the first threads.
#include <cstdint>

#include "kernels/memory/stream.hpp"

namespace gpuscale::kernels {
namespace {

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

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_write(float* __restrict__ a, std::size_t n, float value) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  V* av = reinterpret_cast<V*>(a);
  const V fill = vfill(V{}, value);
  sweep(
      nvec, [&](std::size_t) { return fill; }, [&](std::size_t i, V v, int) { av[i] = v; });
  tail(nvec * kVec, n, [&](std::size_t i) { a[i] = value; });
}

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_copy(const float* __restrict__ a, float* __restrict__ b, std::size_t n) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  const V* av = reinterpret_cast<const V*>(a);
  V* bv = reinterpret_cast<V*>(b);
  sweep(
      nvec, [&](std::size_t i) { return __ldg(av + i); }, [&](std::size_t i, V v, int) { bv[i] = v; });
  tail(nvec * kVec, n, [&](std::size_t i) { b[i] = __ldg(a + i); });
}

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_scale(const float* __restrict__ a, float* __restrict__ b, float s, std::size_t n) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  const V* av = reinterpret_cast<const V*>(a);
  V* bv = reinterpret_cast<V*>(b);
  sweep(
      nvec, [&](std::size_t i) { return __ldg(av + i); },
      [&](std::size_t i, V v, int) { bv[i] = vmul(s, v); });
  tail(nvec * kVec, n, [&](std::size_t i) { b[i] = s * __ldg(a + i); });
}

template <typename V>
struct Pair {
  V x, y;
};

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_add(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c,
               std::size_t n) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  const V* av = reinterpret_cast<const V*>(a);
  const V* bv = reinterpret_cast<const V*>(b);
  V* cv = reinterpret_cast<V*>(c);
  sweep(
      nvec,
      [&](std::size_t i) {
        return Pair<V>{__ldg(av + i), __ldg(bv + i)};
      },
      [&](std::size_t i, Pair<V> p, int) { cv[i] = vadd(p.x, p.y); });
  tail(nvec * kVec, n, [&](std::size_t i) { c[i] = __ldg(a + i) + __ldg(b + i); });
}

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_triad(float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c, float s,
                 std::size_t n) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  V* av = reinterpret_cast<V*>(a);
  const V* bv = reinterpret_cast<const V*>(b);
  const V* cv = reinterpret_cast<const V*>(c);
  sweep(
      nvec,
      [&](std::size_t i) {
        return Pair<V>{__ldg(bv + i), __ldg(cv + i)};
      },
      [&](std::size_t i, Pair<V> p, int) { av[i] = vfma(s, p.y, p.x); });
  tail(nvec * kVec, n, [&](std::size_t i) { a[i] = fmaf(s, __ldg(c + i), __ldg(b + i)); });
}

// Sum of `v` over the block, valid in thread 0. Any block size that is a multiple of 32, <= 1024.
__device__ double block_sum(double v) {
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

// Each vector is summed in float (at most 4 values), the running sums are kept in double so the
// result stays checkable to ~1e-12 relative for any n.
template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_read(const float* __restrict__ a, std::size_t n, double* __restrict__ partials) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  const V* av = reinterpret_cast<const V*>(a);
  double acc[kStreamUnroll] = {};  // one per unrolled slot: independent add chains
  sweep(
      nvec, [&](std::size_t i) { return __ldg(av + i); },
      [&](std::size_t, V v, int u) { acc[u] += vsum(v); });
  tail(nvec * kVec, n, [&](std::size_t i) { acc[0] += __ldg(a + i); });
  double total = 0;
#pragma unroll
  for (int u = 0; u < kStreamUnroll; ++u) total += acc[u];
  total = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void stream_read_finish(const double* __restrict__ partials, int count,
                                   double* __restrict__ total) {
  double v = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) v += partials[i];
  v = block_sum(v);
  if (threadIdx.x == 0) *total = v;
}

bool aligned(const void* p, int width_bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(width_bytes) == 0;
}

bool bad_shape(int width_bytes, int grid, int block) {
  return !stream_width_supported(width_bytes) || grid <= 0 || block <= 0 || block > kStreamBlock ||
         block % 32 != 0;
}

// Instantiates kernel<4|8|16> for the run-time width and launches it.
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

template <int Width>
cudaError_t blocks_per_sm(MemoryOp op, int block, int* blocks) {
  switch (op) {
    case MemoryOp::read:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_read<Width>, block, 0);
    case MemoryOp::write:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_write<Width>, block, 0);
    case MemoryOp::copy:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_copy<Width>, block, 0);
    case MemoryOp::scale:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_scale<Width>, block, 0);
    case MemoryOp::add:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_add<Width>, block, 0);
    case MemoryOp::triad:
      return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, stream_triad<Width>, block, 0);
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t stream_blocks_per_sm(MemoryOp op, int width_bytes, int block, int* blocks) {
  if (!blocks || bad_shape(width_bytes, 1, block)) return cudaErrorInvalidValue;
  *blocks = 0;
  switch (width_bytes) {
    case 4: return blocks_per_sm<4>(op, block, blocks);
    case 8: return blocks_per_sm<8>(op, block, blocks);
    default: return blocks_per_sm<16>(op, block, blocks);
  }
}

cudaError_t launch_stream_read(const float* a, std::size_t n, double* partials, int width_bytes, int grid,
                               int block, cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !partials)
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_read, a, n, partials);
}

cudaError_t launch_stream_read_finish(const double* partials, int count, double* total, cudaStream_t stream) {
  if (count <= 0 || !partials || !total) return cudaErrorInvalidValue;
  stream_read_finish<<<1, 256, 0, stream>>>(partials, count, total);
  return cudaGetLastError();
}

cudaError_t launch_stream_write(float* a, std::size_t n, float value, int width_bytes, int grid, int block,
                                cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes)) return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_write, a, n, value);
}

cudaError_t launch_stream_copy(const float* a, float* b, std::size_t n, int width_bytes, int grid, int block,
                               cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !aligned(b, width_bytes))
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_copy, a, b, n);
}

cudaError_t launch_stream_scale(const float* a, float* b, float scalar, std::size_t n, int width_bytes,
                                int grid, int block, cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !aligned(b, width_bytes))
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_scale, a, b, scalar, n);
}

cudaError_t launch_stream_add(const float* a, const float* b, float* c, std::size_t n, int width_bytes,
                              int grid, int block, cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !aligned(b, width_bytes) ||
      !aligned(c, width_bytes))
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_add, a, b, c, n);
}

cudaError_t launch_stream_triad(float* a, const float* b, const float* c, float scalar, std::size_t n,
                                int width_bytes, int grid, int block, cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !aligned(b, width_bytes) ||
      !aligned(c, width_bytes))
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_triad, a, b, c, scalar, n);
}

cudaError_t launch_stream(MemoryOp op, const StreamArgs& x, int width_bytes, int grid, int block,
                          cudaStream_t stream) {
  switch (op) {
    case MemoryOp::read:
      return launch_stream_read(x.a, x.n, x.partials, width_bytes, grid, block, stream);
    case MemoryOp::write:
      return launch_stream_write(x.a, x.n, x.value, width_bytes, grid, block, stream);
    case MemoryOp::copy:
      return launch_stream_copy(x.a, x.b, x.n, width_bytes, grid, block, stream);
    case MemoryOp::scale:
      return launch_stream_scale(x.a, x.b, x.scalar, x.n, width_bytes, grid, block, stream);
    case MemoryOp::add:
      return launch_stream_add(x.a, x.b, x.c, x.n, width_bytes, grid, block, stream);
    case MemoryOp::triad:
      return launch_stream_triad(x.a, x.b, x.c, x.scalar, x.n, width_bytes, grid, block, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gpuscale::kernels
