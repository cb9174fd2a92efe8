#include "harness/sampling.hpp"

#include <gtest/gtest.h>

namespace gpuscale::bench {

TEST(Sampling, StopsOnceTheSpreadIsUnderTarget) {
  int calls = 0;
  SamplingPolicy p;
  p.warmup_s = 0;
  auto samples = collect_samples(
      [&] {
        ++calls;
        return 1.0;
      },
      p);
  EXPECT_EQ(samples.size(), static_cast<std::size_t>(p.min_samples));
  EXPECT_EQ(calls, p.min_samples + 2);  // two warm-up calls
}

TEST(Sampling, NoisySamplesRunToTheCountCap) {
  SamplingPolicy p;
  p.warmup_s = 0;
  p.max_samples = 40;
  p.max_time_s = 100;
  int i = 0;
  auto samples = collect_samples([&] { return (i++ % 2) ? 1.0 : 1.5; }, p);
  EXPECT_EQ(samples.size(), 40u);
}

TEST(Sampling, TimeCapStopsSampling) {
  SamplingPolicy p;
  p.warmup_s = 0;
  p.max_samples = 1000000;
  p.max_time_s = 0.05;
  int i = 0;
  auto samples = collect_samples([&] { return (i++ % 2) ? 1.0 : 2.0; }, p);
  EXPECT_GE(samples.size(), static_cast<std::size_t>(p.min_samples));
  EXPECT_LT(samples.size(), 1000000u);
}

}  // namespace gpuscale::bench
