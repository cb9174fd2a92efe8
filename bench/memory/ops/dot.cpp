// dot: sum += a[i] * b[i], BabelStream's reduction. Reads two arrays (a[i] = stream_a(i), b[i] =
// kStreamB), writes none; after timing the sum is checked against a reference computed on the host.
// Its kernel: kernels/memory/dot.cu.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include <cuda_runtime.h>

#include "gpu/cuda_check.hpp"
#include "kernels/memory/stream.hpp"

namespace gpuscale::kernels {  // defined in kernels/memory/dot.cu
cudaError_t launch_stream_dot(const float* a, const float* b, std::size_t n, double* partials,
                              int width_bytes, int grid, int block, cudaStream_t stream);
cudaError_t stream_dot_blocks_per_sm(int width_bytes, int block, int* blocks);
}  // namespace gpuscale::kernels
#endif

namespace gpuscale::bench {
namespace {

class Dot final : public StreamOp {
 public:
  Dot() : StreamOp({"dot", 2, 0, 2, "sum += a[i] * b[i]"}) {}

  void host_run(StreamArrays& x) const override {
    const float* __restrict a = x.a;
    const float* __restrict b = x.b;
    double sum = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
    for (std::size_t i = 0; i < x.n; ++i) sum += a[i] * b[i];
    x.result = sum;
  }
  std::string host_check(const StreamArrays& x) const override {
    double want = 0;
    for (std::size_t i = 0; i < x.n; ++i) want += static_cast<double>(stream_a(i)) * kStreamB;
    return check_sum(x.result, want, 1e-9);
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_dot_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(
        kernels::launch_stream_dot(x.a, x.b, x.n, x.partials, width_bytes, x.grid, kernels::kStreamBlock, s));
  }
  // Every product and partial sum is exact (a[i] x 2 needs 9 fraction bits): the reference is the
  // exact sum, 2 x the sum of stream_a, computed on the host.
  std::string check(const StreamArrays& x, StreamHandle) const override {
    return check_sum(x.result, kStreamB * stream_a_sum(x.n), 1e-9);
  }
#endif
};

}  // namespace

const StreamOp& stream_op_dot() {
  static const Dot op;
  return op;
}

}  // namespace gpuscale::bench
