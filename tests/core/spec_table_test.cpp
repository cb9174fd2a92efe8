#include "gpuscale/core/spec_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gpuscale {

TEST(SpecTable, MatchesDriverNamesExactly) {
  EXPECT_EQ(sku_key_for("NVIDIA H100 80GB HBM3"), "h100-sxm-80gb");
  EXPECT_EQ(sku_key_for("NVIDIA H200"), "h200-sxm-141gb");
  EXPECT_EQ(sku_key_for("  nvidia a100-sxm4-40gb "), "a100-sxm-40gb");
  EXPECT_EQ(sku_key_for("NVIDIA A100 80GB PCIe"), "a100-pcie-80gb");
  EXPECT_EQ(sku_key_for("NVIDIA GeForce RTX 4090"), "rtx-4090-24gb");
  // Near misses are unknown, never a guess: the H200 NVL is another SKU.
  EXPECT_EQ(sku_key_for("NVIDIA H200 NVL"), "unknown");
  EXPECT_EQ(sku_key_for("NVIDIA H100"), "unknown");
  EXPECT_EQ(sku_key_for(""), "unknown");
}

TEST(SpecTable, EveryEntryHasSourceAndUniqueKey) {
  std::set<std::string_view> keys;
  for (const auto& s : spec_table()) {
    EXPECT_FALSE(s.source.empty()) << s.key;
    EXPECT_GT(s.memory_bandwidth_gbps, 0) << s.key;
    EXPECT_GT(s.sm_count, 0) << s.key;
    EXPECT_TRUE(keys.insert(s.key).second) << "duplicate key " << s.key;
  }
  for (const char* k : {"a100-sxm-40gb", "a100-sxm-80gb", "a100-pcie-40gb", "a100-pcie-80gb", "h100-sxm-80gb",
                        "h100-pcie-80gb", "h100-nvl-94gb", "h200-sxm-141gb", "l40s-48gb", "rtx-4090-24gb",
                        "rtx-6000-ada-48gb", "b200-180gb"})
    EXPECT_NE(find_spec_by_key(k), nullptr) << k;
}

TEST(SpecTable, SxmBoardsAreToldFromPcieCards) {
  EXPECT_TRUE(find_spec_by_key("h200-sxm-141gb")->sxm());
  EXPECT_TRUE(find_spec_by_key("a100-sxm-80gb")->sxm());
  EXPECT_FALSE(find_spec_by_key("h100-pcie-80gb")->sxm());  // NVLink by bridge, not a board
}

TEST(SpecTable, DatasheetFiguresAndRatesPerClock) {
  const GpuSpec* h200 = find_spec_by_key("h200-sxm-141gb");
  ASSERT_NE(h200, nullptr);
  EXPECT_DOUBLE_EQ(h200->memory_bandwidth_gbps, 4800);
  EXPECT_DOUBLE_EQ(h200->peak(Peak::bf16_tensor), 989.4);
  EXPECT_DOUBLE_EQ(h200->peak(Peak::fp8_tensor), 1978.9);
  EXPECT_DOUBLE_EQ(h200->flops_per_clock(Peak::bf16_tensor), 132.0 * 4096);
  // The per-SM rate reproduces the datasheet FP32 figure at the boost clock: 132*256*1.98 GHz.
  EXPECT_NEAR(h200->flops_per_clock(Peak::fp32) * h200->boost_clock_mhz * 1e6 / 1e12, 66.9, 0.1);
  const GpuSpec* a100 = find_spec_by_key("a100-sxm-80gb");
  ASSERT_NE(a100, nullptr);
  // 108 SMs x 2048 x 1410 MHz = 311.9 TFLOPS, the datasheet's 312.
  EXPECT_NEAR(a100->flops_per_clock(Peak::bf16_tensor) * 1410e6 / 1e12, 312, 0.2);
  EXPECT_EQ(a100->peak(Peak::fp8_tensor), 0);  // no FP8 on Ampere
  EXPECT_EQ(find_spec_by_key("b200-180gb")->flops_per_clock(Peak::bf16_tensor), 0);
}

TEST(SpecTable, PeakNamesRoundTrip) {
  for (int i = 0; i < kPeakCount; ++i) {
    auto p = static_cast<Peak>(i);
    EXPECT_EQ(peak_from_string(to_string(p)), p);
  }
  EXPECT_FALSE(peak_from_string("bf17").has_value());
}

}  // namespace gpuscale
