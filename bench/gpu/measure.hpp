// The measurement of one GPU benchmark: samples from a GpuSampler under the sampling policy,
// with the SM/memory clocks, temperature and power sampled through NVML while it runs.
#pragma once

#include <benchmark/benchmark.h>

#include "gpu/timing.hpp"
#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

void measure_gpu(benchmark::State& state, BenchmarkEntry& e, GpuSampler& sampler, const SamplingPolicy& policy);

}  // namespace gpuscale::bench
