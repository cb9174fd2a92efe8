#include "gpu/measure.hpp"

#include "gpu/gpu_backend.hpp"
#include "gpu/nvml.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {

void measure_with_clocks(benchmark::State& state, BenchmarkEntry& e, const std::function<double()>& sample,
                         const SamplingPolicy& policy, int nvml_index) {
  ClockMonitor monitor(nvml_index);
  monitor.start();
  measure(state, e, sample, policy);
  e.environment = monitor.stop();
}

void measure_gpu(benchmark::State& state, BenchmarkEntry& e, GpuSampler& sampler, const SamplingPolicy& policy) {
  e.parameters["batch"] = sampler.batch();
  measure_with_clocks(state, e, [&] { return sampler.sample(); }, policy, current_gpu().nvml_index);
}

}  // namespace gpuscale::bench
