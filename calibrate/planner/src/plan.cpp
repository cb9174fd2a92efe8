// The planner: memory and time of a scenario from the architecture and the profile (see plan.hpp).
#include "gpuscale/planner/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/framework.hpp"

namespace gpuscale::planner {
namespace {

// One number printed with a printf format, for the assumption and warning texts.
std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

using json = nlohmann::json;

bool is_lora(const Scenario& s) { return s.method == Method::lora || s.method == Method::qlora; }
// amp-bf16 and fp8 keep FP32 master weights and FP32 optimizer states; pure bf16 keeps both in BF16.
bool fp32_states(const Scenario& s) { return s.precision != Precision::bf16; }

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

// Adapter parameters that multiply every token: an embedding's A is a table looked up (r values per
// token), not a matmul, so only its B (r x hidden) counts.
double adapter_flop_params(const Scenario& s) {
  if (!is_lora(s)) return 0;
  double a = adapter_params_per_layer(s) * s.model.layers;
  for (const auto& ad : s.model_adapters())
    a += static_cast<double>(s.lora_rank) * (ad.target == "embed_tokens" ? ad.out : ad.in + ad.out);
  return a;
}

// Bytes of one trainable parameter's optimizer state.
double optimizer_state_bytes(const Scenario& s) {
  const bool f32 = fp32_states(s);
  switch (s.optimizer) {
    case Optimizer::adamw: return f32 ? 8 : 4;  // m and v in the master dtype
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit: return 2 + 2 * 4.0 / 2048;  // int8 m, v + one fp32 absmax per 2048
    case Optimizer::sgd: return f32 ? 4 : 2;  // one momentum buffer
  }
  return 8;
}

// Bytes read + written per trainable parameter by one optimizer step (incl. grad-norm clipping).
double optimizer_step_bytes(const Scenario& s) {
  const bool f32 = fp32_states(s);
  const double g = is_lora(s) && f32 ? 4 : 2;  // gradient dtype
  const double p = f32 ? 8 : 4;                 // read + write the master copy
  const double out = (!is_lora(s) && f32) ? 2 : 0;  // write the BF16 compute copy
  double st = 0;
  switch (s.optimizer) {
    case Optimizer::adamw: st = f32 ? 16 : 8; break;
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit: st = 4; break;
    case Optimizer::sgd: st = f32 ? 8 : 4; break;
  }
  return 2 * g + p + st + out;  // gradient read twice: clipping norm and the update
}

double gemm_elem_bytes(const Scenario& s) { return s.precision == Precision::fp8 ? 1 : 2; }
std::string gemm_precision(const Scenario& s) { return s.precision == Precision::fp8 ? "fp8_e4m3" : "bf16"; }

double weight_bytes_inference(const Scenario& s, const ParamCount& pc) {
  const double lin = static_cast<double>(pc.linear_total());
  const double other = static_cast<double>(pc.total) - lin;
  switch (s.precision) {
    case Precision::fp8:
    case Precision::int8: return lin * 1 + other * 2;
    case Precision::nf4: return lin * kNf4BitsPerParam / 8 + other * 2;
    default: return 2.0 * pc.total;
  }
}

double kv_cache_bytes(const Scenario& s) {
  return 2.0 * s.model.layers * s.model.kv_dim() * s.seq_len * s.micro_batch * 2;
}

// ---- The per-GPU view of the model under tensor, pipeline and context parallelism ----

const Framework* framework_of(const Scenario& s) { return find_framework(s.framework); }

// Fused element-wise kernels: torch.compile, or a framework's own (Transformer Engine, Unsloth).
bool fused_elementwise(const Scenario& s) {
  const Framework* fw = framework_of(s);
  return s.compile || (fw && fw->fused_kernels);
}

double tp(const Scenario& s) { return static_cast<double>(s.tensor_parallel); }
// Tensors of hidden width outside the TP regions (norm inputs and outputs, residual, layer input)
// are split over the TP ranks only with sequence parallelism (Korthikanti et al. 2022 sec. 4.2.2).
double hidden_split(const Scenario& s) { return s.sequence_parallel ? tp(s) : 1.0; }
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
struct RankLinear {
  std::string name;
  double in = 0, out = 0;
  bool row = false;
};
std::vector<RankLinear> rank_linears(const Scenario& s) {
  std::vector<RankLinear> v;
  const double t = tp(s);
  for (const auto& l : block_linears(s.model)) {
    RankLinear r{l.name, static_cast<double>(l.in), static_cast<double>(l.out), l.name == "o_proj" || l.name == "down_proj"};
    if (r.row) r.in /= t;
    else r.out = (l.name == "k_proj" || l.name == "v_proj") ? kv_dim_rank(s) : r.out / t;
    v.push_back(r);
  }
  return v;
}

// Parameters one GPU holds for a pipeline stage: its layers' linears split over TP (norms and
// biases kept whole), the embedding on the first stage and the head on the last, vocabulary-split.
// With tied embeddings and more than one stage the last stage keeps its own copy for the head.
struct StageParams {
  double total = 0, linear = 0, root = 0, layer = 0;
};
StageParams stage_params(const Scenario& s, const ParamCount& pc, bool first, bool last) {
  StageParams sp;
  const double t = tp(s);
  sp.layer = static_cast<double>(pc.per_layer_linear) / t + static_cast<double>(pc.per_layer - pc.per_layer_linear);
  const double head = pc.lm_head > 0 ? static_cast<double>(pc.lm_head)
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
    case Checkpointing::full: return 1;
    case Checkpointing::selective_layer: {
      const auto L = s.model.layers;
      return static_cast<double>(L / std::max<std::int64_t>(s.checkpoint_every, 1)) / static_cast<double>(L);
    }
    default: return 0;
  }
}

}  // namespace

// Element-wise (memory-bound) bytes read + written per token by one layer's forward on one GPU.
// Eager PyTorch runs each op of the Python implementations as its own kernel:
//   RMSNorm (HF/torchtune: to(fp32), pow, mean, mul by rsqrt, to(bf16), mul by weight)  36 B/element
//   LayerNorm (native fused kernel)                                                       4 B/element
//   rotary on q and k (mul cos, rotate_half = neg + cat, mul sin, add)                   22 B/element
//   SwiGLU (SiLU, then product)                                                           10 B/element of f
//   GELU                                                                                   4 B/element of f
//   two residual adds                                                                      6 B/element each
// Compiled (torch.compile) chains, and frameworks with their own fused kernels (Transformer Engine,
// Unsloth), read each input and write each output once: norms 4, rotary 4, SwiGLU 6 B/element.
// Backward moves about twice the forward's bytes. Under tensor parallelism the rotary and MLP work
// is split over the ranks; the norms and residual adds only with sequence parallelism.
double elementwise_bytes_per_token(const Scenario& s) {
  const auto& m = s.model;
  const bool fused = fused_elementwise(s);
  const double h = m.hidden, f = m.intermediate / tp(s), qk = m.q_dim() / tp(s) + kv_dim_rank(s);
  const bool rms = m.norm == NormKind::rmsnorm;
  const bool rotary = m.learned_positions == 0 && rms;  // Llama-family rotary; MPT uses ALiBi
  double norm = rms ? (fused ? 4 : 36) : 4;
  double bytes = (2 * norm * h + 2 * 6 * h) / hidden_split(s);
  if (rotary) bytes += (fused ? 4 : 22) * qk;
  bytes += m.mlp == MlpKind::gated ? (fused ? 6 : 10) * f : 4 * f;
  return bytes;
}


// FlashAttention-2 (Dao-AILab/flash-attention csrc/flash_attn/flash_api.cpp, mha_fwd / mha_bwd)
// rounds the head size to a multiple of 8, then runs the kernel instantiated for
// head_size_rounded = head_size <= 192 ? round_multiple(head_size, 32) : 256, with the extra
// columns zero-padded: a head of 112 (MPT-30B: 7168 / 64) costs what a head of 128 does.
AttentionRates flash_attention_rates(std::int64_t seq_len) {
  // FA2 on H100 SXM5, head dim 128, TFLOPS (arXiv:2407.08608): forward without / with the causal
  // mask, backward without it, at 512, 1k, 2k, 4k, 8k, 16k.
  static constexpr double kFwd[] = {309, 350, 362, 368, 370, 370};
  static constexpr double kFwdCausal[] = {191, 260, 298, 319, 333, 335};
  static constexpr double kBwd[] = {214, 260, 291, 310, 318, 322};
  // The profile's efficiency is the fused forward + backward (1 : 2.5 FLOPs) without the mask at
  // 16k; a causal backward is not published: assumed to lose what the causal forward loses.
  const double fused = 3.5 / (1 / kFwd[5] + 2.5 / kBwd[5]);
  const double x = std::clamp(std::log2(static_cast<double>(std::max<std::int64_t>(seq_len, 1))), 9.0, 14.0) - 9.0;
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), 4);
  const double w = x - static_cast<double>(i);
  auto at = [&](const double* v) { return v[i] + w * (v[i + 1] - v[i]); };
  AttentionRates r;
  r.forward = at(kFwdCausal) / fused;
  r.backward = at(kBwd) * (at(kFwdCausal) / at(kFwd)) / fused;
  return r;
}

std::int64_t flash_attention_head_dim(std::int64_t head_dim) {
  if (head_dim <= 0) return head_dim;
  const std::int64_t d8 = (head_dim + 7) / 8 * 8;
  return d8 <= 192 ? (d8 + 31) / 32 * 32 : 256;
}

double layer_activation_bytes_per_token(const Scenario& s) {
  const auto& m = s.model;
  const double t = tp(s);
  const double h = m.hidden, q = m.q_dim() / t, kv = kv_dim_rank(s), f = m.intermediate / t, a = m.heads / t;
  // Korthikanti et al. 2022 sec. 4.1 count, per token, 16-bit tensors unless noted; per TP rank
  // (sec. 4.2: q, k, v, the attention output and the MLP are split over the ranks; the hidden-width
  // tensors only with sequence parallelism):
  double hidden = 2 * h      // attention norm input (norm backward)
                  + 2 * h    // its output: the q, k, v projections' input
                  + 2 * h    // MLP norm input
                  + 2 * h;   // its output: the MLP's input
  double bytes = 2 * (q + 2 * kv)  // q, k, v after rotary: attention backward (GQA: k, v are kv wide)
                 + 2 * q;          // attention output: o_proj input (and FlashAttention's saved output)
  // SwiGLU keeps gate and up outputs, SiLU(gate) and the product (down_proj's input): 4 tensors of f;
  // a plain MLP keeps the GELU input and output.
  bytes += m.mlp == MlpKind::gated ? 8 * f : 4 * f;
  if (s.compile) {
    // The compiled graph recomputes the norms' outputs from their inputs in backward. (Dropping the
    // MLP intermediates as well would predict twice the 9 GiB saving torchtune's ablation measured
    // for compile on Llama 3.2 3B, so they are kept.)
    hidden -= 4 * h;
  }
  bytes += hidden / hidden_split(s);
  const Framework* fw = framework_of(s);
  if (s.precision == Precision::fp8 && fw && fw->fp8_fused_casts) {
    // Transformer Engine saves a linear layer's input for backward as its FP8 copy (1 B): the two norm
    // outputs, the attention output (o_proj's input) and down_proj's input.
    bytes -= (s.compile ? 0 : 2 * h) / hidden_split(s) + q + f;
  }
  if (s.flash_attention) {
    bytes += 4 * a;  // FP32 log-sum-exp per head
  } else if (s.checkpointing != Checkpointing::selective) {
    // Eager attention keeps the FP32 softmax output and its BF16 copy for the PV matmul: 6 B per score.
    bytes += 6 * a * s.seq_len;
  }
  if (is_lora(s)) bytes += 2.0 * s.lora_rank * s.adapters().size();  // lora_A outputs
  return bytes;
}

double selective_op_saved_bytes_per_token(const Scenario& s) {
  const auto& m = s.model;
  const double t = tp(s), hs = m.hidden / hidden_split(s);
  double bytes = 2 * hs;  // the block's input, which the checkpoint keeps
  const auto linears = rank_linears(s);
  // torchtitan's policy saves the output of the 1st, 3rd, 5th ... matmul of a block (Llama: wq, wv,
  // w1 and w2), recomputing the others and every element-wise op.
  for (std::size_t i = 0; i < linears.size(); i += 2) bytes += 2 * (linears[i].row ? hs : linears[i].out);
  // ... and the attention kernel's outputs: the output and its FP32 log-sum-exp. Eager attention's
  // matmuls are batched (bmm), not in the policy's list: recomputed.
  if (s.flash_attention) bytes += 2 * m.q_dim() / t + 4 * m.heads / t;
  return bytes;
}

LossPath loss_path(const Scenario& s) {
  const Framework* fw = framework_of(s);
  if (s.fused_loss) return LossPath::fused;
  if (s.compile && (!fw || fw->compile_covers_loss)) return LossPath::compiled;
  if (s.loss_chunks > 1) return LossPath::chunked;
  return fw ? fw->eager_loss : LossPath::eager_fp32_kept;
}

double logits_bytes_per_vocab_token(const Scenario& s) {
  const double c = static_cast<double>(s.loss_chunks);
  switch (loss_path(s)) {
    case LossPath::fused: return 4;  // BF16 logits + their BF16 gradient; the kernel keeps only a per-token LSE
    case LossPath::compiled: return 2 + 8 / c;  // fused cross-entropy keeps BF16 logits; FP32 grads per chunk
    case LossPath::chunked: return 6 + 8 / c;   // BF16 chunks + FP32 log-softmax per chunk kept; grads one chunk at a time
    case LossPath::eager_fp32_kept: return 16;  // FP32 logits held + log-softmax saved + 2 FP32 grads in backward
    // Upcast inside the loss and the BF16 logits deleted before backward: in the loss's backward the
    // saved FP32 log-softmax, its incoming gradient and the outgoing gradient (4 + 4 + 4).
    case LossPath::eager_fp32_freed: return 12;
    // BF16 logits and their FP32 copy, which becomes the softmax in place and then its own gradient.
    case LossPath::vocab_parallel: return 6;
  }
  return 16;
}

namespace {

// Memory of one pipeline stage (first and/or last of the model); plan_memory takes the larger.
MemoryPlan stage_memory(const Scenario& s, bool first, bool last) {
  MemoryPlan mp;
  const auto pc = count_params(s.model);
  const auto sp = stage_params(s, pc, first, last);
  const double P = sp.total;
  const double G = static_cast<double>(s.shard_ranks());  // ranks a sharded state is split over
  const double D = static_cast<double>(s.gradient_ranks());
  const double T = tokens_rank(s);
  const double h = s.model.hidden, V = s.model.vocab, Ls = stage_layers(s);
  const double hs = h / hidden_split(s);
  MemoryBreakdown b;
  b.cuda_context = static_cast<double>(s.gpu.usable.context_bytes);
  mp.capacity = static_cast<double>(s.gpu.usable.total_bytes);

  const bool lora = is_lora(s);
  const bool f32 = fp32_states(s);
  const double A = stage_adapter_params(s, first, last);
  const double trainable = lora ? A : P;

  double weights = s.method == Method::qlora ? sp.linear * kNf4BitsPerParam / 8 + (P - sp.linear) * 2 : 2 * P;
  if (s.method == Method::full && s.precision == Precision::fp8) weights += sp.linear * 1.0;  // FP8 copies
  double adapters = lora ? A * (f32 ? 4 : 2) : 0;  // PEFT keeps adapters in FP32 under autocast
  const double grad_b = lora && f32 ? 4 : 2;
  double grads = trainable * grad_b;
  double master = (!lora && f32) ? 4 * P : 0;
  double optim = trainable * optimizer_state_bytes(s);

  if (s.sharding >= Sharding::zero1) optim /= G, master /= G;
  if (s.sharding >= Sharding::zero2) grads /= G;
  if (s.sharding == Sharding::zero3) weights /= G, adapters /= G;

  double grads_resident = grads;
  if (s.optimizer_in_backward) {
    // Each parameter's gradient is freed by its own step: the largest tensor's gradient at a time.
    const double largest = lora ? s.lora_rank * std::max(s.model.hidden, s.model.intermediate)
                                : std::max(V * h, h * s.model.intermediate);
    grads_resident = largest * grad_b;
  }
  mp.full_gradients = grads;

  // Communication buffers of the data-parallel group.
  double comm = 0;
  if (D > 1) {
    if (s.sharding == Sharding::none) {
      comm = trainable * grad_b;  // DDP buckets hold a copy of the gradients (gradient_as_bucket_view=False)
    } else if (s.sharding == Sharding::zero3) {
      // FSDP: the root unit (embedding, head) stays gathered; the current and the prefetched layer
      // are gathered; one unit's unsharded gradient waits for its reduce-scatter.
      const double wb = s.method == Method::qlora ? kNf4BitsPerParam / 8 : 2;
      comm = sp.root * 2 + 2 * sp.layer * wb;
      // With pipeline parallelism (torch.distributed.pipelining) FSDP syncs and reshards only after a
      // step's last micro-batch (the schedule's set_requires_gradient_sync / set_reshard_after_backward
      // (last_backward); torchtitan: reshard_after_forward = not pp_enabled): the stage's parameters
      // stay gathered and its gradients accumulate unsharded in the reduce dtype (FP32 under amp).
      if (s.pipeline_parallel > 1)
        comm = (sp.root + Ls * sp.layer) * wb + (lora ? stage_adapter_params(s, first, last) : sp.total) * (f32 ? 4 : 2);
      comm += (lora ? rank_adapter_params_per_layer(s) : std::max(sp.root, sp.layer)) * grad_b;
    } else {
      comm = 2 * std::min(trainable, kZeroBucketElems) * grad_b;  // reduce + all-gather buckets
    }
  }

  // Activations of the stage's layers, for every micro-batch it holds at the peak.
  const double a_layer = layer_activation_bytes_per_token(s) * T;
  const double loads = in_flight(s, first) * Ls;  // layer-micro-batches held
  double act = 0, recompute_layer = 0;
  switch (s.checkpointing) {
    case Checkpointing::full: {
      const double kept_layers = s.activation_offload ? 2 : loads;  // offloaded inputs: double buffer on GPU
      act = kept_layers * 2 * hs * T;
      recompute_layer = a_layer;
      break;
    }
    case Checkpointing::selective_layer: {
      const double k = checkpointed_layer_fraction(s);
      act = loads * ((1 - k) * a_layer + k * 2 * hs * T);
      recompute_layer = k > 0 ? a_layer : 0;
      break;
    }
    case Checkpointing::selective_op: {
      const double saved = selective_op_saved_bytes_per_token(s) * T;
      act = loads * saved;
      recompute_layer = std::max(0.0, a_layer - saved);  // what the layer being recomputed adds
      break;
    }
    default:
      act = loads * a_layer;  // selective: layer_activation_bytes_per_token drops the score-sized terms
      if (s.activation_offload) act = 2 * a_layer + loads * 2 * hs * T;
  }
  if (last) act += 4 * hs * T;  // final norm input and output (the head's input)
  const double logits = last ? logits_bytes_per_vocab_token(s) * V / tp(s) * T : 0;

  const double statics = weights + master + optim + adapters + comm;
  const double persist = (s.grad_accum > 1 && !s.optimizer_in_backward) ? grads_resident : 0;
  // The output head's weight gradient appears first in backward (full fine-tuning).
  const double head_grad = (!lora && persist == 0 && last) ? V * h / tp(s) * grad_b : 0;
  // Backward runs the loss and the output head first; their saved logits and gradient buffers are
  // freed as each node's backward returns (autograd releases a node's saved tensors after it runs),
  // before the last checkpointed layer is recomputed. So with checkpointing the start of backward
  // has two moments, never together: the loss (logits live) and the first recomputed layer (logits
  // freed). Without checkpointing every layer's activations are live during the loss.
  const double start = statics + persist + head_grad + act + logits;
  const double recompute = statics + persist + head_grad + act + recompute_layer;
  const double end = statics + grads_resident + recompute_layer;

  b.weights = weights;
  b.master_weights = master;
  b.optimizer = optim;
  b.adapters = adapters;
  b.communication_buffers = comm;
  if (start >= end && start >= recompute) {
    mp.peak_phase = "backward_start";
    b.gradients = persist + head_grad;
    b.activations = act;
    b.logits_loss = logits;
  } else if (recompute >= end) {
    mp.peak_phase = "backward_recompute";
    b.gradients = persist + head_grad;
    b.activations = act + recompute_layer;
    b.logits_loss = 0;
  } else {
    mp.peak_phase = "backward_end";
    b.gradients = grads_resident;
    b.activations = recompute_layer;
    b.logits_loss = 0;
  }
  b.allocator_reserve = kAllocatorReserveFraction * b.allocated();
  mp.peak = b;
  if (s.pipeline_parallel > 1) mp.stage = first ? "first" : "last";
  return mp;
}

}  // namespace

MemoryPlan plan_memory(const Scenario& s) {
  const auto pc = count_params(s.model);
  const double P = static_cast<double>(pc.total);
  const double N = static_cast<double>(s.gpus());
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const double h = s.model.hidden, V = s.model.vocab;

  if (s.training()) {
    if (s.pipeline_parallel == 1) return stage_memory(s, true, true);
    // The first stage holds the most micro-batches in flight, the last the head and the logits.
    auto a = stage_memory(s, true, false), z = stage_memory(s, false, true);
    return a.peak.total() >= z.peak.total() ? a : z;
  }

  MemoryPlan mp;
  MemoryBreakdown b;
  b.cuda_context = static_cast<double>(s.gpu.usable.context_bytes);
  mp.capacity = static_cast<double>(s.gpu.usable.total_bytes);
  b.weights = weight_bytes_inference(s, pc) / (s.sharding == Sharding::zero3 ? N : 1);
  mp.kv_cache = kv_cache_bytes(s);
  b.activations = mp.kv_cache;
  // Prefill working set of one layer (no autograd): hidden, q/k/v, attention output, MLP intermediates.
  const double f = s.model.intermediate;
  double work = T * (4 * h + 2 * (s.model.q_dim() + 2 * s.model.kv_dim()) + 2 * s.model.q_dim() + 6 * f);
  if (!s.flash_attention) work += T * 6.0 * s.model.heads * s.seq_len;
  b.activations += work;
  b.logits_loss = s.micro_batch * V * 4;  // FP32 logits of the last position
  b.allocator_reserve = kAllocatorReserveFraction * b.allocated();
  mp.peak = b;
  mp.peak_phase = "inference";
  (void)P;
  return mp;
}

FlopCount count_flops(const Scenario& s) {
  FlopCount fc;
  const auto& m = s.model;
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const auto pc = count_params(m);
  const double head = static_cast<double>(m.vocab) * m.hidden;
  const double gemm_params = static_cast<double>(pc.linear_total()) + head;
  const double A = adapter_flop_params(s);
  fc.forward_gemm = 2 * T * (gemm_params + A);
  fc.backward_gemm = s.method == Method::full ? 2 * fc.forward_gemm : 2 * T * gemm_params + 4 * T * A;
  // QK^T and PV: 2 * 2 * s * q_dim per token per layer, half of it under a causal mask.
  fc.attention_forward = 2.0 * T * s.seq_len * m.q_dim() * m.layers;
  const double attn_per_token = 2.0 * s.seq_len * m.q_dim() * m.layers;
  if (s.method == Method::full) fc.model_flops_per_token = 6 * gemm_params + 3 * attn_per_token;
  else if (s.method == Method::inference) fc.model_flops_per_token = 2 * gemm_params + attn_per_token;
  else fc.model_flops_per_token = 4 * gemm_params + 6 * A + 3 * attn_per_token;
  // One GPU's share of the forward GEMMs of one micro-batch: its stage's layers at its TP shapes and,
  // on the last stage, its vocabulary shard of the head.
  double per_layer = 0;
  for (const auto& l : rank_linears(s)) per_layer += 2 * tokens_rank(s) * l.in * l.out;
  fc.forward_gemm_per_gpu = stage_layers(s) * per_layer + 2 * tokens_rank(s) * head / tp(s);
  return fc;
}

TimePlan plan_time(const Scenario& s) {
  TimePlan tp_;
  auto& t = tp_.t;
  const auto& m = s.model;
  const auto& prof = s.gpu;
  const auto pc = count_params(m);
  const bool lora = is_lora(s);
  const double T = tokens_rank(s);  // tokens of one micro-batch on this GPU
  const double Ls = stage_layers(s), h = m.hidden, Vr = m.vocab / tp(s);
  const double hs = h / hidden_split(s);
  const double micro = static_cast<double>(s.grad_accum);
  const auto& g = prof.gemm_for(gemm_precision(s));
  const auto& g16 = prof.gemm_for("bf16");
  const double eb = gemm_elem_bytes(s);
  auto gemm = [&](double M, double Nn, double K) { return g.time_s(M, Nn, K, eb); };
  auto gemm16 = [&](double M, double Nn, double K) { return g16.time_s(M, Nn, K, 2); };
  auto stream = [&](double bytes) { return bytes > 0 ? prof.memory_time_s("copy", bytes) : 0.0; };
  // A collective over a group of `ranks`, through the profile's alpha-beta fit at that rank count.
  auto coll = [&](const char* op, double ranks, double bytes) {
    if (ranks <= 1 || bytes <= 0) return 0.0;
    const auto* c = prof.collective(op, static_cast<int>(ranks));
    return c ? c->ab.time_s(bytes) : 0.0;
  };
  tp_.flops = count_flops(s);

  // One layer, one micro-batch, at this GPU's shapes. The time model is of the last pipeline stage,
  // the busiest: it runs the head and the loss besides its layers.
  const Framework* fw = framework_of(s);
  const auto linears = rank_linears(s);
  double fwd = 0, dgrad = 0, wgrad = 0, fwd_odd = 0, fp8_cast = 0;
  for (std::size_t i = 0; i < linears.size(); ++i) {
    const auto& l = linears[i];
    const double f = gemm(T, l.out, l.in);
    fwd += f;
    if (i % 2 == 1) fwd_odd += f;  // the matmuls per-op checkpointing recomputes (2nd, 4th, ...)
    dgrad += gemm(T, l.in, l.out);
    if (s.method == Method::full) wgrad += gemm(l.out, l.in, T);
    // FP8 (torchao float8, current scaling): each GEMM operand is scaled and cast: an amax pass over
    // the BF16 tensor, then a cast and a transposed cast (2 + 2 + 1 + 1 B per element): the input and
    // the weight in forward, the output gradient and the weight again in backward. Transformer Engine
    // (fp8_fused_casts) writes the input's FP8 copies from the kernel that produces it (1 + 1 B), casts
    // and transposes the output gradient in one pass (2 + 1 + 1 B) and casts each weight once a step.
    if (s.precision == Precision::fp8) {
      if (fw && fw->fp8_fused_casts)  // FP8 writes of the input (+ transpose), cast-transpose of dY, weights once a step
        fp8_cast += stream(2.0 * T * l.in + 4.0 * T * l.out + 4.0 * l.in * l.out / micro);
      else
        fp8_cast += stream(6.0 * (T * l.in + T * l.out + 2 * l.in * l.out));
    }
  }
  const double r = static_cast<double>(s.lora_rank);
  double ad_fwd = 0, ad_bwd = 0;
  if (lora) {
    for (const auto& a : s.adapters()) {
      const bool row = a.target == "o_proj" || a.target == "down_proj";
      const double in = row ? a.in / tp(s) : a.in, out = row ? a.out : a.out / tp(s);
      ad_fwd += gemm16(T, r, in) + gemm16(T, out, r);
      ad_bwd += gemm16(T, r, out) + gemm16(T, in, r) + gemm16(out, r, T) + gemm16(r, in, T);
    }
  }
  const double peak16 = g16.peak_tflops * 1e12;
  const double cp = static_cast<double>(s.context_parallel);
  const double attn_fwd_flops = 2.0 * T * s.seq_len * m.q_dim() / tp(s);  // causal, this GPU's share
  double attn_fwd = 0, attn_bwd = 0;
  if (s.flash_attention) {
    // The kernel computes on the padded head dimension (flash_attention_head_dim); with context
    // parallelism on blocks of seq_len / CP.
    const double pad = static_cast<double>(flash_attention_head_dim(m.dim_head())) / m.dim_head();
    const auto rate = flash_attention_rates(s.seq_len / s.context_parallel);
    attn_fwd = pad * attn_fwd_flops / (prof.attention_efficiency * rate.forward * peak16);
    // FlashAttention backward: 5 matmuls to the forward's 2.
    attn_bwd = 2.5 * pad * attn_fwd_flops / (prof.attention_efficiency * rate.backward * peak16);
  } else {
    const double bh = static_cast<double>(s.micro_batch) * m.heads / tp(s), sk = s.seq_len, sq = sk / cp;
    const double hd = m.dim_head();
    const double scores = bh * sq * sk;
    // Eager: mask, FP32 softmax and casts, 16 B per score each way. Fused scale-mask-softmax (Megatron,
    // with its dropout): the scores written (2), softmax read and written (4), dropout's output and
    // mask (5), read by the PV matmul (2): 13 B forward; backward about 1.5x that.
    const bool fused_softmax = fw && fw->fused_kernels;
    // QK^T and PV run as batched GEMMs over the batch and heads: one launch whose tiles fill the GPU
    // across heads, timed as one GEMM with the batch stacked into M.
    attn_fwd = gemm16(bh * sq, sk, hd) + gemm16(bh * sq, hd, sk) + stream((fused_softmax ? 13 : 16) * scores);
    attn_bwd = 2 * (gemm16(bh * sq, sk, hd) + gemm16(bh * sq, hd, sk)) + stream((fused_softmax ? 20 : 16) * scores);
  }
  const double ew = elementwise_bytes_per_token(s);
  const double ew_fwd = stream(ew * T), ew_bwd = stream(2 * ew * T);

  const double layer_fwd = fwd + ad_fwd + attn_fwd + ew_fwd;
  const double layer_bwd = dgrad + wgrad + ad_bwd + attn_bwd + ew_bwd;
  double layer_recompute = 0;
  switch (s.checkpointing) {
    case Checkpointing::full: layer_recompute = layer_fwd; break;
    case Checkpointing::selective_layer: layer_recompute = checkpointed_layer_fraction(s) * layer_fwd; break;
    // Per-op: every other matmul and every element-wise op run again; attention's output is saved.
    case Checkpointing::selective_op: layer_recompute = fwd_odd + ad_fwd + ew_fwd; break;
    case Checkpointing::selective: layer_recompute = s.flash_attention ? 0 : attn_fwd; break;
    case Checkpointing::none: break;
  }
  // Forward collectives repeat with the recomputed forward of fully checkpointed layers.
  const double recompute_comm = checkpointed_layer_fraction(s);

  // Output head and loss, vocabulary-split over TP.
  const double head_fwd = gemm16(T, Vr, h);
  const double head_bwd = gemm16(T, h, Vr) + (s.method == Method::full ? gemm16(Vr, h, T) : 0);
  // Fused or compiled: read the BF16 logits in forward, read them and write the gradient in backward.
  const LossPath lp = loss_path(s);
  const double loss = stream((lp == LossPath::compiled || lp == LossPath::fused ? 6.0 : 36.0) * Vr * T);
  // Adapters outside the blocks: LoRA on the head is two more GEMMs per pass; on the embedding, A is a
  // table lookup (r values gathered per token, their gradient scattered back) and only B multiplies.
  double model_ad_fwd = 0, model_ad_bwd = 0;
  if (lora) {
    for (const auto& a : s.model_adapters()) {
      if (a.target == "lm_head") {
        model_ad_fwd += gemm16(T, r, h) + gemm16(T, Vr, r);
        model_ad_bwd += gemm16(T, r, Vr) + gemm16(T, h, r) + gemm16(Vr, r, T) + gemm16(r, h, T);
      } else if (s.pipeline_parallel == 1) {  // the embedding's adapter lives on the first stage
        model_ad_fwd += stream(2.0 * 2 * r * T) + gemm16(T, h, r);
        model_ad_bwd += gemm16(T, r, h) + gemm16(h, r, T) + stream(3.0 * 2 * r * T);
      }
    }
  }

  double dequant = 0;
  if (s.method == Method::qlora) {
    const double uses = 2 + (s.checkpointing == Checkpointing::full ? 1 : 0);
    dequant = stream(Ls * static_cast<double>(pc.per_layer_linear) / tp(s) * (kNf4BitsPerParam / 8 + 2) * uses);
  }

  t.gemm = Ls * (fwd + dgrad + wgrad + ad_fwd + ad_bwd) + head_fwd + head_bwd + model_ad_fwd + model_ad_bwd;
  t.attention = Ls * (attn_fwd + attn_bwd);
  t.elementwise = Ls * (ew_fwd + ew_bwd);
  t.loss = loss;
  t.recompute = Ls * layer_recompute;
  t.dequant = dequant;
  t.fp8_cast = Ls * fp8_cast;
  const double compute_mb = t.gemm + t.attention + t.elementwise + t.loss + t.recompute + t.dequant + t.fp8_cast;
  const double bwd_mb = Ls * (layer_bwd + layer_recompute) + head_bwd;

  if (s.activation_offload) {
    const auto& h2d = prof.transfer.count("h2d") ? prof.transfer.at("h2d") : prof.transfer.begin()->second;
    const double bytes = Ls * 2 * hs * T;
    const double t_off = 2 * h2d.time_s(bytes);  // out in forward, back in backward
    t.offload = std::max(0.0, t_off - compute_mb);
  }

  // Tensor parallelism (Korthikanti et al. 2022 sec. 4.2.2): per layer, without sequence parallelism
  // two all-reduces of the layer's activation (T x h) in forward and two in backward; with it each
  // becomes an all-gather + reduce-scatter, and backward gathers the input again for the weight
  // gradients (two more all-gathers). On the critical path unless tp_comm_overlap hides them behind
  // the GEMMs of the same pass.
  const double tpr = tp(s), act_bytes = T * h * 2;
  double tp_fwd = 0, tp_bwd = 0;
  if (s.tensor_parallel > 1) {
    if (s.sequence_parallel) {
      const double ag = coll("all_gather", tpr, act_bytes), rs = coll("reduce_scatter", tpr, act_bytes);
      tp_fwd = 2 * (ag + rs);
      tp_bwd = 2 * (ag + rs) + 2 * ag;
    } else {
      tp_fwd = 2 * coll("all_reduce", tpr, act_bytes);
      tp_bwd = tp_fwd;
    }
  }
  // Context parallelism (ring attention, as torch's context_parallel and Transformer Engine run it):
  // each rank gathers the other ranks' keys and values in forward, again in backward, and
  // reduce-scatters their gradients; the exchange overlaps the attention blocks it feeds.
  double cp_fwd = 0, cp_bwd = 0;
  if (s.context_parallel > 1) {
    const double kv_bytes = 2 * kv_dim_rank(s) * T * cp * 2;  // K and V of the whole sequence, BF16
    cp_fwd = coll("all_gather", cp, kv_bytes);
    cp_bwd = cp_fwd + coll("reduce_scatter", cp, kv_bytes);
  }
  double tp_exposed_layer = 0, cp_exposed_layer = 0, overlapped_layer = 0;
  {
    const double gemm_f = fwd + ad_fwd, gemm_b = dgrad + wgrad + ad_bwd;
    auto hide = [&](double comm, double behind, double& exposed) {
      exposed += std::max(0.0, comm - behind);
      overlapped_layer += std::min(comm, behind);
    };
    if (s.tp_comm_overlap) {
      hide(tp_fwd * (1 + recompute_comm), gemm_f * (1 + recompute_comm), tp_exposed_layer);
      hide(tp_bwd, gemm_b, tp_exposed_layer);
    } else if (fw && fw->tp_backward_overlap) {
      tp_exposed_layer = tp_fwd * (1 + recompute_comm);
      hide(tp_bwd, gemm_b, tp_exposed_layer);
    } else {
      tp_exposed_layer = tp_fwd * (1 + recompute_comm) + tp_bwd;
    }
    hide(cp_fwd * (1 + recompute_comm), attn_fwd * (1 + recompute_comm), cp_exposed_layer);
    hide(cp_bwd, attn_bwd, cp_exposed_layer);
  }
  // Pipeline: every micro-batch sends its activation forward and its gradient back at each of the
  // stage's v chunk boundaries (Megatron scatters it over the TP ranks), point to point.
  double p2p_mb = 0;
  if (s.pipeline_parallel > 1)
    p2p_mb = 2 * static_cast<double>(s.virtual_stages) * coll("broadcast", 2, T * hs * 2);
  const double model_parallel_mb = Ls * (tp_exposed_layer + cp_exposed_layer) + p2p_mb;
  const double mp_overlap_mb = kOverlapComputeSlowdown * Ls * overlapped_layer;

  // Data-parallel communication over the gradient ranks (data parallel x CP), sharded over the
  // shard group; HSDP adds an all-reduce of each shard across the groups.
  double comm_mb = 0, comm_step = 0, overlap_mb = 0;
  const auto sp = stage_params(s, pc, s.pipeline_parallel == 1, true);
  const double A = stage_adapter_params(s, s.pipeline_parallel == 1, true);
  const double trainable = lora ? A : sp.total;
  const double grad_b = lora && fp32_states(s) ? 4 : 2;
  const double D = static_cast<double>(s.gradient_ranks()), G = static_cast<double>(s.shard_ranks());
  const double R = D / G;  // replicas of each shard (HSDP)
  if (D > 1) {
    if (s.sharding == Sharding::none || s.sharding == Sharding::zero1 || s.sharding == Sharding::zero2) {
      const double bytes = trainable * grad_b;
      const double buckets = std::max(1.0, std::ceil(bytes / kDdpBucketBytes));
      double t_red = 0;
      if (s.sharding == Sharding::none) {
        const auto* c = prof.collective("all_reduce", static_cast<int>(D));
        t_red = c ? buckets * c->ab.alpha_s + bytes / (c->ab.bandwidth_gbps * 1e9) : 0;
      } else {
        t_red = coll("reduce_scatter", G, bytes) + coll("all_reduce", R, bytes / G);
      }
      // Gradient reduction overlaps the last micro-batch's backward; the last bucket cannot.
      const double exposed = std::max(t_red - bwd_mb, t_red / buckets);
      t.overlap_slowdown = kOverlapComputeSlowdown * std::min(t_red - t_red / buckets, bwd_mb);
      double t_gather = 0;
      if (s.sharding != Sharding::none) t_gather = coll("all_gather", G, trainable * 2);  // after the step
      comm_step = exposed + t_gather;
      t.communication_total = t_red + t_gather;
    } else {
      // FSDP / ZeRO-3: gather each layer before its forward and its backward, reduce-scatter its
      // gradient after its backward, every micro-batch; prefetch overlaps one layer with the next.
      const double wb = s.method == Method::qlora ? kNf4BitsPerParam / 8 : 2;
      const double ag_layer = coll("all_gather", G, sp.layer * wb);
      const double grad_layer = (lora ? rank_adapter_params_per_layer(s) : sp.layer) * grad_b;
      const double rs_layer = coll("reduce_scatter", G, grad_layer) + coll("all_reduce", R, grad_layer / G);
      const double ag_root = coll("all_gather", G, sp.root * 2);
      const double rs_root = lora ? 0 : coll("reduce_scatter", G, sp.root * grad_b) + coll("all_reduce", R, sp.root * grad_b / G);
      const double exp_fwd = Ls * std::max(0.0, ag_layer - layer_fwd) + ag_root;
      const double exp_bwd = Ls * std::max(0.0, ag_layer + rs_layer - (layer_bwd + layer_recompute)) + rs_root;
      comm_mb = exp_fwd + exp_bwd;
      // Compute that runs beside a layer's collectives is slowed while they are in flight.
      overlap_mb = kOverlapComputeSlowdown * Ls *
                   (std::min(ag_layer, layer_fwd) + std::min(ag_layer + rs_layer, layer_bwd + layer_recompute));
      t.communication_total = micro * (Ls * (2 * ag_layer + rs_layer) + ag_root + rs_root);
    }
  }
  const double tp_total_mb = Ls * ((tp_fwd + cp_fwd) * (1 + recompute_comm) + tp_bwd + cp_bwd) + p2p_mb;
  t.communication_total += micro * tp_total_mb;

  // Optimizer step over this GPU's shard.
  double opt_params = trainable;
  if (s.sharding >= Sharding::zero1) opt_params /= G;
  t.optimizer = stream(opt_params * optimizer_step_bytes(s));

  t.tensor_parallel_exposed = micro * Ls * tp_exposed_layer;
  t.context_parallel_exposed = micro * Ls * cp_exposed_layer;
  t.pipeline_p2p = micro * p2p_mb;
  t.communication_exposed = micro * (comm_mb + model_parallel_mb) + comm_step;
  t.overlap_slowdown += micro * (overlap_mb + mp_overlap_mb);
  t.gemm *= micro;
  t.attention *= micro;
  t.elementwise *= micro;
  t.loss *= micro;
  t.recompute *= micro;
  t.dequant *= micro;
  t.offload *= micro;
  t.fp8_cast *= micro;
  // Pipeline bubble: the last stage waits (p - 1) / v micro-batch times of the others before its
  // first and after its last micro-batch (Narayanan et al. 2021, "Efficient Large-Scale Language
  // Model Training on GPU Clusters Using Megatron-LM", sec. 2.2: bubble fraction (p - 1) / (m v)).
  // Its kernel part is counted as the GPU's work (scaled by the end-to-end efficiency like the rest);
  // its communication part joins the exposed communication.
  if (s.pipeline_parallel > 1) {
    const double waits = static_cast<double>(s.pipeline_parallel - 1) / static_cast<double>(s.virtual_stages);
    const double per_mb_kernel = (t.kernel_time() - t.optimizer) / micro;
    const double per_mb_exposed = comm_mb + model_parallel_mb;
    t.pipeline_bubble = waits * per_mb_kernel;
    t.pipeline_bubble_exposed = waits * per_mb_exposed;
    t.communication_exposed += t.pipeline_bubble_exposed;
  }
  // End to end: the framework reaches a fraction of the kernel-level rate of the GPU's work; exposed
  // communication and offload waits are not scaled.
  const double kernels = t.kernel_time();
  t.framework_overhead = kernels * (1 / s.efficiency() - 1);
  t.step = kernels + t.framework_overhead + t.communication_exposed + t.offload;

  tp_.tokens_per_step = T * micro / tp(s) / static_cast<double>(s.pipeline_parallel);
  tp_.tokens_per_s_per_gpu = tp_.tokens_per_step / t.step;
  tp_.mfu = tp_.flops.model_flops_per_token * tp_.tokens_per_s_per_gpu / peak16;
  if (s.tokens > 0) tp_.total_s = s.tokens / (tp_.tokens_per_s_per_gpu * static_cast<double>(s.gpus()));
  return tp_;
}

namespace {

TimePlan plan_inference_time(const Scenario& s) {
  TimePlan tp;
  const auto& m = s.model;
  const auto& prof = s.gpu;
  const auto pc = count_params(m);
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const double b = static_cast<double>(s.micro_batch);
  const double N = static_cast<double>(s.gpus());
  const bool fp8 = s.precision == Precision::fp8;
  const auto& g = prof.gemm_for(fp8 ? "fp8_e4m3" : "bf16");
  const double eb = fp8 ? 1 : 2;
  tp.flops = count_flops(s);
  const double peak16 = prof.gemm_for("bf16").peak_tflops * 1e12;

  // Prefill: every GEMM at M = tokens, attention, element-wise traffic.
  double prefill = 0;
  for (const auto& l : block_linears(m)) prefill += g.time_s(T, l.out, l.in, eb);
  const double fa_pad = static_cast<double>(flash_attention_head_dim(m.dim_head())) / m.dim_head();
  const double fa_rate = flash_attention_rates(s.seq_len).forward;
  const double attn = s.flash_attention ? fa_pad * 2.0 * T * s.seq_len * m.q_dim() /
                                              (prof.attention_efficiency * fa_rate * peak16)
                                        : 4.0 * T * s.seq_len * m.q_dim() / (g.efficiency * peak16) +
                                              prof.memory_time_s("copy", 16.0 * b * m.heads * s.seq_len * s.seq_len);
  const double ew = (20.0 * m.hidden + (m.mlp == MlpKind::gated ? 10.0 : 4.0) * m.intermediate) * T;
  prefill = m.layers * (prefill + attn) + prof.memory_time_s("copy", ew * m.layers) +
            prof.gemm_for("bf16").time_s(b, m.vocab, m.hidden, 2);
  tp.prefill_s = prefill;

  // Decode: each step reads every weight once and the whole KV cache; compute at M = micro_batch.
  const double weights = weight_bytes_inference(s, pc) / (s.sharding == Sharding::zero3 ? N : 1);
  const double kv = kv_cache_bytes(s);
  const double read = prof.memory_time_s("read", weights + kv);
  const double flops = 2.0 * b * (pc.linear_total() + static_cast<double>(m.vocab) * m.hidden) +
                       4.0 * b * s.seq_len * m.q_dim() * m.layers;
  const double compute = flops / (g.efficiency * g.peak_tflops * 1e12);
  const double launches = m.layers * (block_linears(m).size() + 6) * g.overhead_s;
  const double step = std::max(read, compute) + launches;
  tp.t.gemm = compute;
  tp.t.elementwise = read;
  tp.t.step = step;
  tp.decode_tokens_per_s = b / step;
  tp.tokens_per_step = b;
  tp.tokens_per_s_per_gpu = tp.decode_tokens_per_s;
  tp.mfu = flops / step / peak16;
  if (s.tokens > 0) tp.total_s = s.tokens / (tp.tokens_per_s_per_gpu * N);
  return tp;
}

std::string checkpointing_text(const Scenario& s) {
  switch (s.checkpointing) {
    case Checkpointing::none: return "every tensor autograd saves is kept; nothing recomputed";
    case Checkpointing::selective:
      return "Korthikanti et al. 2022 sec. 5: the attention-score tensors (softmax, its dropout and mask) are "
             "recomputed, everything else kept" +
             std::string(s.flash_attention ? "; FlashAttention never stores them, so this plans as none" : "");
    case Checkpointing::full:
      return "each layer keeps only its input (" + fmt("%.0f", 2.0 * s.model.hidden / hidden_split(s)) +
             " B/token); backward recomputes the layer's forward, one layer's activations alive at a time";
    case Checkpointing::selective_op:
      return "per-op (torchtitan's policy, torchtitan/parallelisms/parallelize_llama.py 2024: save the outputs of "
             "aten.mm except every second one per block, and of the SDPA flash/efficient kernels): keeps the "
             "block's input and the outputs of the 1st, 3rd, 5th ... matmul (Llama: wq, wv, w1, w2) and of "
             "attention (output + FP32 log-sum-exp), " + fmt("%.0f", selective_op_saved_bytes_per_token(s)) +
             " B/token/layer; recomputes the other matmuls and every norm, rotary, activation and residual op";
    case Checkpointing::selective_layer:
      return "every " + std::to_string(s.checkpoint_every) + "-th layer fully checkpointed (torchtitan's "
             "selective_ac_option N: a block counter wraps blocks N, 2N, ...): " +
             std::to_string(s.model.layers / s.checkpoint_every) + " of " + std::to_string(s.model.layers) +
             " layers keep only their input and are recomputed, the others keep everything";
  }
  return "";
}

std::vector<std::string> parallelism_texts(const Scenario& s) {
  std::vector<std::string> v;
  if (s.model_parallel() == 1 && s.shard_group == 0) return v;
  v.push_back("layout: " + std::to_string(s.gpus()) + " GPUs = TP " + std::to_string(s.tensor_parallel) + " x PP " +
              std::to_string(s.pipeline_parallel) + " x CP " + std::to_string(s.context_parallel) + " x DP " +
              std::to_string(s.data_parallel()) + "; gradients reduced over " + std::to_string(s.gradient_ranks()) +
              " ranks (DP x CP), sharded states over " + std::to_string(s.shard_ranks()) +
              (s.shard_group > 0 ? " (HSDP: all-reduced across " + std::to_string(s.gradient_ranks() / s.shard_ranks()) +
                                       " replicas)"
                                 : std::string()));
  if (s.tensor_parallel > 1)
    v.push_back("tensor parallel " + std::to_string(s.tensor_parallel) +
                " (Megatron-LM, Shoeybi et al. 2019): q, k, v, gate, up split by output, o and down by input, heads "
                "and the head's vocabulary split; per layer 2 all-reduces of the activation in forward and 2 in "
                "backward" +
                std::string(s.sequence_parallel
                                ? ", as all-gathers + reduce-scatters with sequence parallelism, which also splits the "
                                  "norm and residual activations and work (Korthikanti et al. 2022 sec. 4.2.2), with 2 "
                                  "more all-gathers in backward for the weight gradients"
                                : "; without sequence parallelism the norm and residual activations are replicated") +
                "; collectives through the profile's alpha-beta fit at " + std::to_string(s.tensor_parallel) + " ranks, " +
                (s.tp_comm_overlap ? "overlapped with the GEMMs of the same pass (tp_comm_overlap)" : "on the critical path") +
                (s.tensor_parallel > s.gpus_per_node ? "; the group spans nodes" : ""));
  if (s.pipeline_parallel > 1)
    v.push_back("pipeline parallel " + std::to_string(s.pipeline_parallel) + ", " +
                (s.pipeline_schedule == PipelineSchedule::interleaved
                     ? "interleaved 1F1B with " + std::to_string(s.virtual_stages) + " virtual stages"
                     : std::string("1F1B")) +
                ": bubble (p - 1) / (m v) = " +
                fmt("%.3f", static_cast<double>(s.pipeline_parallel - 1) /
                                (static_cast<double>(s.grad_accum) * s.virtual_stages)) +
                " of the " + std::to_string(s.grad_accum) + " micro-batches' time (Narayanan et al. 2021); the first "
                "stage holds " + fmt("%.2f", in_flight(s, true)) + " micro-batches of its layers in flight, the last " +
                fmt("%.2f", in_flight(s, false)) + " (Korthikanti et al. 2022 sec. 4.2.3); " +
                fmt("%.0f", stage_layers(s)) + " layers on the busiest stage; activations and gradients sent point "
                "to point at each chunk boundary");
  if (s.context_parallel > 1)
    v.push_back("context parallel " + std::to_string(s.context_parallel) + " (ring attention): each GPU holds seq_len / " +
                std::to_string(s.context_parallel) + " tokens of every activation and computes its causal share of "
                "attention (load-balanced); keys and values all-gathered in forward and backward, their gradients "
                "reduce-scattered, overlapped with the attention blocks; CP ranks reduce gradients with the data-parallel ones");
  return v;
}

std::string framework_text(const Scenario& s) {
  const Framework* fw = find_framework(s.framework);
  if (!fw) return "framework '" + s.framework + "' is not known to the planner (known: megatron, torchtitan, fsdp, "
                   "deepspeed, hf, llm-foundry, unsloth): planned as no framework";
  return "framework " + std::string(fw->key) + " (" + fw->name + "): loss path " + to_string(fw->eager_loss) +
         " unless chunked, compiled or fused; " +
         (fw->fused_kernels ? "fused norm / rotary / activation kernels; " : "") +
         (fw->compile_covers_loss ? "" : "torch.compile covers the blocks, not the loss; ") + fw->source;
}

std::vector<std::string> assumptions(const Scenario& s, const MemoryPlan& mp) {
  std::vector<std::string> a;
  a.push_back("profile: " + s.gpu.sku + " (" + s.gpu.kind + "); every coefficient's source is in the profile");
  if (s.training()) {
    a.push_back(s.precision == Precision::bf16
                    ? "pure bf16: weights, gradients and optimizer states in BF16 (torch AdamW keeps m, v in the parameter dtype)"
                    : "mixed precision: BF16 weights and gradients (2+2 B/param), FP32 master weights (4 B) and FP32 "
                      "optimizer states; full AdamW = 16 B/param of model states before sharding");
    a.push_back("optimizer states per trainable parameter: adamw 8 B (FP32 m, v; 4 B in pure bf16), adamw-8bit / "
                "paged-adamw-8bit 2 B (+ absmax per 2048), sgd = one momentum buffer (4 B, 2 B in pure bf16); "
                "paged states counted as resident");
    if (is_lora(s))
      a.push_back("LoRA: base frozen in BF16" + std::string(s.method == Method::qlora ? " (linear layers NF4 with double "
                  "quantisation: " + fmt("%.3f", kNf4BitsPerParam) + " bits/param; embeddings, head and norms BF16)" : "") +
                  "; adapters A (in x r) and B (r x out) per target, FP32 under amp-bf16 (PEFT), with gradients and "
                  "optimizer states; no weight-gradient GEMMs for frozen weights");
    a.push_back("activations: Korthikanti et al. 2022 per-layer count adapted to GQA/SwiGLU (" +
                fmt("%.0f", layer_activation_bytes_per_token(s)) + " B/token/layer on this GPU); full checkpointing "
                "keeps each layer's input (2h B/token) plus one recomputed layer; selective drops the attention-score "
                "tensors (no-op with FlashAttention); a linear layer's input is kept whether or not its weight trains");
    a.push_back("checkpointing " + checkpointing_name(s) + ": " + checkpointing_text(s));
    a.push_back("logits/loss: " + to_string(loss_path(s)) + ", " + fmt("%.1f", logits_bytes_per_vocab_token(s)) +
                " B per vocabulary entry per token (eager, FP32 logits kept through backward: FP32 logits + log-softmax + "
                "two FP32 gradients = 16; upcast inside the loss with the BF16 logits deleted before backward (torchtitan): "
                "saved log-softmax + its incoming and outgoing FP32 gradients = 12; chunked: 6 + 8/chunks; compiled: "
                "2 + 8/chunks; fused kernel: BF16 logits + BF16 gradient = 4; Megatron vocab-parallel: BF16 logits + "
                "FP32 softmax turned into its gradient in place = 6, over the TP ranks' vocabulary shards)");
    for (const auto& p : parallelism_texts(s)) a.push_back(p);
    if (s.precision == Precision::fp8)
      a.push_back("FP8 recipe (Transformer Engine / torchao float8 with current scaling): the block linears' forward, "
                  "input-gradient and weight-gradient GEMMs run in FP8 E4M3 at the profile's FP8 GEMM model; the head, "
                  "attention and LoRA adapters stay BF16; each GEMM operand is scaled and cast per micro-batch (amax "
                  "pass + cast + transposed cast, 6 B per BF16 element: input and weight in forward, output gradient "
                  "and weight in backward); FP8 weight copies (1 B/param) kept besides the BF16 ones");
    if (!s.framework.empty()) a.push_back(framework_text(s));
    a.push_back("peak = max(start of backward: states + activations + logits + gradients kept from earlier micro-batches; "
                "with full checkpointing, the first recomputed layer: the same with that layer's activations instead of "
                "the logits, which the loss backward has freed; end of backward: states + all gradients); gradients are "
                "allocated during backward (zero_grad set_to_none)");
    if (s.gradient_ranks() > 1)
      a.push_back(s.sharding == Sharding::zero3
                      ? "FSDP/ZeRO-3: root unit (embedding, head) kept gathered, current + prefetched layer gathered, one "
                        "unit's gradient unsharded; all-gather in forward and backward and reduce-scatter every micro-batch; "
                        "each layer's communication overlaps the previous layer's compute, which runs 18.9% slower while "
                        "collectives are in flight (arXiv:2507.03114)"
                      : "DDP/ZeRO-1/2: gradient reduction overlaps the last micro-batch's backward except its last bucket "
                        "(25 MB DDP buckets, 5e8-element ZeRO buckets) and slows that backward by 18.9% while in flight "
                        "(arXiv:2507.03114); ZeRO's parameter all-gather after the step is exposed");
    a.push_back("time: GEMMs at their real shapes through the profile's GEMM model; FlashAttention at the profile's "
                "attention efficiency shaped by FA2's published causal forward and backward rates over the sequence "
                "length (" + fmt("%.2f", flash_attention_rates(s.seq_len).forward) + "x forward, " +
                fmt("%.2f", flash_attention_rates(s.seq_len).backward) + "x backward here; arXiv:2407.08608), backward "
                "= 2.5x forward FLOPs; element-wise ops, loss (36 B/vocab/token eager, "
                "6 compiled), QLoRA dequantisation (NF4 read + BF16 write per use) and the optimizer step at the profile's "
                "copy bandwidth; element-wise bytes count the kernels of the eager implementations (RMSNorm 36 B/element, rotary 22, SwiGLU 10) or, compiled, one read and one write per fused chain");
    a.push_back("end to end: the kernel-level time above over " + fmt("%.3f", s.efficiency()) + " (" +
                s.efficiency_source() + ")" +
                ": host dispatch, launch gaps, synchronisation, the allocator and clocks under a mixed load, which "
                "the kernel model does not see; set end_to_end_efficiency to your own measured / planned ratio");
    a.push_back("MFU: model FLOPs (6 x GEMM params for full, 4 x + 6 x adapters for LoRA, causal attention 6 s q_dim per "
                "layer per token) / BF16 dense peak; recomputation not counted");
  } else {
    a.push_back("inference: weights in " + to_string(s.precision) + " (int8/fp8/nf4 quantise block linears only), BF16 KV "
                "cache for seq_len x micro_batch (" + fmt("%.2f", mp.kv_cache / 1e9) + " GB); decode reads all weights and "
                "the whole cache each step; prefill through the GEMM model");
  }
  a.push_back("CUDA context " + fmt("%.2f", s.gpu.usable.context_bytes / double(kGiB)) + " GiB (" + s.gpu.usable.source.kind +
              "); caching-allocator reserve " + fmt("%.0f", kAllocatorReserveFraction * 100) + "% of allocated");
  return a;
}

}  // namespace

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

std::vector<std::string> plan_warnings(const PlanResult& r) {
  std::vector<std::string> w;
  const auto& s = r.scenario;
  if (s.training() && s.model.layers > 0 && s.grad_accum > 0) {
    const auto& t = r.time.t;
    const double per_layer = (t.gemm + t.attention + t.elementwise + t.recompute + t.dequant) /
                             (static_cast<double>(s.grad_accum) * stage_layers(s));
    if (per_layer < kHostBoundLayerSeconds && !s.compile)
      w.push_back("host-bound risk: " + fmt("%.1f", per_layer * 1e3) +
                  " ms of GPU work per layer per micro-batch; eager frameworks can take longer than that to issue a "
                  "layer's operators, which the planner does not model: expect fewer tokens/s (a larger micro-batch, "
                  "torch.compile or CUDA graphs help)");
    if (t.step > 0 && t.communication_exposed > 0.25 * t.step)
      w.push_back("communication-bound: " + fmt("%.0f", 100 * t.communication_exposed / t.step) +
                  "% of the step waits for collectives; fewer nodes, a larger micro-batch or less sharding may be faster");
  }
  if (s.training() && s.tensor_parallel > s.gpus_per_node)
    w.push_back("tensor parallelism across nodes: " + std::to_string(s.tensor_parallel) + " ranks over " +
                std::to_string(s.gpus_per_node) + "-GPU nodes put its per-layer collectives on the network");
  if (!s.framework.empty() && !find_framework(s.framework))
    w.push_back("framework '" + s.framework + "' is not known: planned with the defaults (no framework)");
  if (r.fits && r.memory.capacity > 0 && r.memory.peak.total() > 0.95 * r.memory.capacity)
    w.push_back("memory: the peak is " + fmt("%.1f", 100 * r.memory.peak.total() / r.memory.capacity) +
                "% of the GPU's memory; fragmentation and the allocator's retries can slow or break such a run");
  return w;
}

json plan_to_json(const PlanResult& r) {
  const auto& b = r.memory.peak;
  json breakdown = {{"weights_bytes", b.weights},
                    {"gradients_bytes", b.gradients},
                    {"optimizer_bytes", b.optimizer},
                    {"master_weights_bytes", b.master_weights},
                    {"adapters_bytes", b.adapters},
                    {"activations_bytes", b.activations},
                    {"logits_loss_bytes", b.logits_loss},
                    {"communication_buffers_bytes", b.communication_buffers},
                    {"cuda_context_bytes", b.cuda_context},
                    {"allocator_reserve_bytes", b.allocator_reserve}};
  json j;
  j["scenario"] = scenario_to_json(r.scenario);
  j["model"] = model_to_json(r.scenario.model);
  j["model"]["trainable_parameters"] = r.trainable_params;
  j["model"]["adapter_parameters"] = r.adapter_params;
  j["gpu"] = {{"sku", r.scenario.gpu.sku}, {"profile", r.scenario.gpu.kind}, {"memory_bytes", r.memory.capacity}};
  j["memory"] = {{"per_gpu_bytes", b.total()},
                 {"allocated_bytes", b.allocated()},
                 {"reserved_bytes", b.reserved()},
                 {"peak_phase", r.memory.peak_phase},
                 {"breakdown", breakdown}};
  if (!r.memory.stage.empty()) j["memory"]["pipeline_stage"] = r.memory.stage;
  if (r.scenario.training()) j["memory"]["loss_path"] = to_string(loss_path(r.scenario));
  if (!r.scenario.training()) j["memory"]["kv_cache_bytes"] = r.memory.kv_cache;
  j["fits"] = r.fits;
  j["min_gpus_to_fit"] = r.min_gpus_to_fit ? json(*r.min_gpus_to_fit) : json(nullptr);
  j["min_gpus_sharding"] = r.min_gpus_sharding;
  const auto& t = r.time.t;
  j["time"] = {{"step_s", t.step},
               {"tokens_per_s_per_gpu", r.time.tokens_per_s_per_gpu},
               {"mfu", r.time.mfu},
               {"total_s", r.time.total_s},
               {"breakdown", {{"gemm_s", t.gemm}, {"attention_s", t.attention}, {"elementwise_s", t.elementwise},
                              {"loss_s", t.loss}, {"recompute_s", t.recompute}, {"dequant_s", t.dequant},
                              {"optimizer_s", t.optimizer}, {"offload_exposed_s", t.offload},
                              {"communication_exposed_s", t.communication_exposed},
                              {"communication_total_s", t.communication_total},
                              {"overlap_slowdown_s", t.overlap_slowdown},
                              {"fp8_cast_s", t.fp8_cast},
                              {"tensor_parallel_exposed_s", t.tensor_parallel_exposed},
                              {"context_parallel_exposed_s", t.context_parallel_exposed},
                              {"pipeline_p2p_s", t.pipeline_p2p},
                              {"pipeline_bubble_s", t.pipeline_bubble},
                              {"pipeline_bubble_exposed_s", t.pipeline_bubble_exposed},
                              {"framework_overhead_s", t.framework_overhead}}},
               {"end_to_end_efficiency", r.scenario.training() ? r.scenario.efficiency() : 1.0}};
  if (!r.scenario.training()) {
    j["time"]["prefill_s"] = r.time.prefill_s;
    j["time"]["decode_tokens_per_s_per_gpu"] = r.time.decode_tokens_per_s;
  }
  j["cost"] = {{"gpu_hours", r.gpu_hours}, {"total", r.cost}, {"price_per_gpu_hour", r.scenario.price_per_gpu_hour}};
  j["assumptions"] = r.assumptions;
  j["warnings"] = r.warnings;
  return j;
}

std::string plan_to_table(const PlanResult& r) {
  std::ostringstream o;
  auto gb = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%9.2f GB", x / 1e9);
    return std::string(buf);
  };
  const auto& s = r.scenario;
  const auto& b = r.memory.peak;
  o << "gpuscale plan: " << s.model.name << " (" << r.params.total << " parameters), " << to_string(s.method) << ", "
    << to_string(s.precision) << " on " << s.gpus() << " x " << s.gpu.sku << " (" << s.gpu.kind << " profile)\n\n";
  o << "memory per GPU (peak at " << r.memory.peak_phase
    << (r.memory.stage.empty() ? std::string() : ", " + r.memory.stage + " pipeline stage") << ")\n";
  const std::pair<const char*, double> rows[] = {
      {"weights", b.weights}, {"gradients", b.gradients}, {"optimizer states", b.optimizer},
      {"master weights", b.master_weights}, {"adapters", b.adapters}, {"activations", b.activations},
      {"logits / loss", b.logits_loss}, {"communication buffers", b.communication_buffers},
      {"CUDA context", b.cuda_context}, {"allocator reserve", b.allocator_reserve}};
  for (const auto& [name, v] : rows) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-24s %s\n", name, gb(v).c_str());
    o << line;
  }
  char line[160];
  std::snprintf(line, sizeof line, "  %-24s %s of %.1f GB: %s\n", "total", gb(b.total()).c_str(), r.memory.capacity / 1e9,
                r.fits ? "fits" : "does NOT fit");
  o << line;
  if (r.min_gpus_to_fit) o << "  fits from " << *r.min_gpus_to_fit << " GPU(s) with sharding " << r.min_gpus_sharding << "\n";
  else o << "  does not fit on up to 4096 GPUs\n";
  o << "\ntime\n";
  std::snprintf(line, sizeof line, "  step                     %10.4f s\n  tokens/s per GPU         %10.1f\n  MFU                      %10.1f %%\n",
                r.time.t.step, r.time.tokens_per_s_per_gpu, r.time.mfu * 100);
  o << line;
  if (s.training() && r.time.t.step > 0) {
    const auto& t = r.time.t;
    const std::pair<const char*, double> parts[] = {
        {"GEMMs", t.gemm}, {"attention", t.attention}, {"element-wise", t.elementwise}, {"loss", t.loss},
        {"recomputation", t.recompute}, {"dequantisation", t.dequant}, {"FP8 casts", t.fp8_cast},
        {"optimizer step", t.optimizer}, {"pipeline bubble", t.pipeline_bubble},
        {"exposed communication", t.communication_exposed}, {"overlap slowdown", t.overlap_slowdown},
        {"offload wait", t.offload}, {"framework overhead", t.framework_overhead}};
    o << "  where a step goes (end-to-end efficiency " << std::to_string(s.efficiency()).substr(0, 5) << ")\n";
    for (const auto& [name, v] : parts) {
      if (v <= 0) continue;
      std::snprintf(line, sizeof line, "    %-24s %10.4f s  %5.1f %%\n", name, v, 100 * v / t.step);
      o << line;
    }
  }
  if (!s.training()) {
    std::snprintf(line, sizeof line, "  prefill                  %10.4f s\n", r.time.prefill_s);
    o << line;
  }
  if (r.time.total_s > 0) {
    std::snprintf(line, sizeof line, "  total                    %10.1f h for %.3g tokens\n  GPU hours                %10.1f\n",
                  r.time.total_s / 3600, s.tokens, r.gpu_hours);
    o << line;
    if (s.price_per_gpu_hour > 0) {
      std::snprintf(line, sizeof line, "  cost                     %10.2f (at %.2f per GPU hour)\n", r.cost, s.price_per_gpu_hour);
      o << line;
    }
  }
  if (!r.warnings.empty()) {
    o << "\nwarnings\n";
    for (const auto& w : r.warnings) o << "  ! " << w << "\n";
  }
  o << "\nassumptions\n";
  for (const auto& a : r.assumptions) o << "  - " << a << "\n";
  return o.str();
}

}  // namespace gpuscale::planner
