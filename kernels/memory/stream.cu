// BabelStream-style bandwidth kernels (see stream.hpp for the contract and the bytes formula); the
// building blocks they share with the other stream kernels are in stream_device.cuh.
//
// Layout of the work: the n floats are viewed as n / kVec vectors of Width bytes. Thread t of T
// handles vectors t, t + T, t + 2T, ... (coalesced across a warp); each step it issues
// kStreamUnroll independent loads before the first store so that several 16-byte requests per
// thread are in flight, which is what HBM needs to reach its bandwidth. The n % kVec leftover
// floats go one each to the first threads.
#include <cstdint>

#include "kernels/memory/stream.hpp"
#include "kernels/memory/stream_device.cuh"

namespace gpuscale::kernels {
namespace {

using namespace stream_device;

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

}  // namespace

cudaError_t stream_read_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_read<4>, stream_read<8>, stream_read<16>);
}
cudaError_t stream_write_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_write<4>, stream_write<8>, stream_write<16>);
}
cudaError_t stream_copy_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_copy<4>, stream_copy<8>, stream_copy<16>);
}
cudaError_t stream_scale_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_scale<4>, stream_scale<8>, stream_scale<16>);
}
cudaError_t stream_add_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_add<4>, stream_add<8>, stream_add<16>);
}
cudaError_t stream_triad_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_triad<4>, stream_triad<8>, stream_triad<16>);
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

}  // namespace gpuscale::kernels
