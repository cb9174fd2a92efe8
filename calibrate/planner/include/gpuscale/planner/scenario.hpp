// A planning scenario: what is trained (or served), how, and on what.
//
// Keys (scenario JSON, or the equivalent --flag): model, method, lora_rank, lora_targets, precision,
// optimizer, seq_len, micro_batch, grad_accum, gpu, gpus_per_node, nodes, sharding,
// activation_checkpointing, flash_attention, tokens, price_per_gpu_hour; and, for frameworks that
// have them: loss_chunks (chunked cross-entropy), compile (torch.compile fusion),
// optimizer_in_backward (step fused into backward), activation_offload (checkpoints on the host).
//
// Model parallelism (all default 1, so a scenario without them plans as data parallelism only):
//   tensor_parallel (TP: Megatron column/row split of every block linear, heads split), sequence_parallel
//   (SP: the norm/residual regions split along the sequence too), pipeline_parallel (PP stages of
//   consecutive layers), pipeline_schedule (1f1b | interleaved) with virtual_stages (layer chunks per
//   GPU), context_parallel (CP: the sequence split, ring attention). The data-parallel group is what
//   remains: gpus / (TP x PP x CP); `sharding` shards over it (and over CP, whose ranks hold the same
//   parameters), or over `shard_group` ranks of it, replicated across the rest (HSDP).
// framework: megatron | torchtitan | fsdp | deepspeed | hf | llm-foundry | torchtune | unsloth | ...
//   (framework.hpp); any other name plans as today's default. tp_comm_overlap: TP collectives
//   overlapped with the GEMMs (Transformer Engine userbuffers, torch async TP).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/planner/model.hpp"
#include "gpuscale/planner/profile.hpp"

namespace gpuscale::planner {

enum class Method { full, lora, qlora, inference };
// amp_bf16: BF16 compute, FP32 master weights; bf16: pure BF16 (optimizer states in BF16 too);
// fp8: FP8 GEMMs with BF16 weights and FP32 master weights. fp16/int8/nf4: inference weight formats.
enum class Precision { amp_bf16, bf16, fp8, fp16, int8, nf4 };
enum class Optimizer { adamw, adamw_8bit, paged_adamw_8bit, sgd };
enum class Sharding { none, zero1, zero2, zero3 };
// none; selective: Korthikanti et al. 2022's (the attention-score tensors are recomputed; nothing to
// drop with FlashAttention); full: each layer's input only; selective_op: per-op (torchtitan's policy:
// the outputs of every other matmul of a block and of the attention kernel are saved, the rest
// recomputed); selective_layer: every N-th layer fully checkpointed (Scenario::checkpoint_every).
enum class Checkpointing { none, selective, full, selective_op, selective_layer };
enum class PipelineSchedule { one_f_one_b, interleaved };

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
  double tokens = 0;  // training tokens (or generated tokens for inference)
  double price_per_gpu_hour = 0;
  std::int64_t loss_chunks = 1;
  bool compile = false;
  bool optimizer_in_backward = false;
  bool activation_offload = false;
  bool fused_loss = false;  // a fused cross-entropy kernel (flash-attn's, Liger's): no FP32 logits
  std::optional<double> end_to_end_efficiency;  // overrides the profile's (0, 1]
  std::int64_t checkpoint_every = 0;            // selective_layer: every N-th layer checkpointed

  std::int64_t tensor_parallel = 1;
  bool sequence_parallel = false;
  std::int64_t pipeline_parallel = 1;
  PipelineSchedule pipeline_schedule = PipelineSchedule::one_f_one_b;
  std::int64_t virtual_stages = 1;  // layer chunks per pipeline GPU (interleaved schedule)
  std::int64_t context_parallel = 1;
  std::int64_t shard_group = 0;  // HSDP: ranks a shard spans (0: the whole data-parallel group)
  std::string framework;         // as given ("" when not given)
  bool tp_comm_overlap = false;

  // The end-to-end training efficiency in use: the scenario's, else the profile's measured value for
  // this framework, else the framework's built-in published value for this GPU's architecture, else
  // the profile's (see efficiency_source()).
  double efficiency() const;
  std::string efficiency_source() const;

  std::int64_t gpus() const { return gpus_per_node * nodes; }
  // GPUs that hold one copy of the model: TP x PP x CP.
  std::int64_t model_parallel() const { return tensor_parallel * pipeline_parallel * context_parallel; }
  std::int64_t data_parallel() const { return gpus() / model_parallel(); }
  // Ranks that hold the same parameters and reduce their gradients together: data parallel x CP.
  std::int64_t gradient_ranks() const { return data_parallel() * context_parallel; }
  // Ranks a sharded state is split over: shard_group (HSDP), else every gradient rank.
  std::int64_t shard_ranks() const { return shard_group > 0 ? shard_group : gradient_ranks(); }
  bool training() const { return method != Method::inference; }
  // Adapter shapes per layer, from lora_targets (fused qkv targets give one adapter).
  std::vector<Adapter> adapters() const;
  // Adapters outside the blocks, once per model: lm_head (a linear, in = hidden, out = vocab) and
  // embed_tokens (an embedding: A is a vocab x r table looked up, B is r x hidden).
  std::vector<Adapter> model_adapters() const;
};

// Parses a scenario object. `origin(key)` names where each key came from (the scenario file or the
// command line) for errors; throws InputError naming it and the key. `gpu`, when given, is the
// profile the scenario's gpu key already resolved to (a search plans many scenarios on one GPU and
// need not read a profile file for each).
Scenario parse_scenario(const nlohmann::json& j, const std::string& where,
                        const std::map<std::string, std::string>* origins = nullptr,
                        const Profile* gpu = nullptr);

nlohmann::json scenario_to_json(const Scenario& s);

std::string to_string(Method m);
std::string to_string(Precision p);
std::string to_string(Optimizer o);
std::string to_string(Sharding s);
std::string to_string(Checkpointing c);
std::string to_string(PipelineSchedule p);
// The scenario's activation_checkpointing value as it parses ("selective-layer:2").
std::string checkpointing_name(const Scenario& s);

// Every key parse_scenario accepts, for --help and flag parsing.
const std::vector<std::string>& scenario_keys();

}  // namespace gpuscale::planner
