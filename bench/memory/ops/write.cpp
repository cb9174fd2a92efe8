// write: a[i] = x (the GPU writes a, the host c). Writes one array.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Write final : public StreamOp {
 public:
  Write() : StreamOp({"write", 0, 1, 1, "a[i] = x"}) {}

  void host_run(StreamArrays& x) const override {
    float* __restrict c = x.c;
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < x.n; ++i) c[i] = kStreamFill;
  }
  std::string host_check(const StreamArrays& x) const override {
    return check_every_element(
        x.c, x.n, [](std::size_t) { return kStreamFill; }, "c");
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_write_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(
        kernels::launch_stream_write(x.a, x.n, kStreamFill, width_bytes, x.grid, kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle s) const override {
    return compare_f32(x.a, x.n, false, 0, kStreamFill, 0, s).describe("a");
  }
#endif
};

}  // namespace

const StreamOp& stream_op_write() {
  static const Write op;
  return op;
}

}  // namespace gpuscale::bench
