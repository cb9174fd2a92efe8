// triad: a[i] = b[i] + s * c[i]. Reads two arrays, writes one (three arrays allocated).
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Triad final : public StreamOp {
 public:
  Triad() : StreamOp({"triad", 2, 1, 3, "a[i] = b[i] + s * c[i]"}) {}

  void host_run(StreamArrays& x) const override {
    float* __restrict a = x.a;
    const float* __restrict b = x.b;
    const float* __restrict c = x.c;
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < x.n; ++i) a[i] = b[i] + kStreamScalar * c[i];
  }
  std::string host_check(const StreamArrays& x) const override {
    return check_every_element(
        x.a, x.n, [](std::size_t) { return kStreamB + kStreamScalar * kStreamC; }, "a");
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_triad_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(kernels::launch_stream_triad(x.a, x.b, x.c, kStreamScalar, x.n, width_bytes, x.grid,
                                                     kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle s) const override {
    return compare_f32(x.a, x.n, false, 0, kStreamB + kStreamScalar * kStreamC, 1e-7f, s).describe("a");
  }
#endif
};

}  // namespace

const StreamOp& stream_op_triad() {
  static const Triad op;
  return op;
}

}  // namespace gpuscale::bench
