// gpuscale plan: memory, time and cost of one scenario on one profile.
//
// Memory (per GPU, bytes), from the architecture:
//   model states   weights, gradients, FP32 master weights, optimizer states, LoRA adapters of this
//                  GPU's pipeline stage at its tensor-parallel shapes; each sharded by its ZeRO stage
//                  (zero1: optimizer + master; zero2: + gradients; zero3/FSDP: + weights) over the
//                  data-parallel (x context-parallel) GPUs, or over an HSDP shard group
//   activations    per layer per token, Korthikanti et al. 2022 ("Reducing Activation Recomputation
//                  in Large Transformer Models", sec. 4) adapted to GQA and SwiGLU, split by TP (and
//                  SP) and CP, for every micro-batch a pipeline stage holds in flight, and kept as each
//                  checkpointing mode keeps them
//   logits / loss  the vocabulary-sized buffers of the output head and cross-entropy
//   buffers        DDP buckets, ZeRO buckets, FSDP's unsharded layer buffers
//   CUDA context and the caching allocator's reserve
// The peak is the larger of two moments: the start of backward (all activations, logits, and any
// gradients kept from earlier micro-batches) and its end (all gradients, activations freed).
//
// With pipeline parallelism the peak is the larger of the first stage (most micro-batches in flight)
// and the last (the head and the logits).
//
// Time (per optimizer step): each GEMM of a layer at its real (per-TP-rank) shape through the profile's GEMM
// model; attention FLOPs at the profile's fused-attention efficiency (or as batched GEMMs + softmax traffic
// without FlashAttention); element-wise ops, loss, QLoRA dequantisation and the optimizer step through
// memory bandwidth; recomputation; communication through the α-β fits, overlapped with compute as
// stated in the assumptions: data-parallel reduction and FSDP gathers, tensor-parallel all-reduces
// (or all-gathers and reduce-scatters with SP), context-parallel key/value exchange, pipeline
// point-to-point sends, and the pipeline bubble (p - 1) / v micro-batch times per step.
//
// Example: gpuscale plan --model llama-3.1-8b --method lora --gpu h100-sxm-80gb --seq-len 4096
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/scenario.hpp"

namespace gpuscale::planner {

// Constants the plan states in its assumptions.
inline constexpr double kNf4BitsPerParam =
    4.0 + 8.0 / 64 + 32.0 / (64 * 256);                    // NF4 + double-quantised absmax
inline constexpr double kAllocatorReserveFraction = 0.05;  // caching allocator: reserved beyond allocated
inline constexpr double kDdpBucketBytes = 25e6;            // torch DDP bucket_cap_mb default
inline constexpr double kZeroBucketElems = 5e8;            // DeepSpeed reduce/allgather bucket default

struct MemoryBreakdown {
  double weights = 0, gradients = 0, optimizer = 0, master_weights = 0, adapters = 0;
  double activations = 0, logits_loss = 0, communication_buffers = 0;
  double cuda_context = 0, allocator_reserve = 0;
  double allocated() const {  // what torch.cuda.max_memory_allocated would report
    return weights + gradients + optimizer + master_weights + adapters + activations + logits_loss +
           communication_buffers;
  }
  double reserved() const { return allocated() + allocator_reserve; }
  double total() const { return reserved() + cuda_context; }
};

struct MemoryPlan {
  MemoryBreakdown peak;       // the larger moment
  std::string peak_phase;     // "backward_start" | "backward_recompute" | "backward_end" | "inference"
  std::string stage;          // pipeline parallelism: the stage the peak is on ("first" | "last")
  double full_gradients = 0;  // gradient bytes once all exist (for reporting)
  double kv_cache = 0;        // inference
  double capacity = 0;        // the GPU's memory
};

struct TimeBreakdown {
  double gemm = 0, attention = 0, elementwise = 0, loss = 0, recompute = 0, dequant = 0;
  double fp8_cast = 0;  // FP8: amax and cast traffic of the GEMM operands
  double optimizer = 0, communication_exposed = 0, communication_total = 0, offload = 0;
  double overlap_slowdown = 0;  // compute slowed by collectives running beside it
  // Parts of communication_exposed: tensor-parallel and context-parallel collectives, pipeline sends
  // and the communication inside the pipeline bubble.
  double tensor_parallel_exposed = 0, context_parallel_exposed = 0, pipeline_p2p = 0,
         pipeline_bubble_exposed = 0;
  double pipeline_bubble = 0;     // the last stage idle (p - 1) / v micro-batch times of kernel work
  double framework_overhead = 0;  // kernel-level time x (1 / end-to-end efficiency - 1)
  double step = 0;
  // The GPU's own work in a step, what the end-to-end efficiency scales: every kernel part, the
  // compute slowed beside collectives and the pipeline bubble (made of the other stages' kernels);
  // not exposed communication or offload waits.
  double kernel_time() const {
    return gemm + attention + elementwise + loss + recompute + dequant + fp8_cast + optimizer +
           overlap_slowdown + pipeline_bubble;
  }
};

struct FlopCount {
  double forward_gemm = 0;  // per micro-batch, block linears + output head (+ adapters)
  double backward_gemm = 0;
  double attention_forward = 0;      // causal, what FlashAttention computes
  double model_flops_per_token = 0;  // for MFU: 6N (full) or 4N + adapters (LoRA) + causal attention
  double forward_gemm_per_gpu = 0;   // one GPU's share: its stage's layers at TP shapes (+ head shard)
};

struct TimePlan {
  TimeBreakdown t;
  FlopCount flops;
  double tokens_per_step = 0;  // per GPU
  double tokens_per_s_per_gpu = 0;
  double mfu = 0;
  double total_s = 0;
  double prefill_s = 0;            // inference
  double decode_tokens_per_s = 0;  // inference, per GPU (micro_batch sequences)
};

struct PlanResult {
  Scenario scenario;
  ParamCount params;
  double trainable_params = 0;
  double adapter_params = 0;
  MemoryPlan memory;
  bool fits = false;
  std::optional<std::int64_t> min_gpus_to_fit;
  std::string min_gpus_sharding;
  TimePlan time;
  double gpu_hours = 0, cost = 0;
  std::vector<std::string> assumptions;
  // Where the plan is less certain than its numbers suggest (see plan_warnings).
  std::vector<std::string> warnings;
};

// Conditions the model does not capture, said instead of hidden:
//   - little GPU work per layer per micro-batch (under kHostBoundLayerSeconds): eager frameworks may
//     spend longer dispatching a layer's operators than the GPU spends running them;
//   - a peak within 5% of the GPU's memory: the caching allocator's retries and fragmentation;
//   - exposed communication above a quarter of the step.
std::vector<std::string> plan_warnings(const PlanResult& r);
// Below this much GPU time per layer per micro-batch (forward, recompute and backward) the published
// eager-framework runs of more_published_measurements.csv (Qwen-1.8B, HF Trainer and DeepSpeed) ran
// slower than planned: their host could not issue a layer's operators faster.
inline constexpr double kHostBoundLayerSeconds = 5e-3;

MemoryPlan plan_memory(const Scenario& s);
FlopCount count_flops(const Scenario& s);
TimePlan plan_time(const Scenario& s);
PlanResult plan(const Scenario& s);

nlohmann::json plan_to_json(const PlanResult& r);
std::string plan_to_table(const PlanResult& r);

// Activation bytes per token of one layer on one GPU with every tensor autograd keeps (no
// checkpointing), at its tensor-parallel split.
double layer_activation_bytes_per_token(const Scenario& s);
// Bytes per token of one layer that per-op selective checkpointing keeps (torchtitan's policy,
// pytorch/torchtitan torchtitan/parallelisms/parallelize_llama.py, 2024: the block's input, the
// outputs of the 1st, 3rd, 5th ... matmul and of the attention kernel; everything else recomputed).
double selective_op_saved_bytes_per_token(const Scenario& s);
// How the logits and the loss are held: fused_loss, compile (where the framework compiles the loss),
// loss_chunks, else the framework's eager path (framework.hpp).
LossPath loss_path(const Scenario& s);
// Bytes per vocabulary entry per token of the output-head and cross-entropy buffers at their peak.
double logits_bytes_per_vocab_token(const Scenario& s);
// Element-wise bytes read + written per token by one layer's forward (see time.cpp).
double elementwise_bytes_per_token(const Scenario& s);
// Head dimension FlashAttention-2 computes on: its kernels are compiled for head dims 32, 64, 96,
// 128, 160, 192, 256 and a head is zero-padded up to the next one (see time.cpp).
std::int64_t flash_attention_head_dim(std::int64_t head_dim);

// FlashAttention-2's causal forward and backward rates at `seq_len`, as multiples of the profile's
// attention_efficiency (fused forward + backward, no mask, long sequences). The curve is the FA2
// series of Shah et al. 2024 (FlashAttention-3, arXiv:2407.08608, figs. 5 and 6: H100 SXM5, head
// dim 128): short sequences and the causal mask leave tiles idle, and the backward runs slower than
// the forward. Interpolated in log2(seq_len), clamped to the published 512..16k.
struct AttentionRates {
  double forward = 1, backward = 1;
};
AttentionRates flash_attention_rates(std::int64_t seq_len);

// Average slowdown of computation that runs while a collective is in flight (NCCL kernels hold SMs
// and memory bandwidth): 18.9% over GPT and Llama training layers on A100 and H100 ("Characterizing
// Compute-Communication Overlap in GPU-Accelerated Distributed Deep Learning: Performance and Power
// Implications", arXiv:2507.03114).
inline constexpr double kOverlapComputeSlowdown = 0.189;

}  // namespace gpuscale::planner
