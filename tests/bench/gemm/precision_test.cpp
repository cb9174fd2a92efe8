// Precision table, tolerances per precision, and the derived GEMM metrics (tflops, % of peak,
// clock-normalised efficiency) computed by core from a GEMM entry, all against hand-computed values.
#include "gemm/precision.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gemm/shapes.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/spec_table.hpp"

namespace gpuscale::bench::gemm {
namespace {

TEST(GemmPrecision, TableNamesPeaksThatTheSpecTableKnows) {
  for (const PrecisionInfo& i : precisions()) {
    SCOPED_TRACE(std::string(i.name));
    EXPECT_TRUE(peak_from_string(i.peak).has_value());
    EXPECT_EQ(precision_from_name(i.name), i.precision);
  }
  EXPECT_EQ(info(Precision::bf16).peak, "bf16_tensor");
  EXPECT_EQ(info(Precision::fp8_e4m3).peak, "fp8_tensor");
  EXPECT_EQ(info(Precision::tf32).peak, "tf32_tensor");
  EXPECT_EQ(info(Precision::fp32).peak, "fp32");
  EXPECT_EQ(info(Precision::fp16).peak, "fp16_tensor");
  EXPECT_EQ(info(Precision::fp8_e4m3).min_compute_capability, 89);
  EXPECT_EQ(info(Precision::fp8_e4m3).output_bytes, 2);  // BF16 out
  EXPECT_EQ(precision_from_name("int8"), std::nullopt);
}

TEST(GemmPrecision, DataPatternIsRecorded) {
  EXPECT_EQ(data_pattern(Precision::bf16), "normal(0,1)");
  EXPECT_EQ(data_pattern(Precision::fp8_e4m3), "normal(0,1) x 32, per-tensor scale 1/32");
}

// tol = 2 (u_out + u_in) |ref| + (2 u_out + 8 u_in + 8 u_acc sqrt(additions)) rw
TEST(GemmTolerance, Bf16) {
  const Tolerance t = tolerance(Precision::bf16, 4096, false);
  EXPECT_DOUBLE_EQ(t.rel_ref, 2.0 / 256);
  EXPECT_DOUBLE_EQ(t.rel_rw, 2.0 / 256 + 8 * 64 / 16777216.0);  // 0.007843017578125
  EXPECT_DOUBLE_EQ(t.bound(-10, 100), 10 * (2.0 / 256) + 100 * 0.007843017578125);
}

TEST(GemmTolerance, Fp16AndFp32) {
  const Tolerance h = tolerance(Precision::fp16, 1024, false);
  EXPECT_DOUBLE_EQ(h.rel_ref, 2.0 / 2048);
  EXPECT_DOUBLE_EQ(h.rel_rw, 2.0 / 2048 + 8 * 32 / 16777216.0);
  const Tolerance s = tolerance(Precision::fp32, 256, false);
  EXPECT_DOUBLE_EQ(s.rel_ref, 2.0 / 16777216);
  EXPECT_DOUBLE_EQ(s.rel_rw, (2.0 + 8 * 16) / 16777216);
}

TEST(GemmTolerance, Tf32CountsInputTruncation) {
  const Tolerance t = tolerance(Precision::tf32, 1024, false);
  EXPECT_DOUBLE_EQ(t.rel_ref, 2 * (1.0 / 16777216 + 1.0 / 1024));
  EXPECT_DOUBLE_EQ(t.rel_rw, 2.0 / 16777216 + 8.0 / 1024 + 8 * 32 / 16777216.0);
}

TEST(GemmTolerance, Fp8FastAccumulationGrowsWithKButPromotionCapsIt) {
  const Tolerance fast = tolerance(Precision::fp8_e4m3, 16384, true);
  EXPECT_DOUBLE_EQ(fast.rel_ref, 2.0 / 256);
  EXPECT_DOUBLE_EQ(fast.rel_rw, 2.0 / 256 + 8 * 128 / 8192.0);  // 0.1328125
  const Tolerance promoted = tolerance(Precision::fp8_e4m3, 16384, false);
  EXPECT_DOUBLE_EQ(promoted.rel_rw, 2.0 / 256 + 8 * std::sqrt(128.0) / 8192);
  // Below the promotion interval both modes accumulate the same way.
  EXPECT_DOUBLE_EQ(tolerance(Precision::fp8_e4m3, 64, true).rel_rw,
                   tolerance(Precision::fp8_e4m3, 64, false).rel_rw);
  EXPECT_THROW(tolerance(Precision::bf16, 0, false), std::invalid_argument);
}

// The tolerances stay far below a gross error (about rw: a wrong transposition, a stale buffer)
// at every K bench_gemm runs, and above the precision's own rounding.
TEST(GemmTolerance, SeparatesRoundingFromGrossErrors) {
  for (const PrecisionInfo& i : precisions())
    for (int64_t k : {256, 4096, 16384, 57344}) {
      SCOPED_TRACE(std::string(i.name) + " k=" + std::to_string(k));
      for (bool fast : {false, true}) {
        const Tolerance t = tolerance(i.precision, k, fast);
        EXPECT_LT(t.rel_rw + t.rel_ref, 0.3);
        EXPECT_GE(t.rel_ref, 2 * i.u_out);
      }
    }
}

// Core derives tflops, % of peak and the clock-normalised efficiency from a GEMM entry's samples and
// work: BF16 8192^3 at 1.4 ms on an H200 (989.4 dense BF16 TFLOPS; 132 SMs x 4096 FLOP/clock).
TEST(GemmMetrics, EfficiencyFormulasOnAnH200) {
  const GpuSpec* h200 = find_spec_by_key("h200-sxm-141gb");
  ASSERT_NE(h200, nullptr);
  BenchmarkEntry e;
  e.id = "gemm/bf16/m:8192/n:8192/k:8192";
  e.family = "gemm";
  e.samples_s = {1.4e-3, 1.4e-3, 1.4e-3, 1.4e-3, 1.4e-3};
  e.work.flops = gemm_flops({8192, 8192, 8192});
  e.work.peak = std::string(info(Precision::bf16).peak);
  Environment env;
  env.sm_clock_mhz_median = 1980;
  env.sm_clock_mhz_min = 1980;
  env.samples = 10;
  e.environment = env;
  derive_metrics(e, h200, 1980);
  EXPECT_NEAR(e.metrics.at("tflops"), 785.3654484114286, 1e-9);
  EXPECT_NEAR(e.metrics.at("pct_of_peak"), 79.37795112304717, 1e-9);  // 785.37 / 989.4
  // 785.37e12 / (132 x 4096 x 1980e6)
  EXPECT_NEAR(e.metrics.at("clock_normalised_efficiency_pct"), 73.36226332589969, 1e-9);
  EXPECT_FALSE(e.environment->throttled);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
