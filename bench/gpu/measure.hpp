// The measurement of one GPU benchmark: samples under the sampling policy, with the SM/memory
// clocks, temperature and power sampled through NVML while it runs.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>

#include "gpu/timing.hpp"
#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

// `sample` returns one sample's seconds; NVML watches the GPU with NVML index `nvml_index`.
void measure_with_clocks(benchmark::State& state, BenchmarkEntry& e, const std::function<double()>& sample,
                         const SamplingPolicy& policy, int nvml_index);

// Samples from a GpuSampler on the current GPU; records its launches per sample as parameters.batch.
void measure_gpu(benchmark::State& state, BenchmarkEntry& e, GpuSampler& sampler, const SamplingPolicy& policy);

}  // namespace gpuscale::bench
