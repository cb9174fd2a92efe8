// What a new transfer benchmark costs: this one file. It adds host->device copies from
// write-combined pinned memory (cudaHostAllocWriteCombined: no CPU cache on the host side, the
// memory drivers stage uploads through) as a GpuCopyCase: its id (from its axes), parameters and
// declared work; setup (buffers, filled outside the timed region); the copy it times; the check
// after timing. Registering it is one line: registry.add(std::make_unique<WriteCombinedH2d>(bytes)).
// The harness does the rest (fit-or-skip through the guard, warm-up, batches sized from one copy,
// NVML clocks, the check call, the entry and its metrics), as for every case of bench_transfer.
//
// The first test needs no GPU (the declaration); the second (label gpu) runs it through the harness.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gpu/cuda_check.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/gpu_case.hpp"
#include "gpu/resources.hpp"
#include "gpu/verify.hpp"
#include "gpu_test_util.hpp"
#include "harness/case.hpp"
#include "harness/run.hpp"

namespace gpuscale::bench {
namespace {

// --- the new case: everything a transfer benchmark has to say ---------------------------------
class WriteCombinedH2d final : public GpuCopyCase {
 public:
  explicit WriteCombinedH2d(std::uint64_t bytes) : bytes_(bytes) {}

  BenchmarkId id() const override {
    return {"transfer",
            false,
            "h2d",
            {{"memory", "write_combined"}, {"engine", "copy_engine"}, {"bytes", std::to_string(bytes_)}}};
  }
  nlohmann::json parameters(const GpuTarget&) const override {
    return {{"direction", "h2d"},
            {"memory", "write_combined"},
            {"engine", "copy_engine"},
            {"bytes", bytes_},
            {"counts", "bytes transferred (each byte once)"}};
  }
  Work work(const GpuTarget&) const override {
    Work w;
    w.bytes_written = static_cast<double>(bytes_);
    return w;
  }

  class Body final : public GpuCopyCase::Body {
   public:
    Body(std::uint64_t bytes, int nvml_index)
        : bytes_(bytes), nvml_index_(nvml_index), dst_(bytes / sizeof(float)) {
      void* p = nullptr;
      GPUSCALE_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocWriteCombined));
      src_.reset(static_cast<float*>(p));
      for (std::size_t i = 0; i < dst_.size(); ++i) src_.get()[i] = ramp_value(i);
      GPUSCALE_CUDA_CHECK(cudaMemsetAsync(dst_.get(), 0, bytes, stream_.get()));
      stream_.synchronize();
    }
    Copies copies() override {
      return {
          &stream_,
          [this](cudaStream_t s) {
            GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(dst_.get(), src_.get(), bytes_, cudaMemcpyHostToDevice, s));
          },
          nullptr,
          {},
          nvml_index_};
    }
    std::string check(CaseState&) override {
      return compare_f32(dst_.get(), dst_.size(), true, 1, 0, 0, stream_.get())
          .describe("device destination");
    }

   private:
    struct FreeHost {
      void operator()(float* p) const { GPUSCALE_CUDA_WARN(cudaFreeHost(p)); }
    };
    std::uint64_t bytes_;
    int nvml_index_;
    Stream stream_;
    std::unique_ptr<float, FreeHost> src_;
    DeviceBuffer<float> dst_;
  };
  std::unique_ptr<GpuCopyCase::Body> setup(CaseState& state) const override {
    if (auto why = does_not_fit(bytes_); !why.empty()) {
      state.skip(why);
      return nullptr;
    }
    return std::make_unique<Body>(bytes_, state.gpu().nvml_index);
  }

 private:
  std::uint64_t bytes_;
};
// --- end of the new case ------------------------------------------------------------------------

TEST(NewTransferCase, DeclaresItsIdParametersAndWork) {
  const WriteCombinedH2d c(1 << 20);
  const BenchmarkEntry e = c.declared(GpuTarget{});
  EXPECT_EQ(e.id, "transfer/h2d/memory:write_combined/engine:copy_engine/bytes:1048576");
  EXPECT_EQ(BenchmarkId::parse(e.id).str(), e.id);
  EXPECT_EQ(e.family, "transfer");
  EXPECT_EQ(e.backend, "gpu");
  EXPECT_EQ(e.gpu_index, 0);
  EXPECT_EQ(e.work.bytes_written, 1048576);
}

class Quiet final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

TEST(NewTransferCase, RunsThroughTheHarness) {
  GPUSCALE_REQUIRE_GPU();
  Options o;
  o.policy.max_time_s = 0.05;
  bench::Run run("new_transfer_case_tests", o);
  gpu_backend().describe(0, run);
  benchmark::ClearRegisteredBenchmarks();
  Registry registry(run);
  registry.add(std::make_unique<WriteCombinedH2d>(64 << 20));  // the registration line
  Quiet quiet;
  benchmark::RunSpecifiedBenchmarks(&quiet);
  benchmark::ClearRegisteredBenchmarks();
  const auto entries = run.sink().entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].status, Status::ok) << entries[0].reason;
  EXPECT_GT(entries[0].metrics.at("bandwidth_gbps"), 0);
  EXPECT_GE(entries[0].parameters.at("batch").get<int>(), 1);
}

}  // namespace
}  // namespace gpuscale::bench
