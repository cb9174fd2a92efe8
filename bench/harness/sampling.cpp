#include "harness/sampling.hpp"

#include <chrono>

#include "gpuscale/core/stats.hpp"

namespace gpuscale::bench {

std::vector<double> collect_samples(const std::function<double()>& sample, const SamplingPolicy& p) {
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  const auto warm = clock::now();
  for (int i = 0; i < 2 || seconds_since(warm) < p.warmup_s; ++i) sample();

  std::vector<double> samples;
  const auto start = clock::now();
  while (static_cast<int>(samples.size()) < p.max_samples) {
    samples.push_back(sample());
    const int n = static_cast<int>(samples.size());
    if (n >= p.min_samples && compute_stats(samples).cv < p.target_cv) break;
    if (n >= p.min_samples && seconds_since(start) > p.max_time_s) break;
  }
  return samples;
}

}  // namespace gpuscale::bench
