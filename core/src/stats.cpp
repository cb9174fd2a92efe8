#include "gpuscale/core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace gpuscale {

double median(std::vector<double> values) {
  return quantile(std::move(values), 0.5);
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

std::vector<double> drop_outliers(std::span<const double> samples) {
  std::vector<double> kept(samples.begin(), samples.end());
  if (kept.size() < 5) return kept;
  const double q1 = quantile(kept, 0.25);
  const double q3 = quantile(kept, 0.75);
  const double iqr = q3 - q1;
  const double lo = q1 - 3 * iqr;
  const double hi = q3 + 3 * iqr;
  std::erase_if(kept, [&](double v) { return v < lo || v > hi; });
  return kept;
}

Stats compute_stats(std::span<const double> samples, bool drop_far_outliers) {
  if (samples.empty()) throw std::invalid_argument("compute_stats: no samples");
  std::vector<double> kept =
      drop_far_outliers ? drop_outliers(samples) : std::vector<double>(samples.begin(), samples.end());
  Stats s;
  s.n = kept.size();
  s.outliers_dropped = samples.size() - kept.size();
  auto [mn, mx] = std::minmax_element(kept.begin(), kept.end());
  s.min = *mn;
  s.max = *mx;
  s.mean = std::accumulate(kept.begin(), kept.end(), 0.0) / static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double v : kept) ss += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0;
  s.median = median(std::move(kept));
  return s;
}

}  // namespace gpuscale
