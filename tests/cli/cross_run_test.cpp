// What compare, check and report share (cli/cross_run.hpp), against hand-computed values:
// the interval of a median, Mann-Whitney U, the noise verdicts, PCIe rates, datasheet peaks, ids split
// into series, size and instance, and the size runs are compared at.
#include "cross_run.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gpuscale/core/spec_table.hpp"

namespace gpuscale {
using nlohmann::json;

namespace {

// n values around `center`: center x (1 + spread x u), u evenly spaced over [-1, 1] and shuffled
// deterministically (no wall clock, no random device).
std::vector<double> planted(double center, double spread, int n, unsigned seed) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(center * (1 + spread * (2.0 * i / (n - 1) - 1)));
  for (int i = n - 1; i > 0; --i) {
    seed = seed * 1103515245u + 12345u;
    std::swap(v[i], v[(seed >> 8) % (i + 1)]);
  }
  return v;
}

}  // namespace

TEST(MedianInterval, OrderStatisticsWithTheirBinomialCoverage) {
  // n = 10: r = 2 covers with 1 - 2 P(B <= 1) = 1 - 2 x 11/1024 = 97.85%; r = 3 only 89.1%.
  const auto m = cli::median_interval({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_DOUBLE_EQ(m.median, 5.5);
  EXPECT_DOUBLE_EQ(m.lo, 2);
  EXPECT_DOUBLE_EQ(m.hi, 9);
  EXPECT_NEAR(m.coverage, 1 - 2 * 11.0 / 1024, 1e-12);
  // n = 5 cannot reach 95%: [min, max] with its 1 - 2/32 = 93.75%.
  const auto small = cli::median_interval({3, 1, 2, 5, 4});
  EXPECT_DOUBLE_EQ(small.lo, 1);
  EXPECT_DOUBLE_EQ(small.hi, 5);
  EXPECT_NEAR(small.coverage, 0.9375, 1e-12);
}

TEST(MannWhitney, ExactAndApproximatePValues) {
  // Complete separation of 5 and 5: the exact two-sided p is 2 / C(10, 5) = 2/252.
  EXPECT_NEAR(cli::mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  EXPECT_NEAR(cli::mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 2.0 / 252, 1e-12);
  // Interleaved: U = 10 of 25; exact two-sided p = 2 P(U <= 10) = 2 x 87/252 (enumerated by hand
  // over the C(10, 5) = 252 splits).
  EXPECT_NEAR(cli::mann_whitney_p({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}), 2 * 87.0 / 252, 1e-12);
  // The same samples on both sides (all tied pairwise): no difference at all.
  EXPECT_DOUBLE_EQ(cli::mann_whitney_p({1, 2, 3}, {1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(cli::mann_whitney_p({}, {1, 2}), 1.0);
}

TEST(NoiseVerdict, SameSamplesAreTheSame) {
  const auto a = planted(1000, 0.01, 20, 1);
  const auto v = cli::noise_verdict(a, a, true);
  EXPECT_EQ(v.verdict, cli::Verdict::same);
  EXPECT_DOUBLE_EQ(v.p_value, 1.0);
}

TEST(NoiseVerdict, APlantedTwentyPercentSlowdownIsSlower) {
  const auto base = planted(1000, 0.01, 20, 1);
  const auto now = planted(800, 0.01, 20, 2);
  const auto v = cli::noise_verdict(base, now, true);
  EXPECT_EQ(v.verdict, cli::Verdict::slower);
  EXPECT_LT(v.p_value, 1e-6);
  EXPECT_NEAR(v.change_pct, -20, 0.5);
  // Also inside a 5% spread, and for a latency (lower is better) that grew by 20%.
  EXPECT_EQ(cli::noise_verdict(planted(1000, 0.05, 20, 3), planted(800, 0.05, 20, 4), true).verdict,
            cli::Verdict::slower);
  EXPECT_EQ(cli::noise_verdict(planted(500, 0.01, 20, 5), planted(600, 0.01, 20, 6), false).verdict,
            cli::Verdict::slower);
  EXPECT_EQ(cli::noise_verdict(planted(800, 0.01, 20, 7), planted(1000, 0.01, 20, 8), true).verdict,
            cli::Verdict::faster);
}

TEST(NoiseVerdict, APlantedTwoPercentChangeInsideAFivePercentSpreadIsTheSame) {
  // Even with many samples (which pin both medians down and make the shift "significant"), a change
  // smaller than the runs' own spread is `same`.
  for (int n : {10, 80, 400}) {
    const auto base = planted(1000, 0.05, n, 11);
    const auto now = planted(980, 0.05, n, 12);
    const auto v = cli::noise_verdict(base, now, true);
    EXPECT_EQ(v.verdict, cli::Verdict::same)
        << n << " samples, p=" << v.p_value << ", spread " << v.spread_pct;
    EXPECT_NEAR(v.change_pct, -2, 0.3);
    EXPECT_GT(v.spread_pct, 4);
  }
  // Too few samples for any verdict.
  EXPECT_EQ(cli::noise_verdict({1, 2, 3}, {10, 11, 12}, true).verdict, cli::Verdict::unknown);
}

TEST(Peaks, PcieRatesPerDirection) {
  EXPECT_NEAR(cli::pcie_gbps(4, 16), 16 * 16 * 128.0 / 130 / 8, 1e-9);  // 31.5 GB/s
  EXPECT_NEAR(cli::pcie_gbps(5, 16), 32 * 16 * 128.0 / 130 / 8, 1e-9);  // 63.0 GB/s
  EXPECT_NEAR(cli::pcie_gbps(2, 16), 5 * 16 * 0.8 / 8, 1e-9);           // 8 GB/s (8b/10b)
  EXPECT_EQ(cli::pcie_gbps(0, 16), 0);
  EXPECT_EQ(cli::pcie_gbps(5, 0), 0);
}

TEST(Peaks, DatasheetPeakOfEachFamily) {
  const GpuSpec* h200 = find_spec_by_key("h200-sxm-141gb");
  ASSERT_NE(h200, nullptr);
  auto entry = [](const std::string& id, const std::string& family, const std::string& metric,
                  json work = json::object(), json params = json::object()) {
    return json{{"id", id},
                {"family", family},
                {"backend", "gpu"},
                {"status", "ok"},
                {"metrics", {{metric, 1.0}}},
                {"work", work},
                {"parameters", params}};
  };
  std::string what;
  EXPECT_DOUBLE_EQ(
      cli::datasheet_peak(entry("memory/copy/bytes:1024/width:16", "memory", "bandwidth_gbps"), h200, &what),
      4800);
  EXPECT_EQ(what, "HBM datasheet");
  EXPECT_NEAR(cli::datasheet_peak(
                  entry("gemm/bf16/m:8192/n:8192/k:8192", "gemm", "tflops", {{"peak", "bf16_tensor"}}), h200),
              989.4, 1e-9);
  EXPECT_DOUBLE_EQ(cli::datasheet_peak(entry("collective/all_reduce/dtype:bf16/bytes:8/ranks:8/inplace:0",
                                             "collective", "busbw_gbps"),
                                       h200, &what),
                   450);
  EXPECT_EQ(what, "NVLink one way");
  EXPECT_NEAR(cli::datasheet_peak(entry("transfer/h2d/memory:pinned/engine:copy_engine/bytes:4096",
                                        "transfer", "bandwidth_gbps"),
                                  h200),
              cli::pcie_gbps(5, 16), 1e-9);
  EXPECT_NEAR(cli::datasheet_peak(entry("transfer/bidir/memory:pinned/engine:copy_engine/bytes:4096",
                                        "transfer", "bandwidth_gbps"),
                                  h200),
              2 * cli::pcie_gbps(5, 16), 1e-9);
  EXPECT_DOUBLE_EQ(
      cli::datasheet_peak(entry("transfer/d2d_peer/src:0/dst:1/engine:copy_engine/bytes:4096", "transfer",
                                "bandwidth_gbps", json::object(), {{"link", "nvlink"}}),
                          h200),
      450);
  EXPECT_EQ(cli::datasheet_peak(entry("memory/latency/bytes:1024", "memory", "latency_ns"), h200),
            0);  // no peak for a latency
  EXPECT_EQ(
      cli::datasheet_peak(entry("memory/copy/bytes:1024/width:16", "memory", "bandwidth_gbps"), nullptr), 0);
}

TEST(Series, IdsSplitIntoSeriesSizeAndInstance) {
  auto s = cli::split_id("memory/copy/bytes:4294967296/width:16");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->series, "memory/copy/width:16");
  EXPECT_EQ(s->label, "copy/width:16");
  EXPECT_EQ(s->size_axis, "bytes");
  EXPECT_DOUBLE_EQ(s->size, 4294967296.0);
  s = cli::split_id("gemm/bf16/m:8192/n:8192/k:8192");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->series, "gemm/bf16");
  EXPECT_EQ(s->size_axis, "m=n=k");
  EXPECT_DOUBLE_EQ(s->size, 8192);
  s = cli::split_id("gemm/bf16/model:llama-3-8b/op:qkv/pass:fwd/tokens:4096/m:4096/n:6144/k:4096");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size_axis, "");  // a layer shape is matched by its whole id
  s = cli::split_id("transfer/d2d_peer/src:0/dst:3/engine:copy_engine/bytes:268435456");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->series, "transfer/d2d_peer/engine:copy_engine");
  EXPECT_EQ(s->instance, "src:0/dst:3");
  EXPECT_FALSE(cli::split_id("memory/copy/bytes:0/width:16"));
  EXPECT_FALSE(cli::split_id("memory/copy/bytes:inf/width:16"));
  EXPECT_FALSE(cli::split_id("not an id"));
}

TEST(Series, ComparedAtTheLargestSizeEveryRunHas) {
  cli::Series a, b, c;
  for (double s : {1.0, 2.0, 4.0}) a.by_size[s];
  for (double s : {1.0, 2.0, 4.0, 16.0}) b.by_size[s];
  for (double s : {32.0}) c.by_size[s];
  EXPECT_EQ(cli::largest_common_size({&a, &b}), 4.0);
  EXPECT_FALSE(cli::largest_common_size({&a, &b, &c}));  // none shared: each at its own plateau
  EXPECT_EQ(cli::largest_common_size({&b, nullptr}), 16.0);
}

}  // namespace gpuscale
