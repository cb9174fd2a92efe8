// add: c[i] = a[i] + b[i]. Reads two arrays, writes one.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Add final : public StreamOp {
 public:
  Add() : StreamOp({"add", 2, 1, 3, "c[i] = a[i] + b[i]"}) {}

  void host_run(StreamArrays& x) const override {
    const float* __restrict a = x.a;
    const float* __restrict b = x.b;
    float* __restrict c = x.c;
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < x.n; ++i) c[i] = a[i] + b[i];
  }
  std::string host_check(const StreamArrays& x) const override {
    return check_every_element(
        x.c, x.n, [](std::size_t i) { return stream_a(i) + kStreamB; }, "c");
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_add_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(
        kernels::launch_stream_add(x.a, x.b, x.c, x.n, width_bytes, x.grid, kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle s) const override {
    return compare_f32(x.c, x.n, true, 1, kStreamB, 0, s).describe("c");
  }
#endif
};

}  // namespace

const StreamOp& stream_op_add() {
  static const Add op;
  return op;
}

}  // namespace gpuscale::bench
