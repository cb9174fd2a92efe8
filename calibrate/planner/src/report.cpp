// The plan as it is read: the assumption texts (every modelling choice and its source, with the
// checkpointing, parallelism and framework paragraphs), the warnings (plan_warnings), and the output
// as JSON (plan_to_json) and as a table (plan_to_table). The texts cite the models' sources:
// Korthikanti et al. 2022, Shoeybi et al. 2019 (Megatron-LM), Narayanan et al. 2021, torchtitan's
// parallelize_llama.py, FA2's rates (arXiv:2407.08608), the overlap slowdown (arXiv:2507.03114) and
// each framework's own (framework.hpp).
#include <cstdio>
#include <sstream>

#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/plan.hpp"
#include "plan_internal.hpp"

namespace gpuscale::planner {
using namespace detail;  // plan_internal.hpp
namespace {

// One number printed with a printf format, for the assumption and warning texts.

using json = nlohmann::json;

std::string checkpointing_text(const Scenario& s) {
  switch (s.checkpointing) {
    case Checkpointing::none:
      return "every tensor autograd saves is kept; nothing recomputed";
    case Checkpointing::selective:
      return "Korthikanti et al. 2022 sec. 5: the attention-score tensors (softmax, its dropout and mask) "
             "are "
             "recomputed, everything else kept" +
             std::string(s.flash_attention ? "; FlashAttention never stores them, so this plans as none"
                                           : "");
    case Checkpointing::full:
      return "each layer keeps only its input (" + format_fixed(2.0 * s.model.hidden / hidden_split(s), 0) +
             " B/token); backward recomputes the layer's forward, one layer's activations alive at a time";
    case Checkpointing::selective_op:
      return "per-op (torchtitan's policy, torchtitan/parallelisms/parallelize_llama.py 2024: save the "
             "outputs of "
             "aten.mm except every second one per block, and of the SDPA flash/efficient kernels): keeps the "
             "block's input and the outputs of the 1st, 3rd, 5th ... matmul (Llama: wq, wv, w1, w2) and of "
             "attention (output + FP32 log-sum-exp), " +
             format_fixed(selective_op_saved_bytes_per_token(s), 0) +
             " B/token/layer; recomputes the other matmuls and every norm, rotary, activation and residual "
             "op";
    case Checkpointing::selective_layer:
      return "every " + std::to_string(s.checkpoint_every) +
             "-th layer fully checkpointed (torchtitan's "
             "selective_ac_option N: a block counter wraps blocks N, 2N, ...): " +
             std::to_string(s.model.layers / s.checkpoint_every) + " of " + std::to_string(s.model.layers) +
             " layers keep only their input and are recomputed, the others keep everything";
  }
  return "";
}

std::vector<std::string> parallelism_texts(const Scenario& s) {
  std::vector<std::string> v;
  if (s.model_parallel() == 1 && s.shard_group == 0) return v;
  v.push_back("layout: " + std::to_string(s.gpus()) + " GPUs = TP " + std::to_string(s.tensor_parallel) +
              " x PP " + std::to_string(s.pipeline_parallel) + " x CP " + std::to_string(s.context_parallel) +
              " x DP " + std::to_string(s.data_parallel()) + "; gradients reduced over " +
              std::to_string(s.gradient_ranks()) + " ranks (DP x CP), sharded states over " +
              std::to_string(s.shard_ranks()) +
              (s.shard_group > 0 ? " (HSDP: all-reduced across " +
                                       std::to_string(s.gradient_ranks() / s.shard_ranks()) + " replicas)"
                                 : std::string()));
  if (s.tensor_parallel > 1)
    v.push_back(
        "tensor parallel " + std::to_string(s.tensor_parallel) +
        " (Megatron-LM, Shoeybi et al. 2019): q, k, v, gate, up split by output, o and down by input, heads "
        "and the head's vocabulary split; per layer 2 all-reduces of the activation in forward and 2 in "
        "backward" +
        std::string(
            s.sequence_parallel
                ? ", as all-gathers + reduce-scatters with sequence parallelism, which also splits the "
                  "norm and residual activations and work (Korthikanti et al. 2022 sec. 4.2.2), with 2 "
                  "more all-gathers in backward for the weight gradients"
                : "; without sequence parallelism the norm and residual activations are replicated") +
        "; collectives through the profile's alpha-beta fit at " + std::to_string(s.tensor_parallel) +
        " ranks, " +
        (s.tp_comm_overlap ? "overlapped with the GEMMs of the same pass (tp_comm_overlap)"
                           : "on the critical path") +
        (s.tensor_parallel > s.gpus_per_node ? "; the group spans nodes" : ""));
  if (s.pipeline_parallel > 1)
    v.push_back("pipeline parallel " + std::to_string(s.pipeline_parallel) + ", " +
                (s.pipeline_schedule == PipelineSchedule::interleaved
                     ? "interleaved 1F1B with " + std::to_string(s.virtual_stages) + " virtual stages"
                     : std::string("1F1B")) +
                ": bubble (p - 1) / (m v) = " +
                format_fixed(static_cast<double>(s.pipeline_parallel - 1) /
                                 (static_cast<double>(s.grad_accum) * s.virtual_stages),
                             3) +
                " of the " + std::to_string(s.grad_accum) +
                " micro-batches' time (Narayanan et al. 2021); the first "
                "stage holds " +
                format_fixed(in_flight(s, true), 2) + " micro-batches of its layers in flight, the last " +
                format_fixed(in_flight(s, false), 2) + " (Korthikanti et al. 2022 sec. 4.2.3); " +
                format_fixed(stage_layers(s), 0) +
                " layers on the busiest stage; activations and gradients sent point "
                "to point at each chunk boundary");
  if (s.context_parallel > 1)
    v.push_back(
        "context parallel " + std::to_string(s.context_parallel) +
        " (ring attention): each GPU holds seq_len / " + std::to_string(s.context_parallel) +
        " tokens of every activation and computes its causal share of "
        "attention (load-balanced); keys and values all-gathered in forward and backward, their gradients "
        "reduce-scattered, overlapped with the attention blocks; CP ranks reduce gradients with the "
        "data-parallel ones");
  return v;
}

std::string framework_text(const Scenario& s) {
  const Framework* fw = find_framework(s.framework);
  if (!fw)
    return "framework '" + s.framework +
           "' is not known to the planner (known: megatron, torchtitan, fsdp, "
           "deepspeed, hf, llm-foundry, unsloth): planned as no framework";
  return "framework " + std::string(fw->key) + " (" + fw->name + "): loss path " + to_string(fw->eager_loss) +
         " unless chunked, compiled or fused; " +
         (fw->fused_kernels ? "fused norm / rotary / activation kernels; " : "") +
         (fw->compile_covers_loss ? "" : "torch.compile covers the blocks, not the loss; ") + fw->source;
}

}  // namespace

namespace detail {

std::vector<std::string> assumptions(const Scenario& s, const MemoryPlan& mp) {
  std::vector<std::string> a;
  a.push_back("profile: " + s.gpu.sku + " (" + s.gpu.kind +
              "); every coefficient's source is in the profile");
  if (s.training()) {
    a.push_back(
        s.precision == Precision::bf16
            ? "pure bf16: weights, gradients and optimizer states in BF16 (torch AdamW keeps m, v in the "
              "parameter dtype)"
            : "mixed precision: BF16 weights and gradients (2+2 B/param), FP32 master weights (4 B) and FP32 "
              "optimizer states; full AdamW = 16 B/param of model states before sharding");
    a.push_back(
        "optimizer states per trainable parameter: adamw 8 B (FP32 m, v; 4 B in pure bf16), adamw-8bit / "
        "paged-adamw-8bit 2 B (+ absmax per 2048), sgd = one momentum buffer (4 B, 2 B in pure bf16); "
        "paged states counted as resident");
    if (is_lora(s))
      a.push_back(
          "LoRA: base frozen in BF16" +
          std::string(s.method == Method::qlora ? " (linear layers NF4 with double "
                                                  "quantisation: " +
                                                      format_fixed(kNf4BitsPerParam, 3) +
                                                      " bits/param; embeddings, head and norms BF16)"
                                                : "") +
          "; adapters A (in x r) and B (r x out) per target, FP32 under amp-bf16 (PEFT), with gradients and "
          "optimizer states; no weight-gradient GEMMs for frozen weights");
    a.push_back("activations: Korthikanti et al. 2022 per-layer count adapted to GQA/SwiGLU (" +
                format_fixed(layer_activation_bytes_per_token(s), 0) +
                " B/token/layer on this GPU); full checkpointing "
                "keeps each layer's input (2h B/token) plus one recomputed layer; selective drops the "
                "attention-score "
                "tensors (no-op with FlashAttention); a linear layer's input is kept whether or not its "
                "weight trains");
    a.push_back("checkpointing " + checkpointing_name(s) + ": " + checkpointing_text(s));
    a.push_back(
        "logits/loss: " + to_string(loss_path(s)) + ", " + format_fixed(logits_bytes_per_vocab_token(s), 1) +
        " B per vocabulary entry per token (eager, FP32 logits kept through backward: FP32 logits + "
        "log-softmax + "
        "two FP32 gradients = 16; upcast inside the loss with the BF16 logits deleted before backward "
        "(torchtitan): "
        "saved log-softmax + its incoming and outgoing FP32 gradients = 12; chunked: 6 + 8/chunks; compiled: "
        "2 + 8/chunks; fused kernel: BF16 logits + BF16 gradient = 4; Megatron vocab-parallel: BF16 logits + "
        "FP32 softmax turned into its gradient in place = 6, over the TP ranks' vocabulary shards)");
    for (const auto& p : parallelism_texts(s)) a.push_back(p);
    if (s.precision == Precision::fp8)
      a.push_back(
          "FP8 recipe (Transformer Engine / torchao float8 with current scaling): the block linears' "
          "forward, "
          "input-gradient and weight-gradient GEMMs run in FP8 E4M3 at the profile's FP8 GEMM model; the "
          "head, "
          "attention and LoRA adapters stay BF16; each GEMM operand is scaled and cast per micro-batch (amax "
          "pass + cast + transposed cast, 6 B per BF16 element: input and weight in forward, output gradient "
          "and weight in backward); FP8 weight copies (1 B/param) kept besides the BF16 ones");
    if (!s.framework.empty()) a.push_back(framework_text(s));
    a.push_back(
        "peak = max(start of backward: states + activations + logits + gradients kept from earlier "
        "micro-batches; "
        "with full checkpointing, the first recomputed layer: the same with that layer's activations instead "
        "of "
        "the logits, which the loss backward has freed; end of backward: states + all gradients); gradients "
        "are "
        "allocated during backward (zero_grad set_to_none)");
    if (s.gradient_ranks() > 1)
      a.push_back(s.sharding == Sharding::zero3
                      ? "FSDP/ZeRO-3: root unit (embedding, head) kept gathered, current + prefetched layer "
                        "gathered, one "
                        "unit's gradient unsharded; all-gather in forward and backward and reduce-scatter "
                        "every micro-batch; "
                        "each layer's communication overlaps the previous layer's compute, which runs 18.9% "
                        "slower while "
                        "collectives are in flight (arXiv:2507.03114)"
                      : "DDP/ZeRO-1/2: gradient reduction overlaps the last micro-batch's backward except "
                        "its last bucket "
                        "(25 MB DDP buckets, 5e8-element ZeRO buckets) and slows that backward by 18.9% "
                        "while in flight "
                        "(arXiv:2507.03114); ZeRO's parameter all-gather after the step is exposed");
    a.push_back(
        "time: GEMMs at their real shapes through the profile's GEMM model; FlashAttention at the profile's "
        "attention efficiency shaped by FA2's published causal forward and backward rates over the sequence "
        "length (" +
        format_fixed(flash_attention_rates(s.seq_len).forward, 2) + "x forward, " +
        format_fixed(flash_attention_rates(s.seq_len).backward, 2) +
        "x backward here; arXiv:2407.08608), backward "
        "= 2.5x forward FLOPs; element-wise ops, loss (36 B/vocab/token eager, "
        "6 compiled), QLoRA dequantisation (NF4 read + BF16 write per use) and the optimizer step at the "
        "profile's "
        "copy bandwidth; element-wise bytes count the kernels of the eager implementations (RMSNorm 36 "
        "B/element, rotary 22, SwiGLU 10) or, compiled, one read and one write per fused chain");
    a.push_back(
        "end to end: the kernel-level time above over " + format_fixed(s.efficiency(), 3) + " (" +
        s.efficiency_source() + ")" +
        ": host dispatch, launch gaps, synchronisation, the allocator and clocks under a mixed load, which "
        "the kernel model does not see; set end_to_end_efficiency to your own measured / planned ratio");
    a.push_back(
        "MFU: model FLOPs (6 x GEMM params for full, 4 x + 6 x adapters for LoRA, causal attention 6 s q_dim "
        "per "
        "layer per token) / BF16 dense peak; recomputation not counted");
  } else {
    a.push_back("inference: weights in " + to_string(s.precision) +
                " (int8/fp8/nf4 quantise block linears only), BF16 KV "
                "cache for seq_len x micro_batch (" +
                format_fixed(mp.kv_cache / 1e9, 2) +
                " GB); decode reads all weights and "
                "the whole cache each step; prefill through the GEMM model");
  }
  a.push_back("CUDA context " + format_fixed(s.gpu.usable.context_bytes / double(kGiB), 2) + " GiB (" +
              s.gpu.usable.source.kind + "); caching-allocator reserve " +
              format_fixed(kAllocatorReserveFraction * 100, 0) + "% of allocated");
  return a;
}

}  // namespace detail

std::vector<std::string> plan_warnings(const PlanResult& r) {
  std::vector<std::string> w;
  const auto& s = r.scenario;
  if (s.training() && s.model.layers > 0 && s.grad_accum > 0) {
    const auto& t = r.time.t;
    const double per_layer = (t.gemm + t.attention + t.elementwise + t.recompute + t.dequant) /
                             (static_cast<double>(s.grad_accum) * stage_layers(s));
    if (per_layer < kHostBoundLayerSeconds && !s.compile)
      w.push_back(
          "host-bound risk: " + format_fixed(per_layer * 1e3, 1) +
          " ms of GPU work per layer per micro-batch; eager frameworks can take longer than that to issue a "
          "layer's operators, which the planner does not model: expect fewer tokens/s (a larger micro-batch, "
          "torch.compile or CUDA graphs help)");
    if (t.step > 0 && t.communication_exposed > 0.25 * t.step)
      w.push_back("communication-bound: " + format_fixed(100 * t.communication_exposed / t.step, 0) +
                  "% of the step waits for collectives; fewer nodes, a larger micro-batch or less sharding "
                  "may be faster");
  }
  if (s.training() && s.tensor_parallel > s.gpus_per_node)
    w.push_back("tensor parallelism across nodes: " + std::to_string(s.tensor_parallel) + " ranks over " +
                std::to_string(s.gpus_per_node) + "-GPU nodes put its per-layer collectives on the network");
  if (!s.framework.empty() && !find_framework(s.framework))
    w.push_back("framework '" + s.framework + "' is not known: planned with the defaults (no framework)");
  if (r.fits && r.memory.capacity > 0 && r.memory.peak.total() > 0.95 * r.memory.capacity)
    w.push_back(
        "memory: the peak is " + format_fixed(100 * r.memory.peak.total() / r.memory.capacity, 1) +
        "% of the GPU's memory; fragmentation and the allocator's retries can slow or break such a run");
  return w;
}

json plan_to_json(const PlanResult& r) {
  const auto& b = r.memory.peak;
  json breakdown = {
      {"weights_bytes", b.weights},           {"gradients_bytes", b.gradients},
      {"optimizer_bytes", b.optimizer},       {"master_weights_bytes", b.master_weights},
      {"adapters_bytes", b.adapters},         {"activations_bytes", b.activations},
      {"logits_loss_bytes", b.logits_loss},   {"communication_buffers_bytes", b.communication_buffers},
      {"cuda_context_bytes", b.cuda_context}, {"allocator_reserve_bytes", b.allocator_reserve}};
  json j;
  j["scenario"] = scenario_to_json(r.scenario);
  j["model"] = model_to_json(r.scenario.model);
  j["model"]["trainable_parameters"] = r.trainable_params;
  j["model"]["adapter_parameters"] = r.adapter_params;
  j["gpu"] = {
      {"sku", r.scenario.gpu.sku}, {"profile", r.scenario.gpu.kind}, {"memory_bytes", r.memory.capacity}};
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
               {"breakdown",
                {{"gemm_s", t.gemm},
                 {"attention_s", t.attention},
                 {"elementwise_s", t.elementwise},
                 {"loss_s", t.loss},
                 {"recompute_s", t.recompute},
                 {"dequant_s", t.dequant},
                 {"optimizer_s", t.optimizer},
                 {"offload_exposed_s", t.offload},
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
  j["cost"] = {
      {"gpu_hours", r.gpu_hours}, {"total", r.cost}, {"price_per_gpu_hour", r.scenario.price_per_gpu_hour}};
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
  o << "gpuscale plan: " << s.model.name << " (" << r.params.total << " parameters), " << to_string(s.method)
    << ", " << to_string(s.precision) << " on " << s.gpus() << " x " << s.gpu.sku << " (" << s.gpu.kind
    << " profile)\n\n";
  o << "memory per GPU (peak at " << r.memory.peak_phase
    << (r.memory.stage.empty() ? std::string() : ", " + r.memory.stage + " pipeline stage") << ")\n";
  const std::pair<const char*, double> rows[] = {{"weights", b.weights},
                                                 {"gradients", b.gradients},
                                                 {"optimizer states", b.optimizer},
                                                 {"master weights", b.master_weights},
                                                 {"adapters", b.adapters},
                                                 {"activations", b.activations},
                                                 {"logits / loss", b.logits_loss},
                                                 {"communication buffers", b.communication_buffers},
                                                 {"CUDA context", b.cuda_context},
                                                 {"allocator reserve", b.allocator_reserve}};
  for (const auto& [name, v] : rows) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-24s %s\n", name, gb(v).c_str());
    o << line;
  }
  char line[160];
  std::snprintf(line, sizeof line, "  %-24s %s of %.1f GB: %s\n", "total", gb(b.total()).c_str(),
                r.memory.capacity / 1e9, r.fits ? "fits" : "does NOT fit");
  o << line;
  if (r.min_gpus_to_fit)
    o << "  fits from " << *r.min_gpus_to_fit << " GPU(s) with sharding " << r.min_gpus_sharding << "\n";
  else
    o << "  does not fit on up to 4096 GPUs\n";
  o << "\ntime\n";
  std::snprintf(line, sizeof line,
                "  step                     %10.4f s\n  tokens/s per GPU         %10.1f\n  MFU               "
                "       %10.1f %%\n",
                r.time.t.step, r.time.tokens_per_s_per_gpu, r.time.mfu * 100);
  o << line;
  if (s.training() && r.time.t.step > 0) {
    const auto& t = r.time.t;
    const std::pair<const char*, double> parts[] = {{"GEMMs", t.gemm},
                                                    {"attention", t.attention},
                                                    {"element-wise", t.elementwise},
                                                    {"loss", t.loss},
                                                    {"recomputation", t.recompute},
                                                    {"dequantisation", t.dequant},
                                                    {"FP8 casts", t.fp8_cast},
                                                    {"optimizer step", t.optimizer},
                                                    {"pipeline bubble", t.pipeline_bubble},
                                                    {"exposed communication", t.communication_exposed},
                                                    {"overlap slowdown", t.overlap_slowdown},
                                                    {"offload wait", t.offload},
                                                    {"framework overhead", t.framework_overhead}};
    o << "  where a step goes (end-to-end efficiency " << std::to_string(s.efficiency()).substr(0, 5)
      << ")\n";
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
    std::snprintf(line, sizeof line,
                  "  total                    %10.1f h for %.3g tokens\n  GPU hours                %10.1f\n",
                  r.time.total_s / 3600, s.tokens, r.gpu_hours);
    o << line;
    if (s.price_per_gpu_hour > 0) {
      std::snprintf(line, sizeof line, "  cost                     %10.2f (at %.2f per GPU hour)\n", r.cost,
                    s.price_per_gpu_hour);
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
