#include "harness/sampling.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

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

int batch_for(double one_s, const SamplingPolicy& policy) {
  if (one_s >= policy.min_sample_s) return 1;
  // The small slack keeps 1e-4 / 1e-6 (100.00000000000001 in binary) from becoming 101.
  const double b = std::ceil(policy.min_sample_s / std::max(one_s, 1e-12) - 1e-9);
  return static_cast<int>(std::clamp(b, 1.0, 1000.0));
}

}  // namespace gpuscale::bench
