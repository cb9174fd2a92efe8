// The measurement of one GPU benchmark: samples under the sampling policy, with the SM/memory
// clocks, temperature and power sampled through NVML while it runs.
#pragma once

#include <functional>

#include "harness/case.hpp"
#include "harness/sampling.hpp"

namespace gpuscale::bench {

// `sample` returns one sample's seconds; NVML watches the GPU with NVML index `nvml_index` (none
// when -1) and the summary goes into the entry's environment.
void measure_with_clocks(CaseState& state, const std::function<double()>& sample,
                         const SamplingPolicy& policy, int nvml_index);

}  // namespace gpuscale::bench
