// copy: b[i] = a[i]. Reads one array, writes one; the quick suite runs every access width.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Copy final : public StreamOp {
 public:
  Copy() : StreamOp({"copy", 1, 1, 2, "b[i] = a[i]", /*every_width_in_quick=*/true}) {}

  void host_run(StreamArrays& x) const override {
    const float* __restrict a = x.a;
    float* __restrict b = x.b;
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < x.n; ++i) b[i] = a[i];
  }
  std::string host_check(const StreamArrays& x) const override {
    return check_every_element(
        x.b, x.n, [](std::size_t i) { return stream_a(i); }, "b");
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_copy_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(
        kernels::launch_stream_copy(x.a, x.b, x.n, width_bytes, x.grid, kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle s) const override {
    return compare_f32(x.b, x.n, true, 1, 0, 0, s).describe("b");
  }
#endif
};

}  // namespace

const StreamOp& stream_op_copy() {
  static const Copy op;
  return op;
}

}  // namespace gpuscale::bench
