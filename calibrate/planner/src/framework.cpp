// The training frameworks the planner knows (see framework.hpp). Each trait names the code it was
// read from; the end-to-end efficiencies live with the other published runs in profile.cpp.
#include "gpuscale/planner/framework.hpp"

namespace gpuscale::planner {
namespace {

// clang-format off
const Framework kFrameworks[] = {
  {"megatron", "Megatron-Core / Megatron-LM / NeMo / Megatron-Bridge", LossPath::vocab_parallel, true, true, true, true,
   "NVIDIA/Megatron-LM: Transformer Engine layers fuse the norm into the following linear "
   "(TELayerNormColumnParallelLinear), rotary and the bias-activation (bias_swiglu, bias_gelu) are fused kernels "
   "(Megatron-LM before TE: apex fused LayerNorm, bias-GELU and scale-mask-softmax); "
   "tensor_parallel.vocab_parallel_cross_entropy upcasts its vocabulary shard to FP32, turns it into the softmax in "
   "place, saves it and writes the gradient into the same buffer; the linear layers' backward launches the "
   "input-gradient all-reduce (all-gather / reduce-scatter with sequence parallelism) asynchronously behind the "
   "weight-gradient GEMM (LinearWithGradAccumulationAndAsyncCommunication); Transformer Engine fuses FP8 casts into "
   "the kernels producing the operands (cast_transpose, fused norm/activation outputs) and caches FP8 weights "
   "across the micro-batches of a step (is_first_microbatch)"},
  {"torchtitan", "torchtitan", LossPath::eager_fp32_freed, false, false, false, false,
   "pytorch/torchtitan @9dec370 (the version of its docs/performance.md runs): cross_entropy(pred.flatten(0, 1)"
   ".float(), labels) with `del pred` before loss.backward(); torch.compile wraps each TransformerBlock, not the loss"},
  {"fsdp", "PyTorch FSDP (fms-fsdp and similar training loops)", LossPath::eager_fp32_kept, true, false, false, false,
   "the planner's defaults; the built-in end-to-end efficiencies are fms-fsdp's FSDP runs"},
  {"deepspeed", "DeepSpeed (ZeRO) with Hugging Face models", LossPath::eager_fp32_kept, true, false, false, false,
   "Hugging Face Transformers' model upcasts the logits to FP32 and returns them: the planner's defaults"},
  {"hf", "Hugging Face Transformers Trainer / PEFT", LossPath::eager_fp32_kept, true, false, false, false,
   "Hugging Face Transformers LlamaForCausalLM: logits.float() returned in the output (held through backward), "
   "loss on a shifted copy: the planner's defaults"},
  {"llm-foundry", "MosaicML llm-foundry / Composer", LossPath::fused, true, false, false, false,
   "mosaicml/llm-foundry ComposerMPTCausalLM: loss_fn defaults to fused_crossentropy (flash_attn.losses.cross_entropy)"},
  {"unsloth", "Unsloth", LossPath::fused, true, true, false, false,
   "unslothai/unsloth unsloth/kernels: Triton rms_layernorm, rope_embedding, swiglu / geglu and a fused "
   "cross_entropy_loss"},
};
// clang-format on

struct Alias {
  const char* alias;
  const char* key;
};
const Alias kAliases[] = {{"megatron-lm", "megatron"},
                          {"megatron-core", "megatron"},
                          {"megatron-bridge", "megatron"},
                          {"nemo", "megatron"},
                          {"transformers", "hf"},
                          {"huggingface", "hf"},
                          {"peft", "hf"},
                          {"composer", "llm-foundry"},
                          {"fms-fsdp", "fsdp"}};

}  // namespace

std::string to_string(LossPath p) {
  switch (p) {
    case LossPath::eager_fp32_kept:
      return "eager FP32 logits kept through backward";
    case LossPath::eager_fp32_freed:
      return "eager FP32 upcast inside the loss, BF16 logits freed before backward";
    case LossPath::chunked:
      return "chunked cross-entropy";
    case LossPath::compiled:
      return "compiled cross-entropy";
    case LossPath::fused:
      return "fused cross-entropy kernel";
    case LossPath::vocab_parallel:
      return "vocab-parallel cross-entropy (FP32 softmax in place)";
  }
  return "?";
}

const Framework* find_framework(std::string_view name) {
  for (const auto& a : kAliases)
    if (name == a.alias) name = a.key;
  for (const auto& f : kFrameworks)
    if (name == f.key) return &f;
  return nullptr;
}

std::vector<std::string> framework_names() {
  std::vector<std::string> v;
  for (const auto& f : kFrameworks) v.push_back(f.key);
  return v;
}

}  // namespace gpuscale::planner
