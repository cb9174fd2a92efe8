// The scenario as one GPU sees it, shared by the memory model (memory.cpp), the time model
// (time.cpp) and the texts (report.cpp): whether it trains adapters and keeps FP32 states, its LoRA
// adapter counts, the widths and shapes of one tensor-parallel rank (Shoeybi et al. 2019,
// Megatron-LM sec. 3; sequence parallelism: Korthikanti et al. 2022 sec. 4.2.2), the tokens of one
// context-parallel rank, the layers and parameters of the busiest pipeline stage, the micro-batches
// a stage holds in flight (Korthikanti et al. 2022 sec. 4.2.3), and the layers that torchtitan's
// selective-layer checkpointing wraps.
#include <algorithm>

#include "gpuscale/planner/framework.hpp"
#include "plan_internal.hpp"

namespace gpuscale::planner::detail {

bool is_lora(const Scenario& s) {
  return s.method == Method::lora || s.method == Method::qlora;
}
// amp-bf16 and fp8 keep FP32 master weights and FP32 optimizer states; pure bf16 keeps both in BF16.
bool fp32_states(const Scenario& s) {
  return s.precision != Precision::bf16;
}

double adapter_params_per_layer(const Scenario& s) {
  double a = 0;
  for (const auto& ad : s.adapters()) a += static_cast<double>(s.lora_rank) * (ad.in + ad.out);
  return a;
}

// Adapter parameters of the whole model: the blocks' and those of the head and the embedding.
double adapter_params(const Scenario& s) {
  if (!is_lora(s)) return 0;
  double a = adapter_params_per_layer(s) * s.model.layers;
  for (const auto& ad : s.model_adapters()) a += static_cast<double>(s.lora_rank) * (ad.in + ad.out);
  return a;
}

// ---- The per-GPU view of the model under tensor, pipeline and context parallelism ----

const Framework* framework_of(const Scenario& s) {
  return find_framework(s.framework);
}

double tp(const Scenario& s) {
  return static_cast<double>(s.tensor_parallel);
}
// Tensors of hidden width outside the TP regions (norm inputs and outputs, residual, layer input)
// are split over the TP ranks only with sequence parallelism (Korthikanti et al. 2022 sec. 4.2.2).
double hidden_split(const Scenario& s) {
  return s.sequence_parallel ? tp(s) : 1.0;
}
// Key/value width per TP rank: heads are split; with more ranks than KV heads each rank keeps one.
double kv_dim_rank(const Scenario& s) {
  const auto& m = s.model;
  return static_cast<double>(m.dim_head()) * std::max(static_cast<double>(m.kv_heads) / tp(s), 1.0);
}
// Tokens of one micro-batch on one GPU: context parallelism splits the sequence.
double tokens_rank(const Scenario& s) {
  return static_cast<double>(s.micro_batch) * s.seq_len / static_cast<double>(s.context_parallel);
}
// Layers on the busiest pipeline stage: ceil(L / (p v)) per chunk, v chunks.
double stage_layers(const Scenario& s) {
  const auto chunks = s.pipeline_parallel * s.virtual_stages;
  return static_cast<double>((s.model.layers + chunks - 1) / chunks * s.virtual_stages);
}

// A block linear as one TP rank runs it: column-parallel (q, k, v, gate, up) split their outputs,
// row-parallel (o, down) their inputs (Shoeybi et al. 2019, Megatron-LM sec. 3).
std::vector<RankLinear> rank_linears(const Scenario& s) {
  std::vector<RankLinear> v;
  const double t = tp(s);
  for (const auto& l : block_linears(s.model)) {
    RankLinear r{l.name, static_cast<double>(l.in), static_cast<double>(l.out),
                 l.name == "o_proj" || l.name == "down_proj"};
    if (r.row)
      r.in /= t;
    else
      r.out = (l.name == "k_proj" || l.name == "v_proj") ? kv_dim_rank(s) : r.out / t;
    v.push_back(r);
  }
  return v;
}

// Parameters one GPU holds for a pipeline stage: its layers' linears split over TP (norms and
// biases kept whole), the embedding on the first stage and the head on the last, vocabulary-split.
// With tied embeddings and more than one stage the last stage keeps its own copy for the head.
StageParams stage_params(const Scenario& s, const ParamCount& pc, bool first, bool last) {
  StageParams sp;
  const double t = tp(s);
  sp.layer =
      static_cast<double>(pc.per_layer_linear) / t + static_cast<double>(pc.per_layer - pc.per_layer_linear);
  const double head =
      pc.lm_head > 0 ? static_cast<double>(pc.lm_head)
                     : (s.pipeline_parallel > 1 ? static_cast<double>(s.model.vocab) * s.model.hidden : 0.0);
  sp.root = (first ? static_cast<double>(pc.embedding) / t : 0.0) + (last ? head / t : 0.0);
  sp.linear = stage_layers(s) * static_cast<double>(pc.per_layer_linear) / t;
  sp.total = stage_layers(s) * sp.layer + sp.root + (last ? static_cast<double>(pc.final_norm) : 0.0);
  return sp;
}

double rank_adapter_params_per_layer(const Scenario& s) {
  if (!is_lora(s)) return 0;
  double a = 0;
  const double t = tp(s);
  // An adapter splits like its base layer: B (r x out) of a column-parallel layer, A (in x r) of a row one.
  for (const auto& ad : s.adapters()) {
    const bool row = ad.target == "o_proj" || ad.target == "down_proj";
    a += static_cast<double>(s.lora_rank) * (row ? ad.in / t + ad.out : ad.in + ad.out / t);
  }
  return a;
}
double stage_adapter_params(const Scenario& s, bool first, bool last) {
  if (!is_lora(s)) return 0;
  double a = stage_layers(s) * rank_adapter_params_per_layer(s);
  for (const auto& ad : s.model_adapters()) {
    const double r = static_cast<double>(s.lora_rank);
    if (ad.target == "lm_head" && last) a += r * (ad.in + ad.out / tp(s));
    if (ad.target == "embed_tokens" && first) a += r * (ad.in / tp(s) + ad.out);
  }
  return a;
}

// Micro-batches whose activations a stage holds at the peak, in units of the stage's layers.
// 1F1B: the first stage has min(p, m) in flight, the last one. Interleaved (v chunks per GPU):
// Megatron's warm-up runs 2(p - 1 - rank) + (v - 1) p chunk forwards before the first backward, so the
// first stage holds p + (p - 1) / v stage-loads (Korthikanti et al. 2022 sec. 4.2.3: L (1 + (p-1)/(p v))
// layers' worth) and the last ((v - 1) p + 1) / v; never more than the m micro-batches of a step.
double in_flight(const Scenario& s, bool first) {
  const double p = static_cast<double>(s.pipeline_parallel), v = static_cast<double>(s.virtual_stages);
  const double m = static_cast<double>(s.grad_accum);
  if (s.pipeline_parallel == 1) return 1;
  if (s.pipeline_schedule == PipelineSchedule::one_f_one_b) return first ? std::min(p, m) : 1.0;
  return std::min(first ? p + (p - 1) / v : ((v - 1) * p + 1) / v, m);
}

// Layers of the stage fully checkpointed under selective-layer:N (torchtitan wraps every N-th block).
double checkpointed_layer_fraction(const Scenario& s) {
  switch (s.checkpointing) {
    case Checkpointing::full:
      return 1;
    case Checkpointing::selective_layer: {
      const auto L = s.model.layers;
      return static_cast<double>(L / std::max<std::int64_t>(s.checkpoint_every, 1)) / static_cast<double>(L);
    }
    default:
      return 0;
  }
}

}  // namespace gpuscale::planner::detail
