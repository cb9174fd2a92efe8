// How many samples a benchmark takes: warm up, then sample until the relative spread (CV of the
// samples kept by core's outlier rule) is under the target, or a time or count cap is reached.
#pragma once

#include <functional>
#include <vector>

namespace gpuscale::bench {

struct SamplingPolicy {
  double warmup_s = 0.02;  // at least this long warming up (and at least 2 calls)
  int min_samples = 5;
  int max_samples = 100;
  double target_cv = 0.01;     // stop once stddev/mean of the kept samples is below this
  double max_time_s = 1.0;     // stop sampling after this much wall time
  double min_sample_s = 1e-4;  // GPU: batch launches until one sample lasts this long
};

// `sample` runs one sample and returns its duration in seconds. Returns the samples taken after
// warm-up. The same policy drives the GPU and the host backends.
std::vector<double> collect_samples(const std::function<double()>& sample, const SamplingPolicy& policy);

// How many operations one sample runs back to back, timed as one, so that a sample lasts at least
// policy.min_sample_s: from one operation's seconds. At least 1, at most 1000.
int batch_for(double one_s, const SamplingPolicy& policy);

}  // namespace gpuscale::bench
