// Training frameworks: what each changes in the plan besides its end-to-end efficiency.
//
//   loss path      how the output head's logits and the cross-entropy are held (bytes per vocabulary
//                  entry per token, see memory.cpp logits_bytes_per_vocab_token)
//   fused kernels  norms, rotary and the MLP activation as fused kernels without torch.compile
//                  (Transformer Engine, Unsloth's Triton kernels): element-wise traffic as compiled
//   compile scope  whether torch.compile covers the loss (torchtune compiles it; torchtitan compiles
//                  each transformer block only, so its loss stays eager)
//   TP overlap     backward tensor-parallel collectives behind the backward GEMMs (Megatron)
//   FP8 casts      fused into the producing kernels, weights once per step (Transformer Engine), or
//                  a separate amax + cast pass per operand per micro-batch (torchao and the default)
//
// The end-to-end efficiency of a framework on a GPU architecture comes from one published run of
// that framework (profile.hpp end_to_end_references(), marked as calibration runs in the validation);
// a framework without one plans with the profile's value. An unknown name plans as no framework.
//
// Example: gpuscale plan --model llama-3.1-70b --framework megatron --tensor-parallel 4 ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpuscale::planner {

// Bytes per vocabulary entry per token of the logits and the loss at their peak (memory.cpp).
enum class LossPath {
  eager_fp32_kept,   // FP32 logits held past the loss, log-softmax saved, two FP32 gradients: 16
  eager_fp32_freed,  // upcast inside the loss, BF16 logits deleted before backward: 12
  chunked,           // chunked cross-entropy: 6 + 8 / chunks
  compiled,          // compiled cross-entropy: 2 + 8 / chunks
  fused,             // fused kernel (flash-attn, Liger, Unsloth): BF16 logits + BF16 gradient: 4
  vocab_parallel,    // Megatron's vocab-parallel cross-entropy: FP32 softmax in place: 6
};
std::string to_string(LossPath p);

struct Framework {
  const char* key;
  const char* name;
  LossPath eager_loss;       // the loss when neither chunked, compiled nor fused
  bool compile_covers_loss;  // torch.compile includes the loss
  bool fused_kernels;        // fused norm / rotary / activation kernels without compile
  // Backward tensor-parallel collectives overlapped with the backward GEMMs (Megatron's asynchronous
  // input-gradient all-reduce / all-gather behind the weight-gradient GEMM).
  bool tp_backward_overlap;
  // FP8 casts fused into the kernels that produce the operands, weights cast once per step
  // (Transformer Engine) rather than a separate amax + cast pass per operand per micro-batch.
  bool fp8_fused_casts;
  const char* source;  // where these traits come from
};

// The framework a scenario names (aliases: nemo, megatron-lm, megatron-bridge -> megatron), or
// nullptr for "" and names not in the table.
const Framework* find_framework(std::string_view name);
std::vector<std::string> framework_names();

}  // namespace gpuscale::planner
