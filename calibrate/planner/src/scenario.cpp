// Scenario parsing and validation (see scenario.hpp).
#include "gpuscale/planner/scenario.hpp"

#include <algorithm>
#include <cmath>

#include "gpuscale/planner/error.hpp"

namespace gpuscale::planner {
namespace {

using json = nlohmann::json;

template <class E>
struct Named {
  const char* name;
  E value;
};

const Named<Method> kMethods[] = {{"full", Method::full}, {"lora", Method::lora}, {"qlora", Method::qlora},
                                  {"inference", Method::inference}};
const Named<Precision> kPrecisions[] = {{"amp-bf16", Precision::amp_bf16}, {"bf16", Precision::bf16},
                                        {"fp8", Precision::fp8}, {"fp16", Precision::fp16},
                                        {"int8", Precision::int8}, {"nf4", Precision::nf4}};
const Named<Optimizer> kOptimizers[] = {{"adamw", Optimizer::adamw}, {"adamw-8bit", Optimizer::adamw_8bit},
                                        {"paged-adamw-8bit", Optimizer::paged_adamw_8bit}, {"sgd", Optimizer::sgd}};
const Named<Sharding> kShardings[] = {{"none", Sharding::none}, {"zero1", Sharding::zero1}, {"zero2", Sharding::zero2},
                                      {"zero3", Sharding::zero3}, {"fsdp", Sharding::zero3}};
const Named<Checkpointing> kCkpt[] = {{"none", Checkpointing::none}, {"selective", Checkpointing::selective},
                                      {"full", Checkpointing::full}};

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
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())
      return check_positive(key, static_cast<std::int64_t>(v.get<double>()));
    if (!v.is_number_integer()) throw InputError(where(key), key, "expected a positive integer, got " + v.dump());
    return check_positive(key, v.get<std::int64_t>());
  }
  double non_negative(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    const auto& v = j_.at(key);
    if (!v.is_number()) throw InputError(where(key), key, "expected a number, got " + v.dump());
    if (!(v.get<double>() >= 0)) throw InputError(where(key), key, "must not be negative, got " + v.dump());
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
  return {t};
}

}  // namespace

std::string to_string(Method m) { return name_of(kMethods, m); }
std::string to_string(Precision p) { return name_of(kPrecisions, p); }
std::string to_string(Optimizer o) { return name_of(kOptimizers, o); }
std::string to_string(Sharding s) { return name_of(kShardings, s); }
std::string to_string(Checkpointing c) { return name_of(kCkpt, c); }

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys = {
      "model", "method", "lora_rank", "lora_targets", "precision", "optimizer", "seq_len", "micro_batch",
      "grad_accum", "gpu", "gpus_per_node", "nodes", "sharding", "activation_checkpointing", "flash_attention",
      "tokens", "price_per_gpu_hour", "loss_chunks", "compile", "optimizer_in_backward", "activation_offload",
      "end_to_end_efficiency", "fused_loss"};
  return keys;
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

Scenario parse_scenario(const json& j, const std::string& where, const std::map<std::string, std::string>* origins,
                        const Profile* gpu) {
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
  if (!r.has("model")) throw InputError(where, "model", "missing: a preset name, a config.json path or an object");
  s.model = resolve_model(r.at("model"), r.where("model"));
  if (!r.has("gpu")) throw InputError(where, "gpu", "missing: a SKU key, a driver name or a profile path");
  if (!r.at("gpu").is_string()) throw InputError(r.where("gpu"), "gpu", "expected a string, got " + r.at("gpu").dump());
  s.gpu_arg = r.at("gpu").get<std::string>();
  s.gpu = gpu ? *gpu : resolve_gpu(s.gpu_arg, r.where("gpu"), "gpu");

  s.method = r.choice("method", kMethods, Method::full);
  s.precision = r.choice("precision", kPrecisions, s.method == Method::inference ? Precision::bf16 : Precision::amp_bf16);
  if (s.training() && (s.precision == Precision::int8 || s.precision == Precision::nf4 || s.precision == Precision::fp16))
    throw InputError(r.where("precision"), "precision",
                     "'" + to_string(s.precision) + "' is an inference weight format; training takes amp-bf16 | bf16 | fp8 "
                     "(QLoRA's NF4 base comes with method qlora)");
  s.optimizer = r.choice("optimizer", kOptimizers, Optimizer::adamw);
  s.seq_len = r.positive_int("seq_len", 2048);
  s.micro_batch = r.positive_int("micro_batch", 1);
  s.grad_accum = r.positive_int("grad_accum", 1);
  s.gpus_per_node = r.positive_int("gpus_per_node", 1);
  s.nodes = r.positive_int("nodes", 1);
  s.sharding = r.choice("sharding", kShardings, Sharding::none);
  s.checkpointing = r.choice("activation_checkpointing", kCkpt, Checkpointing::none);
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
                       "must be in (0, 1] (measured tokens/s over the kernel-level plan), got " + r.at("end_to_end_efficiency").dump());
    s.end_to_end_efficiency = e;
  }

  if (s.optimizer_in_backward && s.grad_accum > 1)
    throw InputError(r.where("optimizer_in_backward"), "optimizer_in_backward",
                     "a step fused into backward cannot accumulate gradients (grad_accum must be 1)");
  if (s.activation_offload && s.checkpointing == Checkpointing::none)
    throw InputError(r.where("activation_offload"), "activation_offload",
                     "offloading moves checkpointed layer inputs to the host: needs activation_checkpointing");

  const bool lora = s.method == Method::lora || s.method == Method::qlora;
  s.lora_rank = r.positive_int("lora_rank", 16);
  if (lora && s.lora_rank > s.model.hidden)
    throw InputError(r.where("lora_rank"), "lora_rank",
                     std::to_string(s.lora_rank) + " is larger than the hidden size " + std::to_string(s.model.hidden));
  std::vector<std::string> targets;
  if (r.has("lora_targets")) {
    const auto& t = r.at("lora_targets");
    if (t.is_string()) {
      targets.push_back(t.get<std::string>());
    } else if (t.is_array() && !t.empty()) {
      for (const auto& x : t) {
        if (!x.is_string()) throw InputError(r.where("lora_targets"), "lora_targets", "expected module names, got " + x.dump());
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
      const bool known = e == "qkv_fused" || std::any_of(linears.begin(), linears.end(),
                                                         [&](const LinearShape& l) { return l.name == e; });
      if (!known)
        throw InputError(r.where("lora_targets"), "lora_targets",
                         "module '" + t + "' is not a linear layer of " + s.model.name +
                             " (q_proj, k_proj, v_proj, o_proj, " +
                             (s.model.mlp == MlpKind::gated ? "gate_proj, " : "") + "up_proj, down_proj or all-linear)");
      if (std::find(s.lora_targets.begin(), s.lora_targets.end(), e) == s.lora_targets.end()) s.lora_targets.push_back(e);
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
    j["activation_checkpointing"] = to_string(s.checkpointing);
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
  return j;
}

}  // namespace gpuscale::planner
