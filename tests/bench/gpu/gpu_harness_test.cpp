// GPU tests of the harness (label gpu): skipped with the driver's reason on machines without a GPU.
#include <gtest/gtest.h>

#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/nvml.hpp"
#include "gpu/resources.hpp"
#include "gpu/timing.hpp"
#include "gpu/verify.hpp"
#include "gpu_test_util.hpp"
#include "harness/run.hpp"

namespace gpuscale::bench {

TEST(GpuHarness, DescribeReadsIdentityFromTheDevice) {
  GPUSCALE_REQUIRE_GPU();
  bench::Run run("gpu_harness_tests", Options{});
  const auto lines = gpu_backend().describe(0, run);
  const GpuTarget& g = run.gpu();
  EXPECT_GT(g.info.sm_count, 0);
  EXPECT_GT(g.info.memory_bytes, 0u);
  EXPECT_GT(g.info.l2_bytes, 0u);
  EXPECT_EQ(g.info.uuid.rfind("GPU-", 0), 0u);
  EXPECT_EQ(g.info.sku, sku_key_for(g.info.name, g.info.memory_bytes));
  EXPECT_FALSE(run.sink().libraries().cuda_runtime_version.empty());
  ASSERT_EQ(run.sink().gpus().size(), 1u);
  EXPECT_EQ(run.sink().gpus()[0].uuid, g.info.uuid);
  EXPECT_FALSE(lines.empty());
}

TEST(GpuHarness, CompareFindsAPlantedWrongElement) {
  GPUSCALE_REQUIRE_GPU();
  Stream s;
  const std::size_t n = (1 << 20) + 3;  // not a multiple of any vector width
  DeviceBuffer<float> x(n);
  fill_f32(x.get(), n, true, 0, s.get());
  EXPECT_EQ(compare_f32(x.get(), n, true, 1, 0, 0, s.get()).count, 0u);
  const float wrong = 42.0f;
  GPUSCALE_CUDA_CHECK(cudaMemcpy(x.get() + 777, &wrong, sizeof wrong, cudaMemcpyHostToDevice));
  const Mismatch m = compare_f32(x.get(), n, true, 1, 0, 0, s.get());
  EXPECT_EQ(m.count, 1u);
  EXPECT_EQ(m.first_index, 777u);
  EXPECT_FLOAT_EQ(m.first_value, 42.0f);
  EXPECT_FLOAT_EQ(m.first_expected, ramp_value(777));
  EXPECT_NE(m.describe("x").find("x[777]"), std::string::npos);
}

TEST(GpuHarness, SamplerBatchesShortWorkAndTimesIt) {
  GPUSCALE_REQUIRE_GPU();
  Stream s;
  DeviceBuffer<float> a(1 << 16), b(1 << 16);
  fill_f32(a.get(), a.size(), true, 0, s.get());
  SamplingPolicy p;
  p.min_sample_s = 2e-4;
  GpuSampler sampler(
      s,
      [&](cudaStream_t st) {
        GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), a.bytes(), cudaMemcpyDeviceToDevice, st));
      },
      p);
  EXPECT_GT(sampler.batch(), 1);  // a 256 KiB copy takes far less than 200 us
  const double t = sampler.sample();
  EXPECT_GT(t, 0);
  EXPECT_LT(t, 1e-3);
  EXPECT_EQ(compare_f32(b.get(), b.size(), true, 1, 0, 0, s.get()).count, 0u);
}

TEST(GpuHarness, OutOfMemoryIsACudaErrorThatSaysSo) {
  GPUSCALE_REQUIRE_GPU();
  try {
    DeviceBuffer<char> huge(std::size_t{1} << 50);  // 1 PiB
    FAIL() << "allocation of 1 PiB succeeded";
  } catch (const CudaError& e) {
    EXPECT_TRUE(e.out_of_memory()) << e.what();
  }
  EXPECT_FALSE(does_not_fit(std::size_t{1} << 50).empty());
}

TEST(GpuHarness, ClockMonitorSamplesWhenNvmlIsThere) {
  GPUSCALE_REQUIRE_GPU();
  const GpuTarget g = read_gpu_target(0);
  if (!Nvml::get().available()) GTEST_SKIP() << "NVML: " << Nvml::get().why_unavailable();
  ClockMonitor m(g.nvml_index, 5);
  m.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const Environment env = m.stop();
  EXPECT_GT(env.samples, 3);
  EXPECT_GT(env.sm_clock_mhz_median, 0);
  EXPECT_LE(env.sm_clock_mhz_min, env.sm_clock_mhz_median);
  // The driver's clock event reasons, when it reports them: names, never the idle reason.
  if (env.clock_events)
    for (const std::string& r : *env.clock_events) EXPECT_NE(r, "gpu_idle");
}

TEST(GpuHarness, HealthCountersAreConsistentWhenTheDriverReportsThem) {
  GPUSCALE_REQUIRE_GPU();
  const GpuTarget g = read_gpu_target(0);
  if (!Nvml::get().available()) GTEST_SKIP() << "NVML: " << Nvml::get().why_unavailable();
  const auto h = Nvml::get().health(g.nvml_index);
  if (!h) GTEST_SKIP() << "the driver reports no ECC, row-remapper or NVLink state for this GPU";
  if (h->nvlink_links) {
    EXPECT_GT(*h->nvlink_links, 0);
    ASSERT_TRUE(h->nvlink_links_active.has_value());
    EXPECT_LE(*h->nvlink_links_active, *h->nvlink_links);
  }
  if (h->row_remap_pending || h->row_remap_failed) EXPECT_TRUE(h->remapped_rows_uncorrectable.has_value());
  EXPECT_TRUE(read_gpu_target(0).info.health.has_value());  // what the run records
}

// The classification needs no GPU: what a body throws decides skipped or error.
TEST(GpuHarness, GuardedSkipsOutOfMemoryAndReportsOtherFailures) {
  EXPECT_FALSE(run_guarded([] {}));
  const auto oom = run_guarded([] { GPUSCALE_CUDA_CHECK(cudaErrorMemoryAllocation); });
  ASSERT_TRUE(oom);
  EXPECT_TRUE(oom->skipped);
  EXPECT_EQ(oom->reason.rfind("out of memory: ", 0), 0u) << oom->reason;
  const auto host = run_guarded([] { throw std::bad_alloc(); });
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->skipped);
  const auto bad = run_guarded([] { GPUSCALE_CUDA_CHECK(cudaErrorInvalidValue); });
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->skipped);
  const auto other = run_guarded([] { throw std::runtime_error("validation failed"); });
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->skipped);
  EXPECT_EQ(other->reason, "validation failed");
}

// An out-of-memory skip must not be reported again by the next, healthy benchmark: a failed
// cudaMalloc leaves the runtime's last error set, and the guard clears it.
TEST(GpuHarness, AnOutOfMemorySkipLeavesNoErrorForTheNextBenchmark) {
  GPUSCALE_REQUIRE_GPU();
  const auto failure = run_guarded([] { DeviceBuffer<char> huge(std::size_t{1} << 50); });  // 1 PiB
  ASSERT_TRUE(failure);
  EXPECT_TRUE(failure->skipped) << failure->reason;
  EXPECT_EQ(cudaPeekAtLastError(), cudaSuccess) << cudaGetErrorName(cudaPeekAtLastError());
  // The next benchmark: one kernel launch, checked as every benchmark checks its first launch.
  Stream s;
  DeviceBuffer<float> x(1 << 10);
  EXPECT_NO_THROW({
    fill_f32(x.get(), x.size(), true, 0, s.get());
    GPUSCALE_CUDA_CHECK_LAUNCH();
    s.synchronize();
  });
}

// A launch that throws while the sampler captures its batch must not leave the stream capturing.
TEST(GpuHarness, SamplerEndsTheCaptureWhenALaunchThrows) {
  GPUSCALE_REQUIRE_GPU();
  Stream s;
  DeviceBuffer<float> a(1 << 10), b(1 << 10);
  fill_f32(a.get(), a.size(), true, 0, s.get());
  SamplingPolicy p;
  p.min_sample_s = 1e-2;  // a 4 KiB copy is far shorter: the batch is captured into a graph
  int calls = 0;
  auto launch = [&](cudaStream_t st) {
    if (++calls == 5) throw std::runtime_error("launch 5 fails");  // 3 sizing launches, then capture
    GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), a.bytes(), cudaMemcpyDeviceToDevice, st));
  };
  EXPECT_THROW({ GpuSampler sampler(s, launch, p); }, std::runtime_error);
  EXPECT_EQ(calls, 5);
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusActive;
  ASSERT_EQ(cudaStreamIsCapturing(s.get(), &status), cudaSuccess);
  EXPECT_EQ(status, cudaStreamCaptureStatusNone);
  EXPECT_EQ(cudaPeekAtLastError(), cudaSuccess);
  // The stream works again: a sampler on it captures and replays.
  GpuSampler ok(
      s,
      [&](cudaStream_t st) {
        GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), a.bytes(), cudaMemcpyDeviceToDevice, st));
      },
      p);
  EXPECT_GT(ok.batch(), 1);
  EXPECT_GT(ok.sample(), 0);
  EXPECT_EQ(compare_f32(b.get(), b.size(), true, 1, 0, 0, s.get()).count, 0u);
}

}  // namespace gpuscale::bench
