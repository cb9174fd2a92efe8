// The memory model (see plan.hpp): the bytes one GPU holds at the peak of a training step, or while
// serving. Model states of a pipeline stage at its tensor-parallel shapes, sharded by ZeRO stage
// (DeepSpeed's bucket defaults, torch DDP's gradient buckets, FSDP's gathered units and, with
// pipeline parallelism, torch.distributed.pipelining's reshard after the last backward); activations
// per layer per token after Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
// Transformer Models", sec. 4) adapted to GQA and SwiGLU, and what each checkpointing mode keeps
// (torchtitan's per-op policy, torchtitan/parallelisms/parallelize_llama.py); the logits and loss
// buffers of each loss path; the peak over the moments of backward; inference weights and KV cache.
#include <algorithm>

#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/plan.hpp"
#include "plan_internal.hpp"

namespace gpuscale::planner {
using namespace detail;  // plan_internal.hpp
namespace {

// Bytes of one trainable parameter's optimizer state.
double optimizer_state_bytes(const Scenario& s) {
  const bool f32 = fp32_states(s);
  switch (s.optimizer) {
    case Optimizer::adamw:
      return f32 ? 8 : 4;  // m and v in the master dtype
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit:
      return 2 + 2 * 4.0 / 2048;  // int8 m, v + one fp32 absmax per 2048
    case Optimizer::sgd:
      return f32 ? 4 : 2;  // one momentum buffer
  }
  return 8;
}

}  // namespace

namespace detail {

double weight_bytes_inference(const Scenario& s, const ParamCount& pc) {
  const double lin = static_cast<double>(pc.linear_total());
  const double other = static_cast<double>(pc.total) - lin;
  switch (s.precision) {
    case Precision::fp8:
    case Precision::int8:
      return lin * 1 + other * 2;
    case Precision::nf4:
      return lin * kNf4BitsPerParam / 8 + other * 2;
    default:
      return 2.0 * pc.total;
  }
}

double kv_cache_bytes(const Scenario& s) {
  return 2.0 * s.model.layers * s.model.kv_dim() * s.seq_len * s.micro_batch * 2;
}

}  // namespace detail

double layer_activation_bytes_per_token(const Scenario& s) {
  const auto& m = s.model;
  const double t = tp(s);
  const double h = m.hidden, q = m.q_dim() / t, kv = kv_dim_rank(s), f = m.intermediate / t, a = m.heads / t;
  // Korthikanti et al. 2022 sec. 4.1 count, per token, 16-bit tensors unless noted; per TP rank
  // (sec. 4.2: q, k, v, the attention output and the MLP are split over the ranks; the hidden-width
  // tensors only with sequence parallelism):
  double hidden = 2 * h            // attention norm input (norm backward)
                  + 2 * h          // its output: the q, k, v projections' input
                  + 2 * h          // MLP norm input
                  + 2 * h;         // its output: the MLP's input
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
    case LossPath::fused:
      return 4;  // BF16 logits + their BF16 gradient; the kernel keeps only a per-token LSE
    case LossPath::compiled:
      return 2 + 8 / c;  // fused cross-entropy keeps BF16 logits; FP32 grads per chunk
    case LossPath::chunked:
      return 6 + 8 / c;  // BF16 chunks + FP32 log-softmax per chunk kept; grads one chunk at a time
    case LossPath::eager_fp32_kept:
      return 16;  // FP32 logits held + log-softmax saved + 2 FP32 grads in backward
    // Upcast inside the loss and the BF16 logits deleted before backward: in the loss's backward the
    // saved FP32 log-softmax, its incoming gradient and the outgoing gradient (4 + 4 + 4).
    case LossPath::eager_fp32_freed:
      return 12;
    // BF16 logits and their FP32 copy, which becomes the softmax in place and then its own gradient.
    case LossPath::vocab_parallel:
      return 6;
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
        comm = (sp.root + Ls * sp.layer) * wb +
               (lora ? stage_adapter_params(s, first, last) : sp.total) * (f32 ? 4 : 2);
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

}  // namespace gpuscale::planner
