#include "compute/compute_cases.hpp"

#include <gtest/gtest.h>

#include <set>

#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::bench {

static const ComputeCase& find_case(const std::string& id) {
  static const auto cases = compute_cases();
  for (const auto& c : cases)
    if (c.id().str() == id) return c;
  throw std::runtime_error("no case " + id);
}

TEST(ComputeCases, IdsAreStableAndUnique) {
  std::set<std::string> ids;
  for (const auto& c : compute_cases()) EXPECT_TRUE(ids.insert(c.id().str()).second) << c.id().str();
  EXPECT_EQ(ids.count("compute/fma/type:fp32"), 1u);
  EXPECT_EQ(ids.count("compute/mma/type:fp8_e4m3"), 1u);
  EXPECT_EQ(ids.count("compute/wgmma/type:bf16"), 1u);
  EXPECT_EQ(ids.size(), 13u);
}

TEST(ComputeCases, EveryPeakNameIsInTheSpecTable) {
  for (const auto& c : compute_cases()) {
    EXPECT_TRUE(peak_from_string(c.peak).has_value()) << c.id().str() << " -> " << c.peak;
    if (c.kernel != PeakKernel::fma) EXPECT_EQ(c.iterations % 2, 1) << c.id().str() << ": even counts give 0";
  }
}

TEST(ComputeCases, SupportAndPeaksFollowTheArchitecture) {
  const auto& wg = find_case("compute/wgmma/type:bf16");
  EXPECT_EQ(compute_unsupported_reason(wg, 9, 0), "");
  EXPECT_NE(compute_unsupported_reason(wg, 8, 0).find("Hopper"), std::string::npos);
  EXPECT_NE(compute_unsupported_reason(wg, 10, 0), "");
  const auto& fp8 = find_case("compute/mma/type:fp8_e4m3");
  EXPECT_NE(compute_unsupported_reason(fp8, 8, 0).find("8.9"), std::string::npos);
  EXPECT_EQ(compute_peak_for(fp8, 8, 9), "fp8_tensor");  // native QMMA on Ada
  EXPECT_EQ(compute_peak_for(fp8, 9, 0), "");            // emulated on Hopper: no datasheet peak
  EXPECT_EQ(compute_peak_for(find_case("compute/mma/type:bf16"), 9, 0), "bf16_tensor");
}

TEST(ComputeCases, FlopCountsByHand) {
  // wgmma BF16 m64n256k16: 2*64*256*16 = 524288 FLOP per instruction per warpgroup.
  const auto& wg = find_case("compute/wgmma/type:bf16");
  EXPECT_DOUBLE_EQ(compute_flops(wg, 256, 3), 2 * 3 * 524288.0);
  // mma.sync m16n8k16: 4096 FLOP per instruction per warp, 8 accumulators.
  EXPECT_DOUBLE_EQ(compute_flops(find_case("compute/mma/type:fp16"), 64, 5), 2 * 5 * 8 * 4096.0);
  // FFMA: 2 FLOP per chain step, 16 chains; HFMA2: 4.
  EXPECT_DOUBLE_EQ(compute_flops(find_case("compute/fma/type:fp32"), 10, 7), 10 * 7 * 16 * 2.0);
  EXPECT_DOUBLE_EQ(compute_flops(find_case("compute/fma/type:bf16x2"), 10, 7), 10 * 7 * 16 * 4.0);
}

TEST(ComputeCases, ClockNormalisedEfficiencyOfAnH200WgmmaRun) {
  // 132 SMs x 3 warpgroups, 16385 wgmma each, in 5 ms at a measured 1830 MHz.
  const auto& wg = find_case("compute/wgmma/type:bf16");
  EXPECT_EQ(wg.block, 384);
  const double flops = compute_flops(wg, 132 * 384, 16385);
  const double tf = tflops(flops, 5e-3);
  const GpuSpec* h200 = find_spec_by_key("h200-sxm-141gb");
  const double eff = clock_normalised_efficiency_pct(tf, h200->flops_per_clock(Peak::bf16_tensor), 1830);
  EXPECT_NEAR(eff, 100.0 * flops / 5e-3 / (132 * 4096.0 * 1830e6), 1e-9);
}

}  // namespace gpuscale::bench
