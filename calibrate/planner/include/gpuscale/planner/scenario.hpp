// A planning scenario: what is trained (or served), how, and on what.
//
// Keys (scenario JSON, or the equivalent --flag): model, method, lora_rank, lora_targets, precision,
// optimizer, seq_len, micro_batch, grad_accum, gpu, gpus_per_node, nodes, sharding,
// activation_checkpointing, flash_attention, tokens, price_per_gpu_hour; and, for frameworks that
// have them: loss_chunks (chunked cross-entropy), compile (torch.compile fusion),
// optimizer_in_backward (step fused into backward), activation_offload (checkpoints on the host).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuscale/planner/model.hpp"
#include "gpuscale/planner/profile.hpp"

namespace gpuscale::planner {

enum class Method { full, lora, qlora, inference };
// amp_bf16: BF16 compute, FP32 master weights; bf16: pure BF16 (optimizer states in BF16 too);
// fp8: FP8 GEMMs with BF16 weights and FP32 master weights. fp16/int8/nf4: inference weight formats.
enum class Precision { amp_bf16, bf16, fp8, fp16, int8, nf4 };
enum class Optimizer { adamw, adamw_8bit, paged_adamw_8bit, sgd };
enum class Sharding { none, zero1, zero2, zero3 };
enum class Checkpointing { none, selective, full };

struct Adapter {
  std::string target;  // module name as given
  std::int64_t in = 0, out = 0;
};

struct Scenario {
  ModelArch model;
  Method method = Method::full;
  std::int64_t lora_rank = 16;
  std::vector<std::string> lora_targets;  // normalised HF names
  Precision precision = Precision::amp_bf16;
  Optimizer optimizer = Optimizer::adamw;
  std::int64_t seq_len = 2048;
  std::int64_t micro_batch = 1;
  std::int64_t grad_accum = 1;
  Profile gpu;
  std::string gpu_arg;
  std::int64_t gpus_per_node = 1;
  std::int64_t nodes = 1;
  Sharding sharding = Sharding::none;
  Checkpointing checkpointing = Checkpointing::none;
  bool flash_attention = true;
  double tokens = 0;              // training tokens (or generated tokens for inference)
  double price_per_gpu_hour = 0;
  std::int64_t loss_chunks = 1;
  bool compile = false;
  bool optimizer_in_backward = false;
  bool activation_offload = false;
  bool fused_loss = false;  // a fused cross-entropy kernel (flash-attn's, Liger's): no FP32 logits
  std::optional<double> end_to_end_efficiency;  // overrides the profile's (0, 1]

  // The end-to-end training efficiency in use: the scenario's, else the profile's.
  double efficiency() const { return end_to_end_efficiency.value_or(gpu.end_to_end_efficiency); }

  std::int64_t gpus() const { return gpus_per_node * nodes; }
  bool training() const { return method != Method::inference; }
  // Adapter shapes per layer, from lora_targets (fused qkv targets give one adapter).
  std::vector<Adapter> adapters() const;
};

// Parses a scenario object. `origin(key)` names where each key came from (the scenario file or the
// command line) for errors; throws InputError naming it and the key. `gpu`, when given, is the
// profile the scenario's gpu key already resolved to (a search plans many scenarios on one GPU and
// need not read a profile file for each).
Scenario parse_scenario(const nlohmann::json& j, const std::string& where,
                        const std::map<std::string, std::string>* origins = nullptr, const Profile* gpu = nullptr);

nlohmann::json scenario_to_json(const Scenario& s);

std::string to_string(Method m);
std::string to_string(Precision p);
std::string to_string(Optimizer o);
std::string to_string(Sharding s);
std::string to_string(Checkpointing c);

// Every key parse_scenario accepts, for --help and flag parsing.
const std::vector<std::string>& scenario_keys();

}  // namespace gpuscale::planner
