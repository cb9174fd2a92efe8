#include "gpu/measure.hpp"

#include "gpu/gpu_backend.hpp"
#include "gpu/nvml.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {

void measure_gpu(benchmark::State& state, BenchmarkEntry& e, GpuSampler& sampler, const SamplingPolicy& policy) {
  ClockMonitor monitor(current_gpu().nvml_index);
  monitor.start();
  measure(state, e, [&] { return sampler.sample(); }, policy);
  e.environment = monitor.stop();
  e.parameters["launches_per_sample"] = sampler.batch();
}

}  // namespace gpuscale::bench
