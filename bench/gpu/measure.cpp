#include "gpu/measure.hpp"

#include "gpu/nvml.hpp"

namespace gpuscale::bench {

void measure_with_clocks(CaseState& state, const std::function<double()>& sample,
                         const SamplingPolicy& policy, int nvml_index) {
  ClockMonitor monitor(nvml_index);
  monitor.start();
  state.measure(sample, policy);
  state.entry().environment = monitor.stop();
}

}  // namespace gpuscale::bench
