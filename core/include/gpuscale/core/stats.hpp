// Statistics over timing samples, in one place: median, min, max, mean, sample standard deviation,
// coefficient of variation, count, and how many far-out samples were dropped.
//
// Outliers: with at least 5 samples, samples beyond Tukey's far-out fences (Q1 - 3 IQR, Q3 + 3 IQR)
// are dropped before the statistics are taken (a preempted or cold sample, not the device's rate).
// The raw samples are always kept in the results document beside these statistics.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace gpuscale {

struct Stats {
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1)
  double cv = 0;      // stddev / mean
  std::size_t n = 0;  // samples kept
  std::size_t outliers_dropped = 0;
};

// Median of the values (the mean of the two middle ones for an even count); 0 for none.
double median(std::vector<double> values);

// Linear-interpolated quantile q in [0, 1] (the "type 7" definition).
double quantile(std::vector<double> values, double q);

// Samples with the far-out outliers removed (see above).
std::vector<double> drop_outliers(std::span<const double> samples);

// Statistics of the samples after dropping outliers. Throws std::invalid_argument on no samples.
Stats compute_stats(std::span<const double> samples, bool drop_far_outliers = true);

}  // namespace gpuscale
