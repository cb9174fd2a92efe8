// Private to the planner's plan.cpp, per_gpu.cpp, memory.cpp, time.cpp and report.cpp: the pieces
// more than one of them uses. Each is explained where it is defined.
//   per_gpu.cpp  the scenario as one GPU sees it under tensor, pipeline and context parallelism
//   memory.cpp   the bytes of inference weights and of the KV cache (the decode time reads them)
//   time.cpp     the inference time model (plan() takes it for method inference)
//   report.cpp   the assumption texts (plan() attaches them)
#pragma once

#include <string>
#include <vector>

#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/plan.hpp"

namespace gpuscale::planner::detail {

// ---- per_gpu.cpp ----

bool is_lora(const Scenario& s);
bool fp32_states(const Scenario& s);
double adapter_params_per_layer(const Scenario& s);
double adapter_params(const Scenario& s);  // the whole model's
const Framework* framework_of(const Scenario& s);
double tp(const Scenario& s);
double hidden_split(const Scenario& s);
double kv_dim_rank(const Scenario& s);
double tokens_rank(const Scenario& s);
double stage_layers(const Scenario& s);

// A block linear's shape on one TP rank (rank_linears).
struct RankLinear {
  std::string name;
  double in = 0, out = 0;
  bool row = false;
};
std::vector<RankLinear> rank_linears(const Scenario& s);

// The parameters one GPU holds for its pipeline stage (stage_params).
struct StageParams {
  double total = 0, linear = 0, root = 0, layer = 0;
};
StageParams stage_params(const Scenario& s, const ParamCount& pc, bool first, bool last);

double rank_adapter_params_per_layer(const Scenario& s);
double stage_adapter_params(const Scenario& s, bool first, bool last);
double in_flight(const Scenario& s, bool first);
double checkpointed_layer_fraction(const Scenario& s);

// ---- memory.cpp ----

double weight_bytes_inference(const Scenario& s, const ParamCount& pc);
double kv_cache_bytes(const Scenario& s);

// ---- time.cpp ----

TimePlan plan_inference_time(const Scenario& s);

// ---- report.cpp ----

std::vector<std::string> assumptions(const Scenario& s, const MemoryPlan& mp);

}  // namespace gpuscale::planner::detail
