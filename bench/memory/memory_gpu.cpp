// GPU memory family: the stream operations (bench/memory/ops/, kernels in kernels/memory/) at
// 4/8/16-byte accesses over the size sweep, cudaMemcpyAsync device-to-device beside them as the
// reference, and the pointer chase (kernels/memory/pointer_chase.cu) for latency. Bytes moved =
// (arrays read + arrays written) x array bytes, as each operation declares; every output is checked
// on the device after timing. The grid is one wave: the SM count read at run time x the blocks of
// that kernel instance the occupancy calculator fits on one SM.
//
//   bench_memory --benchmark_filter='memory/(copy|memcpy)/.*'
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpu/cuda_check.hpp"
#include "gpu/gpu_case.hpp"
#include "gpu/resources.hpp"
#include "gpu/verify.hpp"
#include "kernels/memory/pointer_chase.hpp"
#include "kernels/memory/stream.hpp"
#include "memory/memory_cases.hpp"
#include "memory/sizes.hpp"
#include "memory/stream_op.hpp"

namespace gpuscale::bench {
namespace {

// The parameters every bandwidth entry of the family carries.
nlohmann::json bandwidth_parameters(std::string_view op, std::uint64_t bytes) {
  return {{"op", std::string(op)}, {"bytes", bytes}, {"counts", "read+write"}, {"cache", "warm"}};
}

// The device arrays of one stream op (a, then b, then c as the op allocates them) and the per-block
// partial sums of a reduction.
class StreamBody final : public GpuStreamCase::Body {
 public:
  StreamBody(const StreamOp& op, std::size_t n, int width, cudaStream_t s) : op_(op), width_(width) {
    const int count = op.info().arrays;
    a_ = DeviceBuffer<float>(n);
    fill_f32(a_.get(), n, true, 0, s);
    if (count > 1) {
      b_ = DeviceBuffer<float>(n);
      fill_f32(b_.get(), n, false, kStreamB, s);
    }
    if (count > 2) {
      c_ = DeviceBuffer<float>(n);
      fill_f32(c_.get(), n, false, kStreamC, s);
    }
    x_.a = a_.get();
    x_.b = b_.get();
    x_.c = c_.get();
    x_.n = n;
  }
  void set_grid(int grid) {
    partials_ = DeviceBuffer<double>(grid);
    x_.partials = partials_.get();
    x_.grid = grid;
  }
  void launch(cudaStream_t s) override { op_.launch(x_, width_, s); }
  std::string check(CaseState&, cudaStream_t s) override {
    std::vector<double> host(x_.grid);
    GPUSCALE_CUDA_CHECK(
        cudaMemcpyAsync(host.data(), x_.partials, partials_.bytes(), cudaMemcpyDeviceToHost, s));
    GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
    x_.result = kernels::stream_read_total(host.data(), x_.grid);
    return op_.check(x_, s);
  }

 private:
  const StreamOp& op_;
  int width_;
  DeviceBuffer<float> a_, b_, c_;
  DeviceBuffer<double> partials_;
  StreamArrays x_;
};

class StreamOpCase final : public GpuStreamCase {
 public:
  StreamOpCase(const StreamOp& op, std::uint64_t bytes, int width) : op_(op), bytes_(bytes), width_(width) {}

  BenchmarkId id() const override {
    return {"memory",
            false,
            std::string(op_.name()),
            {{"bytes", std::to_string(bytes_)}, {"width", std::to_string(width_)}}};
  }
  nlohmann::json parameters(const GpuTarget&) const override {
    nlohmann::json p = bandwidth_parameters(op_.name(), bytes_);
    p["width_bytes"] = width_;
    return p;
  }
  Work work(const GpuTarget&) const override { return op_.work(bytes_ / sizeof(float)); }
  std::uint64_t device_bytes(const GpuTarget&) const override { return op_.info().arrays * bytes_; }

  std::unique_ptr<Body> setup(CaseState& state, cudaStream_t s) const override {
    auto body = std::make_unique<StreamBody>(op_, bytes_ / sizeof(float), width_, s);
    const int blocks = op_.blocks_per_sm(width_);
    if (blocks < 1)
      throw std::runtime_error("the stream kernel fits no block of " + std::to_string(kernels::kStreamBlock) +
                               " threads on an SM");
    const int grid = blocks * state.gpu().info.sm_count;
    state.parameters()["grid"] = grid;
    body->set_grid(grid);
    return body;
  }

 private:
  const StreamOp& op_;
  std::uint64_t bytes_;
  int width_;
};

// cudaMemcpyAsync device-to-device: the copy engine / driver reference for the copy kernel.
class MemcpyCase final : public GpuStreamCase {
 public:
  explicit MemcpyCase(std::uint64_t bytes) : bytes_(bytes) {}

  BenchmarkId id() const override { return {"memory", false, "memcpy", {{"bytes", std::to_string(bytes_)}}}; }
  nlohmann::json parameters(const GpuTarget&) const override {
    nlohmann::json p = bandwidth_parameters("memcpy", bytes_);
    p["api"] = "cudaMemcpyAsync D2D";
    return p;
  }
  Work work(const GpuTarget&) const override {
    Work w;
    w.bytes_read = static_cast<double>(bytes_);
    w.bytes_written = static_cast<double>(bytes_);
    return w;
  }
  std::uint64_t device_bytes(const GpuTarget&) const override { return 2 * bytes_; }

  class Body final : public GpuStreamCase::Body {
   public:
    Body(std::uint64_t bytes, cudaStream_t s)
        : bytes_(bytes), src_(bytes / sizeof(float)), dst_(bytes / sizeof(float)) {
      fill_f32(src_.get(), src_.size(), true, 0, s);
    }
    void launch(cudaStream_t s) override {
      GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(dst_.get(), src_.get(), bytes_, cudaMemcpyDeviceToDevice, s));
    }
    std::string check(CaseState&, cudaStream_t s) override {
      return compare_f32(dst_.get(), dst_.size(), true, 1, 0, 0, s).describe("dst");
    }

   private:
    std::uint64_t bytes_;
    DeviceBuffer<float> src_, dst_;
  };
  std::unique_ptr<GpuStreamCase::Body> setup(CaseState&, cudaStream_t s) const override {
    return std::make_unique<Body>(bytes_, s);
  }

 private:
  std::uint64_t bytes_;
};

// A random cyclic pointer chase over `bytes` (one kChaseStrideBytes line per hop), built on the host;
// the chase does kChaseLoads dependent loads per launch and its end is predicted on the host.
class LatencyCase final : public GpuStreamCase {
 public:
  explicit LatencyCase(std::uint64_t bytes) : bytes_(bytes) {}

  BenchmarkId id() const override {
    return {"memory", false, "latency", {{"bytes", std::to_string(bytes_)}}};
  }
  nlohmann::json parameters(const GpuTarget&) const override {
    return {{"op", "pointer_chase"}, {"bytes", bytes_}, {"stride_bytes", kChaseStrideBytes}};
  }
  Work work(const GpuTarget&) const override {
    Work w;
    w.loads = static_cast<double>(kChaseLoads);
    return w;
  }
  std::uint64_t device_bytes(const GpuTarget&) const override { return bytes_; }

  class Body final : public GpuStreamCase::Body {
   public:
    Body(std::uint64_t bytes, cudaStream_t s) {
      const kernels::PointerChasePlan plan = kernels::make_pointer_chase(bytes, kChaseStrideBytes);
      start_ = plan.start;
      next_ = DeviceBuffer<std::uint32_t>(plan.words.size());
      result_ = DeviceBuffer<std::uint64_t>(2);
      GPUSCALE_CUDA_CHECK(
          cudaMemcpyAsync(next_.get(), plan.words.data(), next_.bytes(), cudaMemcpyHostToDevice, s));
      GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));  // plan.words is freed when this returns
      expected_end_ = kernels::pointer_chase_end(plan.words, plan.start, kChaseLoads);
    }
    void launch(cudaStream_t s) override {
      GPUSCALE_CUDA_CHECK(kernels::launch_pointer_chase(next_.get(), start_, kChaseLoads,
                                                        kernels::PointerChaseCache::l1, result_.get(), s));
    }
    std::string check(CaseState& state, cudaStream_t s) override {
      std::uint64_t got[2] = {};
      GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(got, result_.get(), sizeof got, cudaMemcpyDeviceToHost, s));
      GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
      if (got[1] != kChaseLoads)
        return "the chase did " + std::to_string(got[1]) + " loads, expected " + std::to_string(kChaseLoads);
      if (got[0] != expected_end_)
        return "the chase ended at word " + std::to_string(got[0]) + ", expected " +
               std::to_string(expected_end_);
      state.parameters()["loads"] = kChaseLoads;
      return {};
    }

   private:
    DeviceBuffer<std::uint32_t> next_;
    DeviceBuffer<std::uint64_t> result_;
    std::uint32_t start_ = 0;
    std::uint64_t expected_end_ = 0;
  };
  std::unique_ptr<GpuStreamCase::Body> setup(CaseState&, cudaStream_t s) const override {
    return std::make_unique<Body>(bytes_, s);
  }

 private:
  std::uint64_t bytes_;
};

}  // namespace

CaseList memory_gpu_cases(const std::string& suite) {
  const bool full = suite == "full";
  CaseList cases;
  for (std::uint64_t bytes : memory_sweep_bytes(suite, false)) {
    for (const StreamOp* op : stream_ops())
      for (int width : {4, 8, 16}) {
        if (!full && width != 16 && !op->info().every_width_in_quick) continue;
        cases.push_back(std::make_unique<StreamOpCase>(*op, bytes, width));
      }
    cases.push_back(std::make_unique<MemcpyCase>(bytes));
  }
  for (std::uint64_t bytes : latency_sweep_bytes(suite))
    cases.push_back(std::make_unique<LatencyCase>(bytes));
  return cases;
}

}  // namespace gpuscale::bench
