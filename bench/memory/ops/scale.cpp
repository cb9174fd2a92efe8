// scale: b[i] = s * a[i]. Reads one array, writes one.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Scale final : public StreamOp {
 public:
  Scale() : StreamOp({"scale", 1, 1, 2, "b[i] = s * a[i]"}) {}

  void host_run(StreamArrays& x) const override {
    const float* __restrict a = x.a;
    float* __restrict b = x.b;
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < x.n; ++i) b[i] = kStreamScalar * a[i];
  }
  std::string host_check(const StreamArrays& x) const override {
    return check_every_element(
        x.b, x.n, [](std::size_t i) { return kStreamScalar * stream_a(i); }, "b");
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_scale_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(kernels::launch_stream_scale(x.a, x.b, kStreamScalar, x.n, width_bytes, x.grid,
                                                     kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle s) const override {
    return compare_f32(x.b, x.n, true, kStreamScalar, 0, 0, s).describe("b");
  }
#endif
};

}  // namespace

const StreamOp& stream_op_scale() {
  static const Scale op;
  return op;
}

}  // namespace gpuscale::bench
