// Host backend of the memory family: the stream operations (bench/memory/ops/) on float arrays with
// every CPU thread (OpenMP), timed by the harness's steady clock and checked after timing. Ids carry
// `host`: memory/host/copy/bytes:1048576. It lets the whole path (harness -> fragment -> gpuscale run
// -> results document -> schema) run on machines without a GPU.
//
//   bench_memory --backend=host --benchmark_filter=copy
#include <omp.h>

#include <memory>
#include <string>

#include "gpuscale/core/units.hpp"
#include "memory/memory_cases.hpp"
#include "memory/sizes.hpp"
#include "memory/stream_op.hpp"

namespace gpuscale::bench {
namespace {

// The three arrays every host run allocates, first touched by the threads that later stream them.
class HostArrays final : public HostCase::Body {
 public:
  HostArrays(const StreamOp& op, std::size_t n) : op_(op), a_(new float[n]), b_(new float[n]), c_(new float[n]) {
    x_.a = a_.get();
    x_.b = b_.get();
    x_.c = c_.get();
    x_.n = n;
    float* __restrict a = x_.a;
    float* __restrict b = x_.b;
    float* __restrict c = x_.c;
    // First touch in parallel, so pages land on the NUMA nodes of the threads that use them.
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = stream_a(i);
      b[i] = kStreamB;
      c[i] = kStreamC;
    }
  }
  void run() override { op_.host_run(x_); }
  std::string check() override { return op_.host_check(x_); }

 private:
  const StreamOp& op_;
  std::unique_ptr<float[]> a_, b_, c_;
  StreamArrays x_;
};

class HostStreamCase final : public HostCase {
 public:
  HostStreamCase(const StreamOp& op, std::uint64_t bytes) : op_(op), bytes_(bytes) {}

  BenchmarkId id() const override {
    return {"memory", true, std::string(op_.name()), {{"bytes", std::to_string(bytes_)}}};
  }
  nlohmann::json parameters(const GpuTarget&) const override {
    return {{"op", op_.name()},
            {"bytes", bytes_},
            {"element_bytes", 4},
            {"threads", omp_get_max_threads()},
            {"counts", "read+write"}};
  }
  Work work(const GpuTarget&) const override { return op_.work(bytes_ / sizeof(float)); }
  std::string footprint() const override { return "3 x " + format_bytes(bytes_); }
  std::unique_ptr<Body> setup(CaseState&) const override {
    return std::make_unique<HostArrays>(op_, bytes_ / sizeof(float));
  }

 private:
  const StreamOp& op_;
  std::uint64_t bytes_;
};

}  // namespace

CaseList memory_host_cases(const std::string& suite) {
  CaseList cases;
  for (std::uint64_t bytes : memory_sweep_bytes(suite, true))
    for (const StreamOp* op : stream_ops()) cases.push_back(std::make_unique<HostStreamCase>(*op, bytes));
  return cases;
}

}  // namespace gpuscale::bench
