#include "collectives/rank_stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "gpuscale/core/stats.hpp"

namespace gpuscale::bench {

RankAggregate aggregate_ranks(const std::vector<std::vector<double>>& per_rank) {
  if (per_rank.empty()) throw std::invalid_argument("aggregate_ranks: no ranks");
  const std::size_t n = per_rank.front().size();
  for (const auto& r : per_rank)
    if (r.size() != n)
      throw std::invalid_argument("aggregate_ranks: ranks took different numbers of samples");
  RankAggregate a;
  a.completion_s.assign(n, 0.0);
  for (const auto& r : per_rank)
    for (std::size_t i = 0; i < n; ++i) a.completion_s[i] = std::max(a.completion_s[i], r[i]);
  double sum = 0;
  for (std::size_t r = 0; r < per_rank.size(); ++r) {
    const double m = median(per_rank[r]);
    a.rank_median_s.push_back(m);
    sum += m;
    if (r == 0 || m > a.max_s) {
      a.max_s = m;
      a.slowest_rank = static_cast<int>(r);
    }
    if (r == 0 || m < a.min_s) a.min_s = m;
  }
  a.avg_s = sum / static_cast<double>(per_rank.size());
  return a;
}

InStepSamples collect_samples_in_step(const std::function<double()>& sample, const SamplingPolicy& p,
                                      const MaxOverRanks& max_over_ranks) {
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  const auto warm = clock::now();
  for (int i = 0;; ++i) {
    sample();
    const auto agreed = max_over_ranks({0.0, seconds_since(warm)});
    if (i >= 1 && agreed[1] >= p.warmup_s) break;
  }
  InStepSamples out;
  std::vector<double>& mine = out.mine;
  std::vector<double>& slowest = out.slowest;
  const auto start = clock::now();
  while (static_cast<int>(mine.size()) < p.max_samples) {
    const double t = sample();
    const auto agreed = max_over_ranks({t, seconds_since(start)});
    mine.push_back(t);
    slowest.push_back(agreed[0]);
    const int n = static_cast<int>(mine.size());
    if (n >= p.min_samples && compute_stats(slowest).cv < p.target_cv) break;
    if (n >= p.min_samples && agreed[1] > p.max_time_s) break;
  }
  return out;
}

}  // namespace gpuscale::bench
