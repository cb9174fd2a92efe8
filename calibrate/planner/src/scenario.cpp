// Scenario parsing and validation (see scenario.hpp).
#include "gpuscale/planner/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/framework.hpp"

namespace gpuscale::planner {
namespace {

using json = nlohmann::json;

template <class E>
struct Named {
  const char* name;
  E value;
};

const Named<Method> kMethods[] = {{"full", Method::full},
                                  {"lora", Method::lora},
                                  {"qlora", Method::qlora},
                                  {"inference", Method::inference}};
const Named<Precision> kPrecisions[] = {{"amp-bf16", Precision::amp_bf16}, {"bf16", Precision::bf16},
                                        {"fp8", Precision::fp8},           {"fp16", Precision::fp16},
                                        {"int8", Precision::int8},         {"nf4", Precision::nf4}};
const Named<Optimizer> kOptimizers[] = {{"adamw", Optimizer::adamw},
                                        {"adamw-8bit", Optimizer::adamw_8bit},
                                        {"paged-adamw-8bit", Optimizer::paged_adamw_8bit},
                                        {"sgd", Optimizer::sgd}};
const Named<Sharding> kShardings[] = {{"none", Sharding::none},
                                      {"zero1", Sharding::zero1},
                                      {"zero2", Sharding::zero2},
                                      {"zero3", Sharding::zero3},
                                      {"fsdp", Sharding::zero3}};
const Named<Checkpointing> kCkpt[] = {{"none", Checkpointing::none},
                                      {"selective", Checkpointing::selective},
                                      {"full", Checkpointing::full},
                                      {"selective-op", Checkpointing::selective_op},
                                      {"selective-layer", Checkpointing::selective_layer}};
const Named<PipelineSchedule> kSchedules[] = {{"1f1b", PipelineSchedule::one_f_one_b},
                                              {"interleaved", PipelineSchedule::interleaved}};

template <class E, std::size_t N>
std::string name_of(const Named<E> (&table)[N], E v) {
  for (const auto& t : table)
    if (t.value == v) return t.name;
  return "?";
}

class Reader {
 public:
  Reader(const json& j, std::string where, const std::map<std::string, std::string>* origins)
      : j_(j), where_(std::move(where)), origins_(origins) {}

  std::string where(const std::string& key) const {
    if (origins_) {
      auto it = origins_->find(key);
      if (it != origins_->end()) return it->second;
    }
    return where_;
  }
  bool has(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  const json& at(const std::string& key) const { return j_.at(key); }

  std::int64_t positive_int(const std::string& key, std::int64_t fallback) const {
    if (!has(key)) return fallback;
    const auto& v = j_.at(key);
    const std::int64_t most = int_limit(key);
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) {
      // Checked before the conversion: 1e30 must not become -9223372036854775808.
      if (v.get<double>() > static_cast<double>(most)) too_large(key, v.dump(), most);
      return check_positive(key, static_cast<std::int64_t>(v.get<double>()));
    }
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(most))
      too_large(key, v.dump(), most);
    if (!v.is_number_integer())
      throw InputError(where(key), key, "expected a positive integer, got " + v.dump());
    const std::int64_t x = check_positive(key, v.get<std::int64_t>());
    if (x > most) too_large(key, v.dump(), most);
    return x;
  }
  double non_negative(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    const auto& v = j_.at(key);
    if (!v.is_number()) throw InputError(where(key), key, "expected a number, got " + v.dump());
    if (!(v.get<double>() >= 0)) throw InputError(where(key), key, "must not be negative, got " + v.dump());
    if (v.get<double>() > number_limit(key)) too_large(key, v.dump(), number_limit(key));
    return v.get<double>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const auto& v = j_.at(key);
    if (!v.is_boolean()) throw InputError(where(key), key, "expected true or false, got " + v.dump());
    return v.get<bool>();
  }
  template <class E, std::size_t N>
  E choice(const std::string& key, const Named<E> (&table)[N], E fallback) const {
    if (!has(key)) return fallback;
    const auto& v = j_.at(key);
    std::string allowed;
    for (const auto& t : table) allowed += (allowed.empty() ? "" : " | ") + std::string(t.name);
    if (v.is_string())
      for (const auto& t : table)
        if (v.get<std::string>() == t.name) return t.value;
    throw InputError(where(key), key, "expected " + allowed + ", got " + v.dump());
  }

 private:
  // Beyond these a value is a typo, not a plan (and products of them would overflow): the largest
  // real jobs are far inside (405B: 16k hidden, 126 layers, 128k sequence, 16k GPUs).
  static std::int64_t int_limit(const std::string& key) {
    static const std::map<std::string, std::int64_t> limits = {
        {"seq_len", 1LL << 24},           {"micro_batch", 1LL << 16},    {"grad_accum", 1LL << 20},
        {"gpus_per_node", 1LL << 10},     {"nodes", 1LL << 20},          {"tensor_parallel", 1LL << 10},
        {"pipeline_parallel", 1LL << 10}, {"virtual_stages", 1LL << 10}, {"context_parallel", 1LL << 10},
        {"shard_group", 1LL << 30},       {"loss_chunks", 1LL << 20},    {"lora_rank", 1LL << 16}};
    auto it = limits.find(key);
    return it == limits.end() ? (1LL << 30) : it->second;
  }
  static double number_limit(const std::string& key) {
    if (key == "tokens") return 1e15;             // a quadrillion training tokens
    if (key == "price_per_gpu_hour") return 1e6;  // dollars
    return 1e12;
  }
  [[noreturn]] void too_large(const std::string& key, const std::string& got, double most) const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", most);
    throw InputError(where(key), key, "must be at most " + std::string(buf) + ", got " + got);
  }
  std::int64_t check_positive(const std::string& key, std::int64_t x) const {
    if (x <= 0) throw InputError(where(key), key, "must be a positive integer, got " + std::to_string(x));
    return x;
  }
  const json& j_;
  std::string where_;
  const std::map<std::string, std::string>* origins_;
};

// LoRA target names: Hugging Face (q_proj ...), torchtune (output_proj, w1/w2/w3), MPT (Wqkv,
// out_proj), Qwen-1 (c_attn) and GPT (fc1/fc2). Fused names map to one adapter over q, k and v.
std::vector<std::string> expand_target(const std::string& t, const ModelArch& m) {
  const bool gated = m.mlp == MlpKind::gated;
  if (t == "all-linear" || t == "all_linear" || t == "all") {
    if (gated) return {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    return {"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"};
  }
  if (t == "Wqkv" || t == "c_attn" || t == "qkv_proj") return {"qkv_fused"};
  if (t == "out_proj" || t == "output_proj" || t == "dense" || t == "o_proj") return {"o_proj"};
  if (t == "w1") return {gated ? "gate_proj" : "up_proj"};
  if (t == "w3") return {"up_proj"};
  if (t == "w2" || t == "fc2") return {"down_proj"};
  if (t == "fc1" || t == "up_proj") return {"up_proj"};
  // Outside the blocks: torchtune's apply_lora_to_output and LitGPT's lora_head name the output head.
  if (t == "lm_head" || t == "output" || t == "lora_head") return {"lm_head"};
  if (t == "embed_tokens" || t == "tok_embeddings" || t == "wte") return {"embed_tokens"};
  return {t};
}

// Model parallelism and the data-parallel group that remains (scenario.hpp).
void parse_parallelism(const Reader& r, Scenario& s) {
  s.tensor_parallel = r.positive_int("tensor_parallel", 1);
  s.sequence_parallel = r.boolean("sequence_parallel", false);
  s.pipeline_parallel = r.positive_int("pipeline_parallel", 1);
  s.virtual_stages = r.positive_int("virtual_stages", 1);
  s.pipeline_schedule =
      r.choice("pipeline_schedule", kSchedules,
               s.virtual_stages > 1 ? PipelineSchedule::interleaved : PipelineSchedule::one_f_one_b);
  s.context_parallel = r.positive_int("context_parallel", 1);
  s.shard_group = r.has("shard_group") ? r.positive_int("shard_group", 0) : 0;
  if (r.has("framework")) {
    if (!r.at("framework").is_string())
      throw InputError(r.where("framework"), "framework", "expected a name, got " + r.at("framework").dump());
    s.framework = r.at("framework").get<std::string>();
  }
  s.tp_comm_overlap = r.boolean("tp_comm_overlap", false);

  const auto t = s.tensor_parallel, p = s.pipeline_parallel, c = s.context_parallel, v = s.virtual_stages;
  const auto& m = s.model;
  if (!s.training() && t * p * c > 1)
    throw InputError(
        r.where(t > 1   ? "tensor_parallel"
                : p > 1 ? "pipeline_parallel"
                        : "context_parallel"),
        t > 1   ? "tensor_parallel"
        : p > 1 ? "pipeline_parallel"
                : "context_parallel",
        "model parallelism is planned for training; inference plans one GPU's copy (or sharding)");
  // Divided step by step, so that no product of the degrees can overflow.
  const auto g = s.gpus();
  if (g % t != 0 || (g / t) % p != 0 || (g / t / p) % c != 0) {
    const char* key = g % t != 0         ? "tensor_parallel"
                      : (g / t) % p != 0 ? "pipeline_parallel"
                                         : "context_parallel";
    throw InputError(r.where(key), key,
                     "tensor_parallel x pipeline_parallel x context_parallel (" + std::to_string(t) + " x " +
                         std::to_string(p) + " x " + std::to_string(c) + ") does not divide the " +
                         std::to_string(g) + " GPUs (gpus_per_node x nodes)");
  }
  if (m.heads % t != 0)
    throw InputError(r.where("tensor_parallel"), "tensor_parallel",
                     std::to_string(t) + " does not divide the " + std::to_string(m.heads) +
                         " attention heads of " + m.name);
  if (s.pipeline_schedule == PipelineSchedule::interleaved && v < 2)
    throw InputError(r.where("pipeline_schedule"), "pipeline_schedule",
                     "the interleaved schedule needs virtual_stages of 2 or more (layer chunks per GPU)");
  if (s.pipeline_schedule == PipelineSchedule::one_f_one_b && v > 1)
    throw InputError(r.where("virtual_stages"), "virtual_stages",
                     "virtual stages run with pipeline_schedule interleaved, not 1f1b");
  if (v > 1 && p < 2)
    throw InputError(r.where("virtual_stages"), "virtual_stages",
                     "virtual stages need pipeline_parallel of 2 or more");
  if (p > m.layers || v > m.layers || m.layers < p * v)
    throw InputError(r.where("pipeline_parallel"), "pipeline_parallel",
                     std::to_string(p * v) + " pipeline stages (pipeline_parallel x virtual_stages) for " +
                         std::to_string(m.layers) + " layers: each stage needs at least one layer");
  if (s.seq_len % c != 0)
    throw InputError(r.where("context_parallel"), "context_parallel",
                     std::to_string(c) + " does not divide seq_len " + std::to_string(s.seq_len));
  if (s.shard_group > 0) {
    if (s.sharding == Sharding::none)
      throw InputError(r.where("shard_group"), "shard_group",
                       "HSDP shards states within a group: needs sharding (zero1-3)");
    if (s.gradient_ranks() % s.shard_group != 0)
      throw InputError(
          r.where("shard_group"), "shard_group",
          std::to_string(s.shard_group) + " does not divide the " + std::to_string(s.gradient_ranks()) +
              " data-parallel ranks (GPUs / (tensor x pipeline x context parallel) x context parallel)");
  }
}
}  // namespace

std::string to_string(Method m) {
  return name_of(kMethods, m);
}
std::string to_string(Precision p) {
  return name_of(kPrecisions, p);
}
std::string to_string(Optimizer o) {
  return name_of(kOptimizers, o);
}
std::string to_string(Sharding s) {
  return name_of(kShardings, s);
}
std::string to_string(Checkpointing c) {
  return name_of(kCkpt, c);
}
std::string to_string(PipelineSchedule p) {
  return name_of(kSchedules, p);
}

std::string checkpointing_name(const Scenario& s) {
  if (s.checkpointing == Checkpointing::selective_layer)
    return "selective-layer:" + std::to_string(s.checkpoint_every);
  return to_string(s.checkpointing);
}

double Scenario::efficiency() const {
  if (end_to_end_efficiency) return *end_to_end_efficiency;
  const Framework* fw = find_framework(framework);
  if (fw) {
    if (auto it = gpu.framework_efficiency.find(fw->key); it != gpu.framework_efficiency.end())
      return it->second.efficiency;
    if (gpu.spec)
      if (const auto* r = find_end_to_end(gpu.spec->architecture, fw->key)) return r->efficiency;
  }
  return gpu.end_to_end_efficiency;
}

std::string Scenario::efficiency_source() const {
  if (end_to_end_efficiency) return "the scenario's end_to_end_efficiency";
  const Framework* fw = find_framework(framework);
  if (fw) {
    if (auto it = gpu.framework_efficiency.find(fw->key); it != gpu.framework_efficiency.end())
      return "the profile's measured value for " + std::string(fw->key) + ": " + it->second.source.citation;
    if (gpu.spec)
      if (const auto* r = find_end_to_end(gpu.spec->architecture, fw->key))
        return std::string(fw->key) + " on " + std::string(gpu.spec->architecture) + ", published run " +
               r->validation_row +
               " (calibration run): " + std::to_string(static_cast<int>(r->measured_tokens_per_s)) +
               " tokens/s/GPU over this planner's kernel-level plan of it; " + r->citation;
  }
  std::string why;
  if (!framework.empty())
    why = fw ? "no published " + std::string(fw->key) + " run on this architecture is built in; "
             : "framework '" + framework + "' is not known; ";
  return why + "the profile's (" + gpu.end_to_end_source.kind + ", " + gpu.end_to_end_source.citation + ")";
}

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys = {"model",
                                                "method",
                                                "lora_rank",
                                                "lora_targets",
                                                "precision",
                                                "optimizer",
                                                "seq_len",
                                                "micro_batch",
                                                "grad_accum",
                                                "gpu",
                                                "gpus_per_node",
                                                "nodes",
                                                "sharding",
                                                "activation_checkpointing",
                                                "flash_attention",
                                                "tokens",
                                                "price_per_gpu_hour",
                                                "loss_chunks",
                                                "compile",
                                                "optimizer_in_backward",
                                                "activation_offload",
                                                "end_to_end_efficiency",
                                                "fused_loss",
                                                "framework",
                                                "tensor_parallel",
                                                "sequence_parallel",
                                                "pipeline_parallel",
                                                "pipeline_schedule",
                                                "virtual_stages",
                                                "context_parallel",
                                                "shard_group",
                                                "tp_comm_overlap"};
  return keys;
}

std::vector<Adapter> Scenario::model_adapters() const {
  std::vector<Adapter> v;
  for (const auto& t : lora_targets) {
    if (t == "lm_head") v.push_back({t, model.hidden, model.vocab});
    if (t == "embed_tokens") v.push_back({t, model.vocab, model.hidden});
  }
  return v;
}

std::vector<Adapter> Scenario::adapters() const {
  std::vector<Adapter> v;
  const auto linears = block_linears(model);
  for (const auto& t : lora_targets) {
    if (t == "qkv_fused") {
      v.push_back({t, model.hidden, model.q_dim() + 2 * model.kv_dim()});
      continue;
    }
    for (const auto& l : linears)
      if (l.name == t) v.push_back({t, l.in, l.out});
  }
  return v;
}

Scenario parse_scenario(const json& j, const std::string& where,
                        const std::map<std::string, std::string>* origins, const Profile* gpu) {
  if (!j.is_object()) throw InputError(where, "", "a scenario must be a JSON object");
  Reader r(j, where, origins);
  for (const auto& [key, value] : j.items()) {
    (void)value;
    const auto& keys = scenario_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
      throw InputError(r.where(key), key, "unknown key (known: " + known + ")");
    }
  }
  Scenario s;
  if (!r.has("model"))
    throw InputError(where, "model", "missing: a preset name, a config.json path or an object");
  s.model = resolve_model(r.at("model"), r.where("model"));
  if (!r.has("gpu")) throw InputError(where, "gpu", "missing: a SKU key, a driver name or a profile path");
  if (!r.at("gpu").is_string())
    throw InputError(r.where("gpu"), "gpu", "expected a string, got " + r.at("gpu").dump());
  s.gpu_arg = r.at("gpu").get<std::string>();
  s.gpu = gpu ? *gpu : resolve_gpu(s.gpu_arg, r.where("gpu"), "gpu");

  s.method = r.choice("method", kMethods, Method::full);
  s.precision = r.choice("precision", kPrecisions,
                         s.method == Method::inference ? Precision::bf16 : Precision::amp_bf16);
  if (s.training() &&
      (s.precision == Precision::int8 || s.precision == Precision::nf4 || s.precision == Precision::fp16))
    throw InputError(r.where("precision"), "precision",
                     "'" + to_string(s.precision) +
                         "' is an inference weight format; training takes amp-bf16 | bf16 | fp8 "
                         "(QLoRA's NF4 base comes with method qlora)");
  s.optimizer = r.choice("optimizer", kOptimizers, Optimizer::adamw);
  s.seq_len = r.positive_int("seq_len", 2048);
  s.micro_batch = r.positive_int("micro_batch", 1);
  s.grad_accum = r.positive_int("grad_accum", 1);
  s.gpus_per_node = r.positive_int("gpus_per_node", 1);
  s.nodes = r.positive_int("nodes", 1);
  s.sharding = r.choice("sharding", kShardings, Sharding::none);
  if (r.has("activation_checkpointing") && r.at("activation_checkpointing").is_string()) {
    // selective-layer:N names its frequency after a colon (torchtitan's selective_ac_option N).
    const std::string v = r.at("activation_checkpointing").get<std::string>();
    const std::string prefix = "selective-layer";
    if (v.rfind(prefix, 0) == 0) {
      std::size_t used = 0;
      long long n = 0;
      const std::string num =
          v.size() > prefix.size() + 1 && v[prefix.size()] == ':' ? v.substr(prefix.size() + 1) : "";
      try {
        n = std::stoll(num, &used);
      } catch (...) {
        used = 0;
      }
      if (num.empty() || used != num.size() || n <= 0)
        throw InputError(
            r.where("activation_checkpointing"), "activation_checkpointing",
            "expected selective-layer:N with N a positive integer (every N-th layer checkpointed), got " +
                r.at("activation_checkpointing").dump());
      s.checkpointing = Checkpointing::selective_layer;
      s.checkpoint_every = n;
    }
  }
  if (s.checkpointing != Checkpointing::selective_layer) {
    const std::string allowed = "none | selective | full | selective-op | selective-layer:N";
    if (r.has("activation_checkpointing") && (!r.at("activation_checkpointing").is_string() ||
                                              r.at("activation_checkpointing") == "selective-layer"))
      throw InputError(r.where("activation_checkpointing"), "activation_checkpointing",
                       "expected " + allowed + ", got " + r.at("activation_checkpointing").dump());
    try {
      s.checkpointing = r.choice("activation_checkpointing", kCkpt, Checkpointing::none);
    } catch (const InputError&) {
      throw InputError(r.where("activation_checkpointing"), "activation_checkpointing",
                       "expected " + allowed + ", got " + r.at("activation_checkpointing").dump());
    }
  }
  s.flash_attention = r.boolean("flash_attention", true);
  s.tokens = r.non_negative("tokens", 0);
  s.price_per_gpu_hour = r.non_negative("price_per_gpu_hour", 0);
  s.loss_chunks = r.positive_int("loss_chunks", 1);
  s.compile = r.boolean("compile", false);
  s.optimizer_in_backward = r.boolean("optimizer_in_backward", false);
  s.activation_offload = r.boolean("activation_offload", false);
  s.fused_loss = r.boolean("fused_loss", false);
  if (r.has("end_to_end_efficiency")) {
    const double e = r.non_negative("end_to_end_efficiency", 1);
    if (!(e > 0 && e <= 1))
      throw InputError(r.where("end_to_end_efficiency"), "end_to_end_efficiency",
                       "must be in (0, 1] (measured tokens/s over the kernel-level plan), got " +
                           r.at("end_to_end_efficiency").dump());
    s.end_to_end_efficiency = e;
  }

  if (s.optimizer_in_backward && s.grad_accum > 1)
    throw InputError(r.where("optimizer_in_backward"), "optimizer_in_backward",
                     "a step fused into backward cannot accumulate gradients (grad_accum must be 1)");
  if (s.activation_offload && s.checkpointing == Checkpointing::none)
    throw InputError(
        r.where("activation_offload"), "activation_offload",
        "offloading moves checkpointed layer inputs to the host: needs activation_checkpointing");
  if (s.activation_offload &&
      (s.checkpointing == Checkpointing::selective_op || s.checkpointing == Checkpointing::selective_layer))
    throw InputError(
        r.where("activation_offload"), "activation_offload",
        "offloading is planned with full (or selective) checkpointing, not " + checkpointing_name(s));

  parse_parallelism(r, s);

  const bool lora = s.method == Method::lora || s.method == Method::qlora;
  s.lora_rank = r.positive_int("lora_rank", 16);
  if (lora && s.lora_rank > s.model.hidden)
    throw InputError(
        r.where("lora_rank"), "lora_rank",
        std::to_string(s.lora_rank) + " is larger than the hidden size " + std::to_string(s.model.hidden));
  std::vector<std::string> targets;
  if (r.has("lora_targets")) {
    const auto& t = r.at("lora_targets");
    if (t.is_string()) {
      targets.push_back(t.get<std::string>());
    } else if (t.is_array() && !t.empty()) {
      for (const auto& x : t) {
        if (!x.is_string())
          throw InputError(r.where("lora_targets"), "lora_targets", "expected module names, got " + x.dump());
        targets.push_back(x.get<std::string>());
      }
    } else {
      throw InputError(r.where("lora_targets"), "lora_targets", "expected a non-empty list of module names");
    }
  } else {
    targets = {"all-linear"};
  }
  const auto linears = block_linears(s.model);
  for (const auto& t : targets) {
    for (const auto& e : expand_target(t, s.model)) {
      const bool known =
          e == "qkv_fused" || e == "lm_head" || e == "embed_tokens" ||
          std::any_of(linears.begin(), linears.end(), [&](const LinearShape& l) { return l.name == e; });
      if (!known)
        throw InputError(r.where("lora_targets"), "lora_targets",
                         "module '" + t + "' is not a linear layer or embedding of " + s.model.name +
                             " (q_proj, k_proj, v_proj, o_proj, " +
                             (s.model.mlp == MlpKind::gated ? "gate_proj, " : "") +
                             "up_proj, down_proj, all-linear, lm_head or embed_tokens)");
      if (std::find(s.lora_targets.begin(), s.lora_targets.end(), e) == s.lora_targets.end())
        s.lora_targets.push_back(e);
    }
  }
  return s;
}

json scenario_to_json(const Scenario& s) {
  json j = {{"model", s.model.name},
            {"method", to_string(s.method)},
            {"precision", to_string(s.precision)},
            {"seq_len", s.seq_len},
            {"micro_batch", s.micro_batch},
            {"gpu", s.gpu.sku},
            {"gpus_per_node", s.gpus_per_node},
            {"nodes", s.nodes},
            {"sharding", to_string(s.sharding)},
            {"flash_attention", s.flash_attention},
            {"tokens", s.tokens},
            {"price_per_gpu_hour", s.price_per_gpu_hour}};
  if (s.training()) {
    j["optimizer"] = to_string(s.optimizer);
    j["grad_accum"] = s.grad_accum;
    j["activation_checkpointing"] = checkpointing_name(s);
    j["loss_chunks"] = s.loss_chunks;
    j["compile"] = s.compile;
    j["optimizer_in_backward"] = s.optimizer_in_backward;
    j["activation_offload"] = s.activation_offload;
    j["fused_loss"] = s.fused_loss;
    j["end_to_end_efficiency"] = s.efficiency();
  }
  if (s.method == Method::lora || s.method == Method::qlora) {
    j["lora_rank"] = s.lora_rank;
    j["lora_targets"] = s.lora_targets;
  }
  if (!s.framework.empty()) j["framework"] = s.framework;
  if (s.model_parallel() > 1 || s.shard_group > 0) {
    j["tensor_parallel"] = s.tensor_parallel;
    j["sequence_parallel"] = s.sequence_parallel;
    j["pipeline_parallel"] = s.pipeline_parallel;
    j["pipeline_schedule"] = to_string(s.pipeline_schedule);
    j["virtual_stages"] = s.virtual_stages;
    j["context_parallel"] = s.context_parallel;
    j["tp_comm_overlap"] = s.tp_comm_overlap;
    if (s.shard_group > 0) j["shard_group"] = s.shard_group;
  }
  return j;
}

}  // namespace gpuscale::planner
