// read: sum += a[i]. Reads one array; the sum is checked against its exact value.
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/cuda_check.hpp"
#include "kernels/memory/stream.hpp"
#endif

namespace gpuscale::bench {
namespace {

class Read final : public StreamOp {
 public:
  Read() : StreamOp({"read", 1, 0, 1, "sum += a[i]"}) {}

  void host_run(StreamArrays& x) const override {
    const float* __restrict a = x.a;
    double sum = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
    for (std::size_t i = 0; i < x.n; ++i) sum += a[i];
    x.result = sum;
  }
  std::string host_check(const StreamArrays& x) const override {
    double want = 0;
    for (std::size_t i = 0; i < x.n; ++i) want += stream_a(i);
    return check_sum(x.result, want, 1e-9);
  }

#ifdef GPUSCALE_WITH_CUDA
  int blocks_per_sm(int width_bytes) const override {
    int blocks = 0;
    GPUSCALE_CUDA_CHECK(kernels::stream_read_blocks_per_sm(width_bytes, kernels::kStreamBlock, &blocks));
    return blocks;
  }
  void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const override {
    GPUSCALE_CUDA_CHECK(
        kernels::launch_stream_read(x.a, x.n, x.partials, width_bytes, x.grid, kernels::kStreamBlock, s));
  }
  std::string check(const StreamArrays& x, StreamHandle) const override {
    return check_sum(x.result, stream_a_sum(x.n), 1e-5);
  }
#endif
};

}  // namespace

const StreamOp& stream_op_read() {
  static const Read op;
  return op;
}

}  // namespace gpuscale::bench
