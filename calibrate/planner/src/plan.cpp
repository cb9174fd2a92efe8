// The planner: memory and time of a scenario from the architecture and the profile (see plan.hpp).
// plan() puts the parts together: the memory model (memory.cpp), the smallest GPU count the job fits
// on, the time model (time.cpp), the cost, and the assumption and warning texts (report.cpp); the
// scenario as one GPU sees it is per_gpu.cpp's.
#include "gpuscale/planner/plan.hpp"

#include <algorithm>

#include "plan_internal.hpp"

namespace gpuscale::planner {
using namespace detail;  // plan_internal.hpp

PlanResult plan(const Scenario& s) {
  PlanResult r;
  r.scenario = s;
  r.params = count_params(s.model);
  r.adapter_params = adapter_params(s);
  r.trainable_params = s.method == Method::full ? static_cast<double>(r.params.total)
                                                : (s.method == Method::inference ? 0 : r.adapter_params);
  r.memory = plan_memory(s);
  r.fits = r.memory.peak.total() <= r.memory.capacity;
  if (r.fits && s.gpus() == 1) {
    r.min_gpus_to_fit = 1;
    r.min_gpus_sharding = to_string(s.sharding);
  } else {
    Scenario t = s;
    if (t.sharding == Sharding::none) t.sharding = Sharding::zero3;
    t.shard_group = 0;
    for (std::int64_t n = 1; n <= 4096; n *= 2) {
      if (n % s.model_parallel() != 0) continue;  // the scenario's TP x PP x CP stays
      t.nodes = std::max<std::int64_t>(1, n / std::max<std::int64_t>(s.gpus_per_node, 1));
      t.gpus_per_node = n / t.nodes;
      const auto mp = plan_memory(n == 1 ? s : t);
      if (mp.peak.total() <= mp.capacity) {
        r.min_gpus_to_fit = n;
        r.min_gpus_sharding = to_string(n == 1 ? s.sharding : t.sharding);
        break;
      }
    }
  }
  r.time = s.training() ? plan_time(s) : plan_inference_time(s);
  const double hours = r.time.total_s / 3600.0;
  r.gpu_hours = hours * s.gpus();
  r.cost = r.gpu_hours * s.price_per_gpu_hour;
  r.assumptions = assumptions(s, r.memory);
  r.warnings = plan_warnings(r);
  return r;
}

}  // namespace gpuscale::planner
