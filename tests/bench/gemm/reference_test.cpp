// The FP64 check's sampling and comparison, operand sizes and the L2 rotation count.
#include "gemm/reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gpuscale::bench::gemm {
namespace {

TEST(GemmReference, SampleIndicesAreSortedDistinctAndHoldBothEnds) {
  const auto s = sample_indices(1000, 16, 42);
  ASSERT_EQ(s.size(), 16u);
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  EXPECT_EQ(std::adjacent_find(s.begin(), s.end()), s.end());
  EXPECT_EQ(s.front(), 0);
  EXPECT_EQ(s.back(), 999);
  EXPECT_EQ(s, sample_indices(1000, 16, 42));  // deterministic
  EXPECT_NE(s, sample_indices(1000, 16, 43));
  EXPECT_EQ(sample_indices(5, 16, 1), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sample_indices(1, 16, 1), (std::vector<int64_t>{0}));
}

TEST(GemmReference, SmallShapesAreCheckedInFullLargeOnesSampled) {
  const ReferencePlan small = reference_plan({512, 512, 512});  // 2^27 multiply-adds
  EXPECT_TRUE(small.full);
  EXPECT_EQ(small.rows.size(), 512u);
  EXPECT_EQ(small.cols.size(), 512u);
  const ReferencePlan large = reference_plan({1024, 1024, 1024});
  EXPECT_FALSE(large.full);
  EXPECT_EQ(large.elements(), 256u);
  EXPECT_EQ(large.rows.back(), 1023);
  const ReferencePlan skinny = reference_plan({4096, 8, 8192});  // sampled, but only 8 columns exist
  EXPECT_FALSE(skinny.full);
  EXPECT_EQ(skinny.cols.size(), 8u);
  EXPECT_EQ(skinny.rows.size(), 16u);
}

// D = op(A) B for rows {0, 2} and columns {1, 3} of a 3 x 4 result with k = 3.
struct Fixture {
  ReferencePlan plan{{0, 2}, {1, 3}, false};
  std::vector<float> a{1,  2,   3,   // op(A) row 0
                       -1, 0.5, 4};  // op(A) row 2
  std::vector<float> b{2, 0, 1,      // B column 1
                       1, 1, -1};    // B column 3
  // d[c * rows + r]: (0,1) = 5, (2,1) = 2, (0,3) = 0, (2,3) = -4.5
  std::vector<float> d{5, 2, 0, -4.5};
  Tolerance tol{0x1p-8, 0x1p-8};
};

TEST(GemmReference, ExactProductPasses) {
  Fixture f;
  const ElementCheck c = check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol);
  EXPECT_EQ(c.checked, 4u);
  EXPECT_EQ(c.bad, 0u);
  EXPECT_EQ(c.worst_ratio, 0);
  EXPECT_EQ(c.describe(), "");
}

TEST(GemmReference, RoundingWithinToleranceHardErrorNot) {
  Fixture f;
  // (2,3): ref -4.5, rw = sqrt(1 + 0.25 + 16) = 4.1533; bound = (4.5 + 4.1533) / 256 = 0.0338.
  f.d[3] = -4.5f + 0.03f;
  EXPECT_EQ(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol).bad, 0u);
  f.d[3] = -4.5f + 0.04f;
  const ElementCheck c = check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol);
  EXPECT_EQ(c.bad, 1u);
  EXPECT_EQ(c.worst_row, 2);
  EXPECT_EQ(c.worst_col, 3);
  EXPECT_DOUBLE_EQ(c.worst_expected, -4.5);
  EXPECT_NEAR(c.worst_bound, (4.5 + std::sqrt(17.25)) / 256, 1e-12);
  EXPECT_GT(c.worst_ratio, 1);
  EXPECT_NE(c.describe().find("1 of 4 elements out of tolerance; worst D[2,3]"), std::string::npos)
      << c.describe();
}

TEST(GemmReference, ZeroReferenceAllowsTheRandomWalkTerm) {
  Fixture f;
  // (0,3): ref 0 but rw = sqrt(1 + 4 + 9) = 3.742: rounding of partial sums may leave a residue.
  f.d[2] = 0.01f;
  EXPECT_EQ(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol).bad, 0u);
  f.d[2] = 0.02f;
  EXPECT_EQ(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol).bad, 1u);
}

TEST(GemmReference, NonFiniteOutputIsAlwaysBad) {
  Fixture f;
  f.d[0] = std::numeric_limits<float>::quiet_NaN();
  f.d[1] = std::numeric_limits<float>::infinity();
  const ElementCheck c = check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, {1e9, 1e9});
  EXPECT_EQ(c.bad, 2u);
}

TEST(GemmReference, Fp8ScalesMultiplyTheReference) {
  Fixture f;
  for (float& x : f.d) x /= 1024;  // A and B each scaled by 1/32
  EXPECT_EQ(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0 / 1024, f.tol).bad, 0u);
  EXPECT_EQ(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol).bad, 3u);  // (0,3) is 0 either way
}

TEST(GemmReference, MismatchedArraysThrow) {
  Fixture f;
  f.d.pop_back();
  EXPECT_THROW(check_elements(f.plan, 3, f.a, f.b, f.d, 1.0, f.tol), std::invalid_argument);
}

TEST(GemmReference, OperandBytesAreAlignedTo256) {
  const OperandBytes bf16 = operand_bytes(Precision::bf16, {1024, 2048, 512});
  EXPECT_EQ(bf16.a, 512u * 1024 * 2);
  EXPECT_EQ(bf16.b, 512u * 2048 * 2);
  EXPECT_EQ(bf16.d, 1024u * 2048 * 2);
  const OperandBytes fp8 = operand_bytes(Precision::fp8_e4m3, {16, 16, 16});
  EXPECT_EQ(fp8.a, 256u);
  EXPECT_EQ(fp8.d, 512u);  // BF16 out
  const OperandBytes odd = operand_bytes(Precision::fp32, {3, 5, 7});
  EXPECT_EQ(odd.a, 256u);  // 84 bytes rounded up
  EXPECT_EQ(odd.slot(), 768u);
}

TEST(GemmReference, RotationCoversThreeTimesTheL2) {
  const uint64_t l2 = 50ull << 20;
  EXPECT_EQ(rotation_slots(1ull << 20, l2), 150);
  EXPECT_EQ(rotation_slots(3 * (1ull << 20) + 1, l2), 50);  // ceil(150 MiB / (3 MiB + 1 B))
  EXPECT_EQ(rotation_slots(150ull << 20, l2), 1);
  EXPECT_EQ(rotation_slots(1ull << 30, l2), 1);
  // bf16 1024^3: 6 MiB a slot, 25 slots.
  EXPECT_EQ(rotation_slots(operand_bytes(Precision::bf16, {1024, 1024, 1024}).slot(), l2), 25);
  EXPECT_THROW(rotation_slots(0, l2), std::invalid_argument);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
