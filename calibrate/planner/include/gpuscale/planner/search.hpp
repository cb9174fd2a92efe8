// `gpuscale plan --search`: the settings a user would otherwise try by hand. From one scenario it
// plans every combination of the keys the user left open (micro-batch, activation checkpointing,
// sharding, and the model-parallel layout: tensor parallelism within a node, pipeline parallelism
// and, from 32k tokens, context parallelism) for each GPU count asked for, keeps those that fit,
// and ranks them by time.
//
//   gpuscale plan --model llama-3.1-70b --method lora --gpu h100-sxm-80gb --seq-len 4096
//                 --tokens 1e9 --search --gpu-counts 8,16,32 --global-batch-tokens 1048576
//
// --gpu-models h100-sxm-80gb=2.49,h200-sxm-141gb=3.39,b200-180gb compares GPU models (SKU keys,
// driver names or profile files, each with an optional price per GPU-hour): this generation against
// the next, on the same job and the same token budget.
//
// With a global batch the gradient accumulation follows (ceil(global tokens / (micro-batch x
// sequence x data-parallel copies))), so every candidate trains on the same batch; without one,
// grad_accum stays as given. Keys present in the scenario or on the command line are never varied.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuscale/planner/plan.hpp"

namespace gpuscale::planner {

struct GpuChoice {
  std::string gpu;                 // as the scenario's gpu key takes it
  double price_per_gpu_hour = -1;  // < 0: the scenario's
};

struct SearchSpace {
  std::vector<GpuChoice> gpus;           // empty: the scenario's gpu
  std::vector<std::int64_t> gpu_counts;  // empty: the scenario's gpus_per_node x nodes
  std::int64_t global_batch_tokens = 0;  // 0: grad_accum as given
  std::vector<std::int64_t> micro_batches = {1, 2, 4, 8, 16, 32, 64};
};

struct SearchCandidate {
  PlanResult result;
  std::int64_t gpus = 0;
};

struct SearchResult {
  std::vector<SearchCandidate> fitting;  // every candidate that fits, fastest first within a GPU count
  int planned = 0;                       // candidates planned, fitting or not
  std::vector<std::string> varied;       // keys that were searched
};

// `base` is the merged scenario (file + flags); `fixed` the keys the user gave (never varied).
// Throws InputError (naming `where`) for a bad base scenario or search space.
SearchResult search_plans(const nlohmann::json& base, const std::vector<std::string>& fixed,
                          const SearchSpace& space, const std::string& where);

nlohmann::json search_to_json(const SearchResult& r, const SearchSpace& space);
// The best candidate per GPU count, then the runners-up (up to `per_count` rows per count).
std::string search_to_table(const SearchResult& r, const SearchSpace& space, int per_count = 5);

}  // namespace gpuscale::planner
