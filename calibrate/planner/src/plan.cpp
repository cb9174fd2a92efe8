// The planner: memory and time of a scenario from the architecture and the profile (see plan.hpp).
#include "gpuscale/planner/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "gpuscale/core/units.hpp"

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

double adapter_params(const Scenario& s) {
  return is_lora(s) ? adapter_params_per_layer(s) * s.model.layers : 0;
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

}  // namespace

// Element-wise (memory-bound) bytes read + written per token by one layer's forward. Eager PyTorch
// runs each op of the Python implementations as its own kernel:
//   RMSNorm (HF/torchtune: to(fp32), pow, mean, mul by rsqrt, to(bf16), mul by weight)  36 B/element
//   LayerNorm (native fused kernel)                                                       4 B/element
//   rotary on q and k (mul cos, rotate_half = neg + cat, mul sin, add)                   22 B/element
//   SwiGLU (SiLU, then product)                                                           10 B/element of f
//   GELU                                                                                   4 B/element of f
//   two residual adds                                                                      6 B/element each
// Compiled (torch.compile) chains read each input and write each output once: norms 4, rotary 4,
// SwiGLU 6 B/element. Backward moves about twice the forward's bytes.
double elementwise_bytes_per_token(const Scenario& s) {
  const auto& m = s.model;
  const double h = m.hidden, f = m.intermediate, qk = static_cast<double>(m.q_dim() + m.kv_dim());
  const bool rms = m.norm == NormKind::rmsnorm;
  const bool rotary = m.learned_positions == 0 && rms;  // Llama-family rotary; MPT uses ALiBi
  double norm = rms ? (s.compile ? 4 : 36) : 4;
  double bytes = 2 * norm * h + 2 * 6 * h;
  if (rotary) bytes += (s.compile ? 4 : 22) * qk;
  bytes += m.mlp == MlpKind::gated ? (s.compile ? 6 : 10) * f : 4 * f;
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
  const double h = m.hidden, q = m.q_dim(), kv = m.kv_dim(), f = m.intermediate, a = m.heads;
  // Korthikanti et al. 2022 sec. 4.1 count, per token, 16-bit tensors unless noted:
  double bytes = 2 * h        // attention norm input (norm backward)
                 + 2 * h      // its output: the q, k, v projections' input
                 + 2 * (q + 2 * kv)  // q, k, v after rotary: attention backward (GQA: k, v are kv wide)
                 + 2 * q      // attention output: o_proj input (and FlashAttention's saved output)
                 + 2 * h      // MLP norm input
                 + 2 * h;     // its output: the MLP's input
  // SwiGLU keeps gate and up outputs, SiLU(gate) and the product (down_proj's input): 4 tensors of f;
  // a plain MLP keeps the GELU input and output.
  bytes += m.mlp == MlpKind::gated ? 8 * f : 4 * f;
  if (s.compile) {
    // The compiled graph recomputes the norms' outputs from their inputs in backward. (Dropping the
    // MLP intermediates as well would predict twice the 9 GiB saving torchtune's ablation measured
    // for compile on Llama 3.2 3B, so they are kept.)
    bytes -= 4 * h;
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

double logits_bytes_per_vocab_token(const Scenario& s) {
  const double c = static_cast<double>(s.loss_chunks);
  if (s.fused_loss) return 4;  // BF16 logits + their BF16 gradient; the kernel keeps only a per-token LSE
  if (s.compile) return 2 + 8 / c;  // fused cross-entropy keeps BF16 logits; FP32 grads per chunk
  if (s.loss_chunks == 1) return 16;  // FP32 logits held + log-softmax saved + 2 FP32 grads in backward
  return 6 + 8 / c;  // BF16 chunks + FP32 log-softmax per chunk kept; grads one chunk at a time
}

MemoryPlan plan_memory(const Scenario& s) {
  MemoryPlan mp;
  const auto pc = count_params(s.model);
  const double P = static_cast<double>(pc.total);
  const double N = static_cast<double>(s.gpus());
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const double h = s.model.hidden, V = s.model.vocab, L = s.model.layers;
  MemoryBreakdown b;
  b.cuda_context = static_cast<double>(s.gpu.usable.context_bytes);
  mp.capacity = static_cast<double>(s.gpu.usable.total_bytes);

  if (!s.training()) {
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
    return mp;
  }

  const bool lora = is_lora(s);
  const bool f32 = fp32_states(s);
  const double A = adapter_params(s);
  const double trainable = lora ? A : P;

  double weights = s.method == Method::qlora
                       ? pc.linear_total() * kNf4BitsPerParam / 8 + (P - pc.linear_total()) * 2
                       : 2 * P;
  if (s.method == Method::full && s.precision == Precision::fp8) weights += pc.linear_total() * 1.0;  // FP8 copies
  double adapters = lora ? A * (f32 ? 4 : 2) : 0;  // PEFT keeps adapters in FP32 under autocast
  const double grad_b = lora && f32 ? 4 : 2;
  double grads = trainable * grad_b;
  double master = (!lora && f32) ? 4 * P : 0;
  double optim = trainable * optimizer_state_bytes(s);

  if (s.sharding >= Sharding::zero1) optim /= N, master /= N;
  if (s.sharding >= Sharding::zero2) grads /= N;
  if (s.sharding == Sharding::zero3) weights /= N, adapters /= N;

  double grads_resident = grads;
  if (s.optimizer_in_backward) {
    // Each parameter's gradient is freed by its own step: the largest tensor's gradient at a time.
    const double largest = lora ? s.lora_rank * std::max(s.model.hidden, s.model.intermediate)
                                : std::max(V * h, h * s.model.intermediate);
    grads_resident = largest * grad_b;
  }
  mp.full_gradients = grads;

  // Communication buffers.
  double comm = 0;
  if (N > 1) {
    if (s.sharding == Sharding::none) {
      comm = trainable * grad_b;  // DDP buckets hold a copy of the gradients (gradient_as_bucket_view=False)
    } else if (s.sharding == Sharding::zero3) {
      // FSDP: the root unit (embedding, head) stays gathered; the current and the prefetched layer
      // are gathered; one unit's unsharded gradient waits for its reduce-scatter.
      const double root = static_cast<double>(pc.embedding + pc.lm_head);
      const double layer = static_cast<double>(pc.per_layer);
      const double wb = s.method == Method::qlora ? kNf4BitsPerParam / 8 : 2;
      comm = root * 2 + 2 * layer * wb;
      comm += (lora ? adapter_params_per_layer(s) : std::max(root, layer)) * grad_b;
    } else {
      comm = 2 * std::min(trainable, kZeroBucketElems) * grad_b;  // reduce + all-gather buckets
    }
  }

  // Activations.
  const double a_layer = layer_activation_bytes_per_token(s) * T;
  double act = 0, recompute_layer = 0;
  if (s.checkpointing == Checkpointing::full) {
    const double kept_layers = s.activation_offload ? 2 : L;  // offloaded inputs: double buffer on GPU
    act = kept_layers * 2 * h * T;
    recompute_layer = a_layer;
  } else {
    act = L * a_layer;  // selective: layer_activation_bytes_per_token drops the score-sized terms
    if (s.activation_offload) act = 2 * a_layer + L * 2 * h * T;
  }
  act += 4 * h * T;  // final norm input and output (the head's input)
  const double logits = logits_bytes_per_vocab_token(s) * V * T;

  const double statics = weights + master + optim + adapters + comm;
  const double persist = (s.grad_accum > 1 && !s.optimizer_in_backward) ? grads_resident : 0;
  // The output head's weight gradient appears first in backward (full fine-tuning).
  const double head_grad = (!lora && persist == 0) ? V * h * grad_b / (s.sharding >= Sharding::zero2 ? 1 : 1) : 0;
  // Backward runs the loss and the output head first; their saved logits and gradient buffers are
  // freed as each node's backward returns (autograd releases a node's saved tensors after it runs),
  // before the last checkpointed layer is recomputed. So with full checkpointing the start of
  // backward has two moments, never together: the loss (logits live) and the first recomputed layer
  // (logits freed). Without checkpointing every layer's activations are live during the loss.
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
  return mp;
}

FlopCount count_flops(const Scenario& s) {
  FlopCount fc;
  const auto& m = s.model;
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const auto pc = count_params(m);
  const double head = static_cast<double>(m.vocab) * m.hidden;
  const double gemm_params = static_cast<double>(pc.linear_total()) + head;
  const double A = adapter_params(s);
  fc.forward_gemm = 2 * T * (gemm_params + A);
  fc.backward_gemm = s.method == Method::full ? 2 * fc.forward_gemm : 2 * T * gemm_params + 4 * T * A;
  // QK^T and PV: 2 * 2 * s * q_dim per token per layer, half of it under a causal mask.
  fc.attention_forward = 2.0 * T * s.seq_len * m.q_dim() * m.layers;
  const double attn_per_token = 2.0 * s.seq_len * m.q_dim() * m.layers;
  if (s.method == Method::full) fc.model_flops_per_token = 6 * gemm_params + 3 * attn_per_token;
  else if (s.method == Method::inference) fc.model_flops_per_token = 2 * gemm_params + attn_per_token;
  else fc.model_flops_per_token = 4 * gemm_params + 6 * A + 3 * attn_per_token;
  return fc;
}

TimePlan plan_time(const Scenario& s) {
  TimePlan tp;
  auto& t = tp.t;
  const auto& m = s.model;
  const auto& prof = s.gpu;
  const auto pc = count_params(m);
  const bool lora = is_lora(s);
  const double T = static_cast<double>(s.micro_batch * s.seq_len);
  const double L = m.layers, h = m.hidden, V = m.vocab;
  const double N = static_cast<double>(s.gpus());
  const auto& g = prof.gemm_for(gemm_precision(s));
  const auto& g16 = prof.gemm_for("bf16");
  const double eb = gemm_elem_bytes(s);
  auto gemm = [&](double M, double Nn, double K) { return g.time_s(M, Nn, K, eb); };
  auto gemm16 = [&](double M, double Nn, double K) { return g16.time_s(M, Nn, K, 2); };
  auto stream = [&](double bytes) { return bytes > 0 ? prof.memory_time_s("copy", bytes) : 0.0; };
  tp.flops = count_flops(s);

  // One layer, one micro-batch.
  double fwd = 0, dgrad = 0, wgrad = 0;
  for (const auto& l : block_linears(m)) {
    fwd += gemm(T, l.out, l.in);
    dgrad += gemm(T, l.in, l.out);
    if (s.method == Method::full) wgrad += gemm(l.out, l.in, T);
  }
  const double r = static_cast<double>(s.lora_rank);
  double ad_fwd = 0, ad_bwd = 0;
  if (lora)
    for (const auto& a : s.adapters()) {
      ad_fwd += gemm16(T, r, a.in) + gemm16(T, a.out, r);
      ad_bwd += gemm16(T, r, a.out) + gemm16(T, a.in, r) + gemm16(a.out, r, T) + gemm16(r, a.in, T);
    }
  const double peak16 = g16.peak_tflops * 1e12;
  const double attn_fwd_flops = 2.0 * T * s.seq_len * m.q_dim();  // causal
  double attn_fwd = 0, attn_bwd = 0;
  if (s.flash_attention) {
    // The kernel computes on the padded head dimension (flash_attention_head_dim).
    const double pad = static_cast<double>(flash_attention_head_dim(m.dim_head())) / m.dim_head();
    const auto rate = flash_attention_rates(s.seq_len);
    attn_fwd = pad * attn_fwd_flops / (prof.attention_efficiency * rate.forward * peak16);
    // FlashAttention backward: 5 matmuls to the forward's 2.
    attn_bwd = 2.5 * pad * attn_fwd_flops / (prof.attention_efficiency * rate.backward * peak16);
  } else {
    const double bh = static_cast<double>(s.micro_batch) * m.heads, sq = s.seq_len, hd = m.dim_head();
    const double scores = bh * sq * sq;
    attn_fwd = bh * (gemm16(sq, sq, hd) + gemm16(sq, hd, sq)) + stream(16 * scores);  // mask, FP32 softmax, casts
    attn_bwd = 2 * bh * (gemm16(sq, sq, hd) + gemm16(sq, hd, sq)) + stream(16 * scores);
  }
  const double ew = elementwise_bytes_per_token(s);
  const double ew_fwd = stream(ew * T), ew_bwd = stream(2 * ew * T);

  const double layer_fwd = fwd + ad_fwd + attn_fwd + ew_fwd;
  const double layer_bwd = dgrad + wgrad + ad_bwd + attn_bwd + ew_bwd;
  double layer_recompute = 0;
  if (s.checkpointing == Checkpointing::full) layer_recompute = layer_fwd;
  else if (s.checkpointing == Checkpointing::selective && !s.flash_attention) layer_recompute = attn_fwd;

  // Output head and loss.
  const double head_fwd = gemm16(T, V, h);
  const double head_bwd = gemm16(T, h, V) + (s.method == Method::full ? gemm16(V, h, T) : 0);
  // Fused or compiled: read the BF16 logits in forward, read them and write the gradient in backward.
  const double loss = stream((s.compile || s.fused_loss ? 6.0 : 36.0) * V * T);

  double dequant = 0;
  if (s.method == Method::qlora) {
    const double uses = 2 + (s.checkpointing == Checkpointing::full ? 1 : 0);
    dequant = stream(pc.linear_total() * (kNf4BitsPerParam / 8 + 2) * uses);
  }

  t.gemm = L * (fwd + dgrad + wgrad + ad_fwd + ad_bwd) + head_fwd + head_bwd;
  t.attention = L * (attn_fwd + attn_bwd);
  t.elementwise = L * (ew_fwd + ew_bwd);
  t.loss = loss;
  t.recompute = L * layer_recompute;
  t.dequant = dequant;
  const double compute_mb = t.gemm + t.attention + t.elementwise + t.loss + t.recompute + t.dequant;
  const double bwd_mb = L * (layer_bwd + layer_recompute) + head_bwd;

  if (s.activation_offload) {
    const auto& h2d = prof.transfer.count("h2d") ? prof.transfer.at("h2d") : prof.transfer.begin()->second;
    const double bytes = L * 2 * h * T;
    const double t_off = 2 * h2d.time_s(bytes);  // out in forward, back in backward
    t.offload = std::max(0.0, t_off - compute_mb);
  }

  // Communication.
  double comm_mb = 0, comm_step = 0, overlap_mb = 0;
  const double A = adapter_params(s);
  const double trainable = lora ? A : static_cast<double>(pc.total);
  const double grad_b = lora && fp32_states(s) ? 4 : 2;
  const int ranks = static_cast<int>(N);
  auto coll = [&](const char* op, double bytes) {
    const auto* c = prof.collective(op, ranks);
    return c ? c->ab.time_s(bytes) : 0.0;
  };
  if (N > 1) {
    if (s.sharding == Sharding::none || s.sharding == Sharding::zero1 || s.sharding == Sharding::zero2) {
      const double bytes = trainable * grad_b;
      const double buckets = std::max(1.0, std::ceil(bytes / kDdpBucketBytes));
      double t_red = 0;
      if (s.sharding == Sharding::none) {
        const auto* c = prof.collective("all_reduce", ranks);
        t_red = c ? buckets * c->ab.alpha_s + bytes / (c->ab.bandwidth_gbps * 1e9) : 0;
      } else {
        t_red = coll("reduce_scatter", bytes);
      }
      // Gradient reduction overlaps the last micro-batch's backward; the last bucket cannot.
      const double exposed = std::max(t_red - bwd_mb, t_red / buckets);
      t.overlap_slowdown = kOverlapComputeSlowdown * std::min(t_red - t_red / buckets, bwd_mb);
      double t_gather = 0;
      if (s.sharding != Sharding::none) t_gather = coll("all_gather", trainable * 2);  // after the step
      comm_step = exposed + t_gather;
      t.communication_total = t_red + t_gather;
    } else {
      // FSDP / ZeRO-3: gather each layer before its forward and its backward, reduce-scatter its
      // gradient after its backward, every micro-batch; prefetch overlaps one layer with the next.
      const double wb = s.method == Method::qlora ? kNf4BitsPerParam / 8 : 2;
      const double ag_layer = coll("all_gather", pc.per_layer * wb);
      const double rs_layer = coll("reduce_scatter", (lora ? adapter_params_per_layer(s) : pc.per_layer) * grad_b);
      const double root = static_cast<double>(pc.embedding + pc.lm_head);
      const double ag_root = coll("all_gather", root * 2);
      const double rs_root = lora ? 0 : coll("reduce_scatter", root * grad_b);
      const double exp_fwd = L * std::max(0.0, ag_layer - layer_fwd) + ag_root;
      const double exp_bwd = L * std::max(0.0, ag_layer + rs_layer - (layer_bwd + layer_recompute)) + rs_root;
      comm_mb = exp_fwd + exp_bwd;
      // Compute that runs beside a layer's collectives is slowed while they are in flight.
      overlap_mb = kOverlapComputeSlowdown * L *
                   (std::min(ag_layer, layer_fwd) + std::min(ag_layer + rs_layer, layer_bwd + layer_recompute));
      t.communication_total = s.grad_accum * (L * (2 * ag_layer + rs_layer) + ag_root + rs_root);
    }
  }

  // Optimizer step over this GPU's shard.
  double opt_params = trainable;
  if (s.sharding >= Sharding::zero1) opt_params /= N;
  t.optimizer = stream(opt_params * optimizer_step_bytes(s));

  t.communication_exposed = s.grad_accum * comm_mb + comm_step;
  t.overlap_slowdown += s.grad_accum * overlap_mb;
  t.gemm *= s.grad_accum;
  t.attention *= s.grad_accum;
  t.elementwise *= s.grad_accum;
  t.loss *= s.grad_accum;
  t.recompute *= s.grad_accum;
  t.dequant *= s.grad_accum;
  t.offload *= s.grad_accum;
  // End to end: the framework reaches a fraction of the kernel-level rate of the GPU's work; exposed
  // communication and offload waits are not scaled.
  const double kernels = t.kernel_time();
  t.framework_overhead = kernels * (1 / s.efficiency() - 1);
  t.step = kernels + t.framework_overhead + t.communication_exposed + t.offload;

  tp.tokens_per_step = T * s.grad_accum;
  tp.tokens_per_s_per_gpu = tp.tokens_per_step / t.step;
  tp.mfu = tp.flops.model_flops_per_token * tp.tokens_per_s_per_gpu / peak16;
  if (s.tokens > 0) tp.total_s = s.tokens / (tp.tokens_per_s_per_gpu * N);
  return tp;
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
                fmt("%.0f", layer_activation_bytes_per_token(s)) + " B/token/layer); full checkpointing keeps each "
                "layer's input (2h B/token) plus one recomputed layer; selective drops the attention-score tensors "
                "(no-op with FlashAttention); a linear layer's input is kept whether or not its weight trains");
    a.push_back("logits/loss: " + fmt("%.1f", logits_bytes_per_vocab_token(s)) + " B per vocabulary entry per token (eager "
                "unchunked: FP32 logits + log-softmax + two FP32 gradients = 16; chunked: 6 + 8/chunks; compiled: 2 + 8/chunks; "
                "fused kernel: BF16 logits + BF16 gradient = 4)");
    a.push_back("peak = max(start of backward: states + activations + logits + gradients kept from earlier micro-batches; "
                "with full checkpointing, the first recomputed layer: the same with that layer's activations instead of "
                "the logits, which the loss backward has freed; end of backward: states + all gradients); gradients are "
                "allocated during backward (zero_grad set_to_none)");
    if (s.gpus() > 1)
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
    a.push_back("end to end: the kernel-level time above over " + fmt("%.3f", s.efficiency()) +
                (s.end_to_end_efficiency ? std::string(" (the scenario's end_to_end_efficiency)")
                                         : " (the profile's: " + s.gpu.end_to_end_source.kind + ", " +
                                               s.gpu.end_to_end_source.citation + ")") +
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
    for (std::int64_t n = 1; n <= 4096; n *= 2) {
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
                             (static_cast<double>(s.grad_accum) * s.model.layers);
    if (per_layer < kHostBoundLayerSeconds && !s.compile)
      w.push_back("host-bound risk: " + fmt("%.1f", per_layer * 1e3) +
                  " ms of GPU work per layer per micro-batch; eager frameworks can take longer than that to issue a "
                  "layer's operators, which the planner does not model: expect fewer tokens/s (a larger micro-batch, "
                  "torch.compile or CUDA graphs help)");
    if (t.step > 0 && t.communication_exposed > 0.25 * t.step)
      w.push_back("communication-bound: " + fmt("%.0f", 100 * t.communication_exposed / t.step) +
                  "% of the step waits for collectives; fewer nodes, a larger micro-batch or less sharding may be faster");
  }
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
  o << "memory per GPU (peak at " << r.memory.peak_phase << ")\n";
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
        {"recomputation", t.recompute}, {"dequantisation", t.dequant}, {"optimizer step", t.optimizer},
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
