// Host backend of the memory family: the stream operations (bench/memory/ops/) on float arrays with
// every CPU thread (OpenMP), timed by the harness's steady clock and checked after timing. Ids carry
// `host`: memory/host/copy/bytes:1048576. It lets the whole path (harness -> fragment -> gpuscale run
// -> results document -> schema) run on machines without a GPU, and measures what the CPU delivers:
//   - each OpenMP thread is pinned to one of the CPUs the process may use (round robin), unless
//     OMP_PROC_BIND / OMP_PLACES already chose a binding, so no thread migrates away from its pages;
//   - arrays are 2 MiB aligned and asked for transparent huge pages (madvise), so a sweep over
//     hundreds of MiB does not measure TLB misses;
//   - pages are first touched by the threads that later stream them, with the same static split;
//   - every loop is a plain unit-stride `omp parallel for simd schedule(static)` over float arrays.
//
//   bench_memory --backend=host --benchmark_filter=copy
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gpuscale/core/units.hpp"
#include "memory/memory_cases.hpp"
#include "memory/sizes.hpp"
#include "memory/stream_op.hpp"

namespace gpuscale::bench {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// One array, 2 MiB aligned (whole huge pages) with transparent huge pages asked for; uninitialised.
struct FreeArray {
  void operator()(float* p) const { std::free(p); }
};
using HostArray = std::unique_ptr<float[], FreeArray>;
HostArray huge_page_array(std::size_t n) {
  const std::size_t bytes = (n * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, bytes > 0 ? bytes : kHugePage);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  (void)madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without THP the run goes on with small pages
#endif
  return HostArray(static_cast<float*>(p));
}

// The CPUs this process may run on, read once when the cases are built (before any pinning).
std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// Pins OpenMP thread t to cpus[t mod |cpus|]; nothing when the user chose a binding already.
void pin_threads(const std::vector<int>& cpus) {
  if (cpus.empty() || omp_get_proc_bind() != omp_proc_bind_false) return;
#pragma omp parallel
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<std::size_t>(omp_get_thread_num()) % cpus.size()], &one);
    (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
  }
}

// The three arrays every host run allocates, first touched by the threads that later stream them.
class HostArrays final : public HostCase::Body {
 public:
  HostArrays(const StreamOp& op, std::size_t n)
      : op_(op), a_(huge_page_array(n)), b_(huge_page_array(n)), c_(huge_page_array(n)) {
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
  void run() override {
    op_.host_run(x_);
  }
  std::string check() override {
    return op_.host_check(x_);
  }

 private:
  const StreamOp& op_;
  HostArray a_, b_, c_;
  StreamArrays x_;
};

class HostStreamCase final : public HostCase {
 public:
  HostStreamCase(const StreamOp& op, std::uint64_t bytes, std::shared_ptr<const std::vector<int>> cpus)
      : op_(op), bytes_(bytes), cpus_(std::move(cpus)) {}

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
    pin_threads(*cpus_);
    return std::make_unique<HostArrays>(op_, bytes_ / sizeof(float));
  }

 private:
  const StreamOp& op_;
  std::uint64_t bytes_;
  std::shared_ptr<const std::vector<int>> cpus_;
};

}  // namespace

CaseList memory_host_cases(const std::string& suite) {
  const auto cpus = std::make_shared<const std::vector<int>>(allowed_cpus());
  CaseList cases;
  for (std::uint64_t bytes : memory_sweep_bytes(suite, true))
    for (const StreamOp* op : stream_ops())
      cases.push_back(std::make_unique<HostStreamCase>(*op, bytes, cpus));
  return cases;
}

}  // namespace gpuscale::bench
