// GPU memory family: BabelStream-style kernels (kernels/memory/stream.cu) at 4/8/16-byte accesses
// over the size sweep, cudaMemcpyAsync device-to-device beside them as the reference, and the
// pointer chase (kernels/memory/pointer_chase.cu) for latency. Bytes moved = (arrays read + arrays
// written) x array bytes, from core's memory-op table; every output is checked on the device after
// timing. The grid is one wave: the SM count read at run time x the blocks of that kernel instance
// the occupancy calculator fits on one SM.
//
//   bench_memory --benchmark_filter='memory/(copy|memcpy)/.*'
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/measure.hpp"
#include "gpu/resources.hpp"
#include "gpu/timing.hpp"
#include "gpu/verify.hpp"
#include "gpuscale/core/memory_ops.hpp"
#include "harness/report.hpp"
#include "memory/memory_cases.hpp"
#include "memory/register.hpp"
#include "memory/stream_launch.hpp"

namespace gpuscale::bench {
namespace {

constexpr float kScalar = 0.4f;
constexpr float kFill = 3.0f;
constexpr float kBInit = 2.0f;
constexpr float kCInit = 0.5f;

struct Arrays {
  DeviceBuffer<float> a, b, c;
  std::size_t n;
  Arrays(MemoryOp op, std::size_t n_, cudaStream_t s) : n(n_) {
    const int count = memory_op_arrays(op);
    a = DeviceBuffer<float>(n);
    fill_f32(a.get(), n, true, 0, s);
    if (count > 1) {
      b = DeviceBuffer<float>(n);
      fill_f32(b.get(), n, false, kBInit, s);
    }
    if (count > 2) {
      c = DeviceBuffer<float>(n);
      fill_f32(c.get(), n, false, kCInit, s);
    }
  }
};

// The first wrong output element, or "" when the op computed the right thing.
std::string validate(MemoryOp op, const Arrays& x, const StreamOutputs& out, cudaStream_t s) {
  switch (op) {
    case MemoryOp::read: {
      // sum of ramp(i): each full period of 1024 sums to 1024 + 511.5.
      const std::uint64_t periods = x.n / 1024, rest = x.n % 1024;
      const double want = periods * (1024 + 511.5) + rest + (rest * (rest - 1) / 2.0) / 1024.0;
      const double got = out.read_sum;
      if (std::abs(got - want) > 1e-5 * want)
        return "sum = " + std::to_string(got) + ", expected " + std::to_string(want);
      return {};
    }
    case MemoryOp::write: return compare_f32(x.a.get(), x.n, false, 0, kFill, 0, s).describe("a");
    case MemoryOp::copy: return compare_f32(x.b.get(), x.n, true, 1, 0, 0, s).describe("b");
    case MemoryOp::scale: return compare_f32(x.b.get(), x.n, true, kScalar, 0, 0, s).describe("b");
    case MemoryOp::add: return compare_f32(x.c.get(), x.n, true, 1, kBInit, 0, s).describe("c");
    case MemoryOp::triad: {
      const float want = kBInit + kScalar * kCInit;
      return compare_f32(x.a.get(), x.n, false, 0, want, 1e-7f, s).describe("a");
    }
  }
  return "unknown op";
}

// The entry of `c` (memory_cases.hpp: the one place its id, parameters and work are built) on this GPU.
BenchmarkEntry entry_on_this_gpu(const MemoryCase& c) {
  BenchmarkEntry e = memory_entry(c);
  e.gpu_index = current_gpu().device;
  return e;
}

void bench_stream_op(benchmark::State& state, const MemoryCase& c, const SamplingPolicy& policy) {
  const MemoryOp op = c.op;
  const int width = c.width;
  BenchmarkEntry e = entry_on_this_gpu(c);
  guarded(state, e, [&] {
    const std::size_t n = c.bytes / sizeof(float);
    if (auto why = does_not_fit(memory_op_arrays(op) * c.bytes); !why.empty())
      return finish_skipped(state, std::move(e), why);
    Stream stream;
    Arrays x(op, n, stream.get());
    const int grid = stream_grid(op, width, current_gpu().props.multiProcessorCount);
    e.parameters["grid"] = grid;
    StreamOutputs out(grid);
    const StreamLaunch launch =
        make_stream_launch(op, width, x.a.get(), x.b.get(), x.c.get(), n, kScalar, kFill, grid, out);
    GpuSampler sampler(stream, launch, policy);
    measure_gpu(state, e, sampler, policy);
    out.finish(stream.get());
    if (auto bad = validate(op, x, out, stream.get()); !bad.empty())
      return finish_error(state, std::move(e), "validation failed: " + bad);
    e.work = memory_work(c);
    finish_ok(state, std::move(e));
  });
}

// cudaMemcpyAsync device-to-device: the copy engine / driver reference for the copy kernel.
void bench_memcpy(benchmark::State& state, const MemoryCase& c, const SamplingPolicy& policy) {
  const std::uint64_t bytes = c.bytes;
  BenchmarkEntry e = entry_on_this_gpu(c);
  guarded(state, e, [&] {
    if (auto why = does_not_fit(2 * bytes); !why.empty()) return finish_skipped(state, std::move(e), why);
    const std::size_t n = bytes / sizeof(float);
    Stream stream;
    DeviceBuffer<float> src(n), dst(n);
    fill_f32(src.get(), n, true, 0, stream.get());
    GpuSampler sampler(
        stream,
        [&](cudaStream_t s) {
          GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, s));
        },
        policy);
    measure_gpu(state, e, sampler, policy);
    if (auto bad = compare_f32(dst.get(), n, true, 1, 0, 0, stream.get()).describe("dst"); !bad.empty())
      return finish_error(state, std::move(e), "validation failed: " + bad);
    e.work = memory_work(c);
    finish_ok(state, std::move(e));
  });
}

void bench_latency(benchmark::State& state, const MemoryCase& c, const SamplingPolicy& policy) {
  BenchmarkEntry e = entry_on_this_gpu(c);
  guarded(state, e, [&] {
    if (auto why = does_not_fit(c.bytes); !why.empty()) return finish_skipped(state, std::move(e), why);
    Stream stream;
    PointerChase chase(c.bytes, stream.get());
    GpuSampler sampler(stream, [&](cudaStream_t s) { chase.launch(s); }, policy);
    measure_gpu(state, e, sampler, policy);
    if (auto bad = chase.validate(stream.get()); !bad.empty())
      return finish_error(state, std::move(e), "validation failed: " + bad);
    e.parameters["loads"] = chase.loads();
    e.work = memory_work(c);
    finish_ok(state, std::move(e));
  });
}

void bench_memory_case(benchmark::State& state, MemoryCase c, SamplingPolicy policy) {
  switch (c.bench) {
    case MemoryBench::stream: return bench_stream_op(state, c, policy);
    case MemoryBench::memcpy: return bench_memcpy(state, c, policy);
    case MemoryBench::latency: return bench_latency(state, c, policy);
  }
}

}  // namespace

void register_gpu_memory_benchmarks(const Options& opt) {
  for (const MemoryCase& c : gpu_memory_cases(opt.suite))
    register_benchmark(memory_id(c), bench_memory_case, c, opt.policy);
}

}  // namespace gpuscale::bench
