#include "gpuscale/core/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace gpuscale {

TEST(Stats, HandComputedValues) {
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, median 4.5
  const std::vector<double> v = {4, 2, 9, 4, 5, 7, 4, 5};
  Stats s = compute_stats(v);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.min, 2);
  EXPECT_DOUBLE_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_NEAR(s.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_NEAR(s.cv, std::sqrt(32.0 / 7.0) / 5, 1e-12);
  EXPECT_EQ(s.n, 8u);
  EXPECT_EQ(s.outliers_dropped, 0u);
}

TEST(Stats, OddCountMedianAndSingleSample) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  Stats one = compute_stats(std::vector<double>{7.5});
  EXPECT_DOUBLE_EQ(one.median, 7.5);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  EXPECT_EQ(one.n, 1u);
}

TEST(Stats, QuantileInterpolates) {
  // type 7: position q*(n-1); for {1,2,3,4}, q=0.25 -> 1.75
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4);
}

TEST(Stats, DropsFarOutliersOnly) {
  // Q1 = 10, Q3 = 10.3 (IQR 0.3): the far fence is 11.2, so 30 goes and 11 stays.
  const std::vector<double> v = {10, 10.1, 10.2, 10.3, 10, 10.3, 11, 30};
  Stats s = compute_stats(v);
  EXPECT_EQ(s.outliers_dropped, 1u);
  EXPECT_EQ(s.n, 7u);
  EXPECT_DOUBLE_EQ(s.max, 11);
  Stats raw = compute_stats(v, false);
  EXPECT_DOUBLE_EQ(raw.max, 30);
}

TEST(Stats, NoSamplesThrows) {
  EXPECT_THROW(compute_stats(std::vector<double>{}), std::invalid_argument);
}

}  // namespace gpuscale
