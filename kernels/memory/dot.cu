// dot: sum += a[i] * b[i], BabelStream's reduction kernel, on float arrays with 4/8/16-byte
// accesses (the contract of stream.hpp: aligned pointers, any n, one wave of blocks).
//
// Bytes moved by one launch = 2 x n x sizeof(float) (a and b read, nothing written). Each product
// is formed in float and each vector's products summed in float (at most 4); the running sums are
// kept in double, one per unrolled slot, and block j writes its partial sum to partials[j]. The
// caller sums the `grid` partials (stream_read_total) after timing.
//
//   stream_dot_blocks_per_sm(16, kStreamBlock, &blocks);
//   launch_stream_dot(a, b, n, partials, 16, blocks * sm_count, kStreamBlock, stream);
#include <cstddef>

#include "kernels/memory/stream.hpp"
#include "kernels/memory/stream_device.cuh"

namespace gpuscale::kernels {
namespace {

using namespace stream_device;

__device__ __forceinline__ float vdot(float x, float y) {
  return x * y;
}
__device__ __forceinline__ float vdot(float2 x, float2 y) {
  return x.x * y.x + x.y * y.y;
}
__device__ __forceinline__ float vdot(float4 x, float4 y) {
  return (x.x * y.x + x.y * y.y) + (x.z * y.z + x.w * y.w);
}

template <typename V>
struct Operands {
  V a, b;
};

template <int Width>
__global__ void __launch_bounds__(kStreamBlock)
    stream_dot(const float* __restrict__ a, const float* __restrict__ b, std::size_t n,
               double* __restrict__ partials) {
  using V = typename VecOf<Width>::type;
  constexpr int kVec = Width / 4;
  const std::size_t nvec = n / kVec;
  const V* av = reinterpret_cast<const V*>(a);
  const V* bv = reinterpret_cast<const V*>(b);
  double acc[kStreamUnroll] = {};  // one per unrolled slot: independent add chains
  sweep(
      nvec,
      [&](std::size_t i) {
        return Operands<V>{__ldg(av + i), __ldg(bv + i)};
      },
      [&](std::size_t, Operands<V> o, int u) { acc[u] += vdot(o.a, o.b); });
  tail(nvec * kVec, n, [&](std::size_t i) { acc[0] += __ldg(a + i) * __ldg(b + i); });
  double total = 0;
#pragma unroll
  for (int u = 0; u < kStreamUnroll; ++u) total += acc[u];
  total = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

}  // namespace

cudaError_t launch_stream_dot(const float* a, const float* b, std::size_t n, double* partials,
                              int width_bytes, int grid, int block, cudaStream_t stream) {
  if (bad_shape(width_bytes, grid, block) || !aligned(a, width_bytes) || !aligned(b, width_bytes) ||
      !partials)
    return cudaErrorInvalidValue;
  GPUSCALE_STREAM_DISPATCH(stream_dot, a, b, n, partials);
}

cudaError_t stream_dot_blocks_per_sm(int width_bytes, int block, int* blocks) {
  return blocks_per_sm(width_bytes, block, blocks, stream_dot<4>, stream_dot<8>, stream_dot<16>);
}

}  // namespace gpuscale::kernels
