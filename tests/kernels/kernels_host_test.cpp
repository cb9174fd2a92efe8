// Host units for the kernels' validation helpers: expected values (checked against a bit-exact
// host emulation of the kernels' arithmetic), FLOP counts against hand-computed values, the
// pointer-chase cycle, and the bytes-per-op table the stream launchers share with core.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/compute/fma_peak.hpp"
#include "kernels/compute/mma_peak.hpp"
#include "kernels/compute/wgmma_peak.hpp"
#include "kernels/memory/pointer_chase.hpp"
#include "kernels/memory/stream.hpp"

namespace gpuscale::kernels {
namespace {

// Rounds v (in [0, 2), exactly representable in double) to `bits` significand bits, to nearest
// even: a single rounding of the exact a*x+b, i.e. what an FMA unit of that precision returns.
double round_to_bits(double v, int bits) {
  if (v == 0) return 0;
  int e = 0;
  std::frexp(v, &e);  // v = m * 2^e, m in [0.5, 1)
  const double scale = std::ldexp(1.0, bits - e);
  return std::nearbyint(v * scale) / scale;  // nearbyint rounds half to even by default
}

// What one thread of fma_peak computes, step by step at the type's precision.
double emulate_fma_thread(FmaType t, std::int64_t iterations) {
  const auto& info = fma_type_info(t);
  double sum = 0;
  for (int c = 0; c < kFmaChains; ++c) {
    for (int l = 0; l < info.lanes; ++l) {
      double x = round_to_bits(fma_chain_start(c, l), info.mantissa_bits);
      for (std::int64_t i = 0; i < iterations; ++i)
        x = t == FmaType::fp64 ? std::fma(x, kFmaA, kFmaB)
                               : round_to_bits(x * kFmaA + kFmaB, info.mantissa_bits);
      sum += x;
    }
  }
  return sum;
}

TEST(FmaPeak, ExpectedValueMatchesEmulationWithinTolerance) {
  for (const auto& info : kFmaTypes) {
    for (std::int64_t it : {0, 1, 2, 3, 7, 8, 15, 24, 30, 60, 1000, 4097}) {
      const double want = fma_peak_expected(info.type, it);
      const double got = emulate_fma_thread(info.type, it);
      EXPECT_NEAR(got, want, fma_peak_tolerance(info.type)) << info.name << " iterations " << it;
    }
  }
}

TEST(FmaPeak, ExpectedValueHandValues) {
  // iterations 0: sum of the starts. fp32: sum_c c/16 = 120/16 = 7.5.
  EXPECT_DOUBLE_EQ(fma_peak_expected(FmaType::fp32, 0), 7.5);
  // packed: lanes c/16 and (c+0.5)/16: 7.5 + 8 = 15.5.
  EXPECT_DOUBLE_EQ(fma_peak_expected(FmaType::fp16x2, 0), 15.5);
  // one step: x -> x/2 + 1/2, so the sum becomes 7.5/2 + 16/2 = 11.75.
  EXPECT_DOUBLE_EQ(fma_peak_expected(FmaType::fp32, 1), 11.75);
  // converged: every chain at 1.
  EXPECT_DOUBLE_EQ(fma_peak_expected(FmaType::fp64, 100000), 16.0);
  EXPECT_DOUBLE_EQ(fma_peak_expected(FmaType::bf16x2, 100000), 32.0);
}

TEST(FmaPeak, ToleranceSeparatesAWrongIterationCount) {
  // A kernel that ran one step fewer than asked must fail the check while chains still move.
  for (const auto& info : kFmaTypes) {
    const std::int64_t it = 3;
    EXPECT_GT(std::abs(fma_peak_expected(info.type, it - 1) - fma_peak_expected(info.type, it)),
              fma_peak_tolerance(info.type))
        << info.name;
  }
}

TEST(FmaPeak, Flops) {
  // 132 blocks x 256 threads x 1000 iterations x 16 chains x 2 FLOP.
  EXPECT_DOUBLE_EQ(fma_peak_flops(FmaType::fp32, 132 * 256, 1000), 132.0 * 256 * 1000 * 16 * 2);
  EXPECT_DOUBLE_EQ(fma_peak_flops(FmaType::fp64, 10, 3), 10.0 * 3 * 16 * 2);
  EXPECT_DOUBLE_EQ(fma_peak_flops(FmaType::fp16x2, 10, 3), 10.0 * 3 * 16 * 4);
  EXPECT_DOUBLE_EQ(fma_peak_flops(FmaType::bf16x2, 10, 3), 10.0 * 3 * 16 * 4);
}

TEST(MmaPeak, Shapes) {
  EXPECT_EQ(mma_type_info(MmaType::fp16).k, 16);
  EXPECT_EQ(mma_type_info(MmaType::bf16).k, 16);
  EXPECT_EQ(mma_type_info(MmaType::tf32).k, 8);
  EXPECT_EQ(mma_type_info(MmaType::int8).k, 32);
  EXPECT_EQ(mma_type_info(MmaType::fp8_e4m3).k, 32);
  EXPECT_EQ(mma_type_info(MmaType::fp8_e5m2).k, 32);
  for (const auto& i : kMmaTypes) {
    EXPECT_EQ(i.type, mma_type_info(i.type).type);
    EXPECT_EQ(i.m, 16);
    EXPECT_EQ(i.n, 8);
  }
}

TEST(MmaPeak, Flops) {
  // bf16 m16n8k16: 2*16*8*16 = 4096 FLOP per mma; 8 warps x 100 iterations x 8 accumulators.
  EXPECT_DOUBLE_EQ(mma_peak_flops(MmaType::bf16, 8, 100), 8.0 * 100 * kMmaAccumulators * 4096);
  EXPECT_DOUBLE_EQ(mma_peak_flops(MmaType::tf32, 1, 1), kMmaAccumulators * 2048.0);
  EXPECT_DOUBLE_EQ(mma_peak_flops(MmaType::fp8_e4m3, 1, 1), kMmaAccumulators * 8192.0);
}

TEST(MmaPeak, ExpectedValue) {
  // Odd count: each of the 4 registers of each of the 8 accumulators holds k.
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::fp16, 1), 8 * 4 * 16.0);
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::tf32, 12345), 8 * 4 * 8.0);
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::int8, 3), 8 * 4 * 32.0);
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::fp8_e5m2, (1ll << 40) + 1), 8 * 4 * 32.0);
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::bf16, 2), 0.0);
  EXPECT_DOUBLE_EQ(mma_peak_expected(MmaType::bf16, 0), 0.0);
}

TEST(MmaPeak, Support) {
  EXPECT_TRUE(mma_supported(MmaType::bf16, 8, 0));
  EXPECT_FALSE(mma_supported(MmaType::bf16, 7, 5));
  EXPECT_FALSE(fp8_mma_supported(8, 0));
  EXPECT_FALSE(fp8_mma_supported(8, 6));
  EXPECT_TRUE(fp8_mma_supported(8, 9));
  EXPECT_TRUE(fp8_mma_supported(9, 0));
  EXPECT_TRUE(fp8_mma_supported(10, 0));
}

TEST(WgmmaPeak, FlopsAndExpected) {
  // m64n256k16: 2*64*256*16 = 524288 FLOP per wgmma.
  EXPECT_DOUBLE_EQ(wgmma_peak_flops(WgmmaType::bf16, 264, 1001), 264.0 * 1001 * 524288);
  EXPECT_DOUBLE_EQ(wgmma_peak_flops(WgmmaType::fp8_e4m3, 1, 1), 1048576.0);
  // 64*256/128 = 128 registers per thread, each k after an odd count.
  EXPECT_DOUBLE_EQ(wgmma_peak_expected(WgmmaType::bf16, 1), 128 * 16.0);
  EXPECT_DOUBLE_EQ(wgmma_peak_expected(WgmmaType::fp16, 65537), 128 * 16.0);
  EXPECT_DOUBLE_EQ(wgmma_peak_expected(WgmmaType::fp8_e4m3, 9), 128 * 32.0);
  EXPECT_DOUBLE_EQ(wgmma_peak_expected(WgmmaType::fp8_e4m3, 8), 0.0);
}

TEST(WgmmaPeak, SupportedOnHopperOnly) {
  EXPECT_TRUE(wgmma_supported(9, 0));
  EXPECT_FALSE(wgmma_supported(8, 9));
  EXPECT_FALSE(wgmma_supported(10, 0));
  EXPECT_FALSE(wgmma_supported(12, 0));
}

TEST(PointerChase, OneCycleThroughEverySlot) {
  for (std::uint32_t stride : {4u, 64u, 128u}) {
    const std::uint64_t bytes = 4096 * 64 + 60;  // not a multiple of the stride on purpose
    const auto plan = make_pointer_chase(bytes, stride, 7);
    ASSERT_EQ(plan.words.size(), bytes / 4);
    ASSERT_EQ(plan.slots, bytes / stride);
    std::vector<bool> seen(plan.words.size(), false);
    std::uint32_t i = plan.start;
    for (std::uint64_t k = 0; k < plan.slots; ++k) {
      ASSERT_LT(i, plan.words.size());
      ASSERT_EQ(i % (stride / 4), 0u) << "load off a slot";
      ASSERT_FALSE(seen[i]) << "slot visited twice after " << k << " loads";
      seen[i] = true;
      i = plan.words[i];
    }
    EXPECT_EQ(i, plan.start) << "the chain is not one cycle through all slots";
    EXPECT_EQ(pointer_chase_end(plan.words, plan.start, plan.slots), plan.start);
    EXPECT_EQ(pointer_chase_end(plan.words, plan.start, 3 * plan.slots + 1), plan.words[plan.start]);
  }
}

TEST(PointerChase, SeedChangesOrderNotShape) {
  const auto a = make_pointer_chase(1 << 16, 64, 1);
  const auto b = make_pointer_chase(1 << 16, 64, 2);
  EXPECT_NE(a.words, b.words);
  EXPECT_EQ(a.words, make_pointer_chase(1 << 16, 64, 1).words);  // deterministic
}

TEST(PointerChase, RejectsBadArguments) {
  EXPECT_THROW(make_pointer_chase(1024, 6, 1), std::invalid_argument);
  EXPECT_THROW(make_pointer_chase(1024, 0, 1), std::invalid_argument);
  EXPECT_THROW(make_pointer_chase(64, 64, 1), std::invalid_argument);
}

TEST(Stream, Widths) {
  EXPECT_TRUE(stream_width_supported(4));
  EXPECT_TRUE(stream_width_supported(8));
  EXPECT_TRUE(stream_width_supported(16));
  EXPECT_FALSE(stream_width_supported(2));
  EXPECT_FALSE(stream_width_supported(32));
  const double partials[] = {1.5, 2.25, -0.75};
  EXPECT_DOUBLE_EQ(stream_read_total(partials, 3), 3.0);
}

}  // namespace
}  // namespace gpuscale::kernels
