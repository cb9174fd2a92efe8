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
#include "memory/register.hpp"
#include "memory/sizes.hpp"
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

BenchmarkEntry entry_for(const std::string& name, std::uint64_t bytes, int width, nlohmann::json extra = {}) {
  BenchmarkId id{"memory", false, name, {{"bytes", std::to_string(bytes)}}};
  if (width) id.axes.emplace_back("width", std::to_string(width));
  nlohmann::json params = {{"op", name}, {"bytes", bytes}, {"counts", "read+write"}, {"cache", "warm"}};
  if (width) params["width_bytes"] = width;
  params.update(extra);
  BenchmarkEntry e = make_entry(id, params);
  e.gpu_index = current_gpu().device;
  return e;
}

void bench_stream_op(benchmark::State& state, MemoryOp op, std::uint64_t bytes, int width, SamplingPolicy policy) {
  const auto& info = memory_op_info(op);
  BenchmarkEntry e = entry_for(std::string(info.name), bytes, width);
  guarded(state, e, [&] {
    const std::size_t n = bytes / sizeof(float);
    if (auto why = does_not_fit(memory_op_arrays(op) * bytes); !why.empty())
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
    const auto traffic = memory_traffic(op, n, sizeof(float));
    e.work.bytes_read = traffic.bytes_read;
    e.work.bytes_written = traffic.bytes_written;
    finish_ok(state, std::move(e));
  });
}

// cudaMemcpyAsync device-to-device: the copy engine / driver reference for the copy kernel.
void bench_memcpy(benchmark::State& state, std::uint64_t bytes, SamplingPolicy policy) {
  BenchmarkEntry e = entry_for("memcpy", bytes, 0, {{"api", "cudaMemcpyAsync D2D"}});
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
    e.work.bytes_read = static_cast<double>(bytes);
    e.work.bytes_written = static_cast<double>(bytes);
    finish_ok(state, std::move(e));
  });
}

void bench_latency(benchmark::State& state, std::uint64_t bytes, SamplingPolicy policy) {
  BenchmarkId id{"memory", false, "latency", {{"bytes", std::to_string(bytes)}}};
  BenchmarkEntry e = make_entry(id, {{"op", "pointer_chase"}, {"bytes", bytes}, {"stride_bytes", kChaseStrideBytes}});
  e.gpu_index = current_gpu().device;
  guarded(state, e, [&] {
    if (auto why = does_not_fit(bytes); !why.empty()) return finish_skipped(state, std::move(e), why);
    Stream stream;
    PointerChase chase(bytes, stream.get());
    GpuSampler sampler(stream, [&](cudaStream_t s) { chase.launch(s); }, policy);
    measure_gpu(state, e, sampler, policy);
    if (auto bad = chase.validate(stream.get()); !bad.empty())
      return finish_error(state, std::move(e), "validation failed: " + bad);
    e.parameters["loads"] = chase.loads();
    e.work.loads = static_cast<double>(chase.loads());
    finish_ok(state, std::move(e));
  });
}

}  // namespace

void register_gpu_memory_benchmarks(const Options& opt) {
  const bool full = opt.suite == "full";
  for (std::uint64_t bytes : memory_sweep_bytes(opt.suite, false)) {
    for (const auto& info : kMemoryOps) {
      // Quick: 16-byte accesses for every op, 4 and 8 bytes for copy only. Full: every width.
      for (int width : {4, 8, 16}) {
        if (!full && width != 16 && info.op != MemoryOp::copy) continue;
        const std::string id = BenchmarkId{"memory", false, std::string(info.name),
                                           {{"bytes", std::to_string(bytes)}, {"width", std::to_string(width)}}}
                                   .str();
        register_benchmark(id, bench_stream_op, info.op, bytes, width, opt.policy);
      }
    }
    register_benchmark(BenchmarkId{"memory", false, "memcpy", {{"bytes", std::to_string(bytes)}}}.str(), bench_memcpy, bytes,
        opt.policy);
  }
  for (std::uint64_t bytes : latency_sweep_bytes(opt.suite))
    register_benchmark(BenchmarkId{"memory", false, "latency", {{"bytes", std::to_string(bytes)}}}.str(), bench_latency, bytes,
        opt.policy);
}

}  // namespace gpuscale::bench
