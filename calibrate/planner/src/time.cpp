// The time model (see plan.hpp): the FLOPs of a micro-batch, and the seconds of an optimizer step on
// one GPU (training) or of prefill and one decode step (inference). GEMMs at their per-rank shapes
// through the profile's GEMM model; FlashAttention at the profile's attention efficiency shaped by
// FA2's published rates (Shah et al. 2024, FlashAttention-3, arXiv:2407.08608) on its padded head
// dimension (Dao-AILab/flash-attention flash_api.cpp), or eager attention as batched GEMMs and
// softmax traffic; element-wise ops, loss, QLoRA dequantisation, FP8 casts (torchao float8,
// Transformer Engine) and the optimizer step through the profile's memory bandwidth; recomputation;
// tensor-parallel (Korthikanti et al. 2022 sec. 4.2.2), context-parallel, pipeline and data-parallel
// collectives through the profile's alpha-beta fits, overlapped as the assumptions state, with the
// compute beside them slowed (arXiv:2507.03114); the pipeline bubble (Narayanan et al. 2021 sec.
// 2.2); and the end-to-end efficiency over the kernel-level time.
#include <algorithm>
#include <cmath>

#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/plan.hpp"
#include "plan_internal.hpp"

namespace gpuscale::planner {
using namespace detail;  // plan_internal.hpp
namespace {

// Adapter parameters that multiply every token: an embedding's A is a table looked up (r values per
// token), not a matmul, so only its B (r x hidden) counts.
double adapter_flop_params(const Scenario& s) {
  if (!is_lora(s)) return 0;
  double a = adapter_params_per_layer(s) * s.model.layers;
  for (const auto& ad : s.model_adapters())
    a += static_cast<double>(s.lora_rank) * (ad.target == "embed_tokens" ? ad.out : ad.in + ad.out);
  return a;
}

// Bytes read + written per trainable parameter by one optimizer step (incl. grad-norm clipping).
double optimizer_step_bytes(const Scenario& s) {
  const bool f32 = fp32_states(s);
  const double g = is_lora(s) && f32 ? 4 : 2;       // gradient dtype
  const double p = f32 ? 8 : 4;                     // read + write the master copy
  const double out = (!is_lora(s) && f32) ? 2 : 0;  // write the BF16 compute copy
  double st = 0;
  switch (s.optimizer) {
    case Optimizer::adamw:
      st = f32 ? 16 : 8;
      break;
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit:
      st = 4;
      break;
    case Optimizer::sgd:
      st = f32 ? 8 : 4;
      break;
  }
  return 2 * g + p + st + out;  // gradient read twice: clipping norm and the update
}

double gemm_elem_bytes(const Scenario& s) {
  return s.precision == Precision::fp8 ? 1 : 2;
}
std::string gemm_precision(const Scenario& s) {
  return s.precision == Precision::fp8 ? "fp8_e4m3" : "bf16";
}

// Fused element-wise kernels: torch.compile, or a framework's own (Transformer Engine, Unsloth).
bool fused_elementwise(const Scenario& s) {
  const Framework* fw = framework_of(s);
  return s.compile || (fw && fw->fused_kernels);
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

AttentionRates flash_attention_rates(std::int64_t seq_len) {
  // FA2 on H100 SXM5, head dim 128, TFLOPS (arXiv:2407.08608): forward without / with the causal
  // mask, backward without it, at 512, 1k, 2k, 4k, 8k, 16k.
  static constexpr double kFwd[] = {309, 350, 362, 368, 370, 370};
  static constexpr double kFwdCausal[] = {191, 260, 298, 319, 333, 335};
  static constexpr double kBwd[] = {214, 260, 291, 310, 318, 322};
  // The profile's efficiency is the fused forward + backward (1 : 2.5 FLOPs) without the mask at
  // 16k; a causal backward is not published: assumed to lose what the causal forward loses.
  const double fused = 3.5 / (1 / kFwd[5] + 2.5 / kBwd[5]);
  const double x =
      std::clamp(std::log2(static_cast<double>(std::max<std::int64_t>(seq_len, 1))), 9.0, 14.0) - 9.0;
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), 4);
  const double w = x - static_cast<double>(i);
  auto at = [&](const double* v) { return v[i] + w * (v[i + 1] - v[i]); };
  AttentionRates r;
  r.forward = at(kFwdCausal) / fused;
  r.backward = at(kBwd) * (at(kFwdCausal) / at(kFwd)) / fused;
  return r;
}

// FlashAttention-2 (Dao-AILab/flash-attention csrc/flash_attn/flash_api.cpp, mha_fwd / mha_bwd)
// rounds the head size to a multiple of 8, then runs the kernel instantiated for
// head_size_rounded = head_size <= 192 ? round_multiple(head_size, 32) : 256, with the extra
// columns zero-padded: a head of 112 (MPT-30B: 7168 / 64) costs what a head of 128 does.
std::int64_t flash_attention_head_dim(std::int64_t head_dim) {
  if (head_dim <= 0) return head_dim;
  const std::int64_t d8 = (head_dim + 7) / 8 * 8;
  return d8 <= 192 ? (d8 + 31) / 32 * 32 : 256;
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
  if (s.method == Method::full)
    fc.model_flops_per_token = 6 * gemm_params + 3 * attn_per_token;
  else if (s.method == Method::inference)
    fc.model_flops_per_token = 2 * gemm_params + attn_per_token;
  else
    fc.model_flops_per_token = 4 * gemm_params + 6 * A + 3 * attn_per_token;
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
      if (fw && fw->fp8_fused_casts)  // FP8 writes of the input (+ transpose), cast-transpose of dY, weights
                                      // once a step
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
    attn_bwd =
        2 * (gemm16(bh * sq, sk, hd) + gemm16(bh * sq, hd, sk)) + stream((fused_softmax ? 20 : 16) * scores);
  }
  const double ew = elementwise_bytes_per_token(s);
  const double ew_fwd = stream(ew * T), ew_bwd = stream(2 * ew * T);

  const double layer_fwd = fwd + ad_fwd + attn_fwd + ew_fwd;
  const double layer_bwd = dgrad + wgrad + ad_bwd + attn_bwd + ew_bwd;
  double layer_recompute = 0;
  switch (s.checkpointing) {
    case Checkpointing::full:
      layer_recompute = layer_fwd;
      break;
    case Checkpointing::selective_layer:
      layer_recompute = checkpointed_layer_fraction(s) * layer_fwd;
      break;
    // Per-op: every other matmul and every element-wise op run again; attention's output is saved.
    case Checkpointing::selective_op:
      layer_recompute = fwd_odd + ad_fwd + ew_fwd;
      break;
    case Checkpointing::selective:
      layer_recompute = s.flash_attention ? 0 : attn_fwd;
      break;
    case Checkpointing::none:
      break;
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
    dequant =
        stream(Ls * static_cast<double>(pc.per_layer_linear) / tp(s) * (kNf4BitsPerParam / 8 + 2) * uses);
  }

  t.gemm = Ls * (fwd + dgrad + wgrad + ad_fwd + ad_bwd) + head_fwd + head_bwd + model_ad_fwd + model_ad_bwd;
  t.attention = Ls * (attn_fwd + attn_bwd);
  t.elementwise = Ls * (ew_fwd + ew_bwd);
  t.loss = loss;
  t.recompute = Ls * layer_recompute;
  t.dequant = dequant;
  t.fp8_cast = Ls * fp8_cast;
  const double compute_mb =
      t.gemm + t.attention + t.elementwise + t.loss + t.recompute + t.dequant + t.fp8_cast;
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
      const double rs_root =
          lora ? 0
               : coll("reduce_scatter", G, sp.root * grad_b) + coll("all_reduce", R, sp.root * grad_b / G);
      const double exp_fwd = Ls * std::max(0.0, ag_layer - layer_fwd) + ag_root;
      const double exp_bwd =
          Ls * std::max(0.0, ag_layer + rs_layer - (layer_bwd + layer_recompute)) + rs_root;
      comm_mb = exp_fwd + exp_bwd;
      // Compute that runs beside a layer's collectives is slowed while they are in flight.
      overlap_mb =
          kOverlapComputeSlowdown * Ls *
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

namespace detail {

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
  const double attn =
      s.flash_attention
          ? fa_pad * 2.0 * T * s.seq_len * m.q_dim() / (prof.attention_efficiency * fa_rate * peak16)
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

}  // namespace detail

}  // namespace gpuscale::planner
