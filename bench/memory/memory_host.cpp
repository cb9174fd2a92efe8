// Host backend of the memory family: the same operations as the GPU kernels (read, write, copy,
// scale, add, triad) on float arrays with all CPU threads (OpenMP), timed with steady_clock and
// validated after timing. Ids carry `host`: memory/host/copy/bytes:1048576. It lets the whole path
// (harness -> fragment -> gpuscale run -> results document -> schema) run on machines without a GPU.
//
//   bench_memory --backend=host --benchmark_filter=copy
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpuscale/core/memory_ops.hpp"
#include "harness/report.hpp"
#include "memory/register.hpp"
#include "memory/sizes.hpp"

namespace gpuscale::bench {
namespace {

constexpr float kScalar = 0.4f;
constexpr float kFill = 3.0f;

float a_init(std::size_t i) { return 1.0f + static_cast<float>(i % 1024) / 1024.0f; }
constexpr float kBInit = 2.0f;
constexpr float kCInit = 0.5f;

struct HostArrays {
  std::size_t n;
  std::unique_ptr<float[]> a, b, c;
  explicit HostArrays(std::size_t n_) : n(n_), a(new float[n_]), b(new float[n_]), c(new float[n_]) {
    // First touch in parallel, so pages land on the NUMA nodes of the threads that use them.
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = a_init(i);
      b[i] = kBInit;
      c[i] = kCInit;
    }
  }
};

double run_op(MemoryOp op, HostArrays& h, double& sum_out) {
  float* __restrict a = h.a.get();
  float* __restrict b = h.b.get();
  float* __restrict c = h.c.get();
  const std::size_t n = h.n;
  const auto t0 = std::chrono::steady_clock::now();
  switch (op) {
    case MemoryOp::read: {
      double sum = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
      for (std::size_t i = 0; i < n; ++i) sum += a[i];
      sum_out = sum;
      break;
    }
    case MemoryOp::write:
#pragma omp parallel for simd schedule(static)
      for (std::size_t i = 0; i < n; ++i) c[i] = kFill;
      break;
    case MemoryOp::copy:
#pragma omp parallel for simd schedule(static)
      for (std::size_t i = 0; i < n; ++i) b[i] = a[i];
      break;
    case MemoryOp::scale:
#pragma omp parallel for simd schedule(static)
      for (std::size_t i = 0; i < n; ++i) b[i] = kScalar * a[i];
      break;
    case MemoryOp::add:
#pragma omp parallel for simd schedule(static)
      for (std::size_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
      break;
    case MemoryOp::triad:
#pragma omp parallel for simd schedule(static)
      for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + kScalar * c[i];
      break;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The first wrong element as a message, or "" when the output is right.
std::string validate(MemoryOp op, const HostArrays& h, double sum) {
  auto check = [&](const float* x, auto expected, const char* name) -> std::string {
    for (std::size_t i = 0; i < h.n; ++i) {
      const float want = expected(i);
      if (x[i] != want)
        return std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(x[i]) +
               ", expected " + std::to_string(want);
    }
    return {};
  };
  switch (op) {
    case MemoryOp::read: {
      double want = 0;
      for (std::size_t i = 0; i < h.n; ++i) want += a_init(i);
      if (std::abs(sum - want) > 1e-9 * want)
        return "sum = " + std::to_string(sum) + ", expected " + std::to_string(want);
      return {};
    }
    case MemoryOp::write: return check(h.c.get(), [](std::size_t) { return kFill; }, "c");
    case MemoryOp::copy: return check(h.b.get(), [](std::size_t i) { return a_init(i); }, "b");
    case MemoryOp::scale:
      return check(h.b.get(), [](std::size_t i) { return kScalar * a_init(i); }, "b");
    case MemoryOp::add:
      return check(h.c.get(), [](std::size_t i) { return a_init(i) + kBInit; }, "c");
    case MemoryOp::triad:
      return check(h.a.get(), [](std::size_t) { return kBInit + kScalar * kCInit; }, "a");
  }
  return "unknown op";
}

void bench_host_op(benchmark::State& state, MemoryOp op, std::uint64_t bytes, SamplingPolicy policy) {
  const auto& info = memory_op_info(op);
  BenchmarkId id{"memory", true, std::string(info.name), {{"bytes", std::to_string(bytes)}}};
  BenchmarkEntry e = make_entry(id, {{"op", info.name},
                                     {"bytes", bytes},
                                     {"element_bytes", 4},
                                     {"threads", omp_get_max_threads()},
                                     {"counts", "read+write"}});
  try {
    HostArrays h(bytes / sizeof(float));
    double sum = 0;
    measure(state, e, [&] { return run_op(op, h, sum); }, policy);
    if (const std::string bad = validate(op, h, sum); !bad.empty()) {
      finish_error(state, std::move(e), "validation failed: " + bad);
      return;
    }
    const auto traffic = memory_traffic(op, h.n, sizeof(float));
    e.work.bytes_read = traffic.bytes_read;
    e.work.bytes_written = traffic.bytes_written;
    finish_ok(state, std::move(e));
  } catch (const std::bad_alloc&) {
    finish_skipped(state, std::move(e), "host memory allocation of 3 x " + format_bytes(bytes) + " failed");
  } catch (const std::exception& ex) {
    finish_error(state, std::move(e), ex.what());
  }
}

}  // namespace

void register_host_memory_benchmarks(const Options& opt) {
  for (std::uint64_t bytes : memory_sweep_bytes(opt.suite, true)) {
    for (const auto& info : kMemoryOps) {
      const std::string name =
          BenchmarkId{"memory", true, std::string(info.name), {{"bytes", std::to_string(bytes)}}}.str();
      register_benchmark(name, bench_host_op, info.op, bytes, opt.policy);
    }
  }
}

}  // namespace gpuscale::bench
