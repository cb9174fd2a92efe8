// Model architectures: presets from published configs, Hugging Face config.json parsing, and the
// exact parameter count of each block.
#include "gpuscale/planner/model.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/planner/error.hpp"

namespace gpuscale::planner {
namespace {

using json = nlohmann::json;

ModelArch llama_like(std::string name, std::int64_t h, std::int64_t f, std::int64_t layers,
                     std::int64_t heads, std::int64_t kv, std::int64_t vocab, bool tied, std::string source,
                     bool qkv_bias = false) {
  ModelArch m;
  m.name = std::move(name);
  m.hidden = h;
  m.intermediate = f;
  m.layers = layers;
  m.heads = heads;
  m.kv_heads = kv;
  m.vocab = vocab;
  m.tied_embeddings = tied;
  m.qkv_bias = qkv_bias;
  m.source = std::move(source);
  return m;
}

ModelArch mpt(std::string name, std::int64_t d, std::int64_t layers, std::int64_t heads, std::string source) {
  ModelArch m;
  m.name = std::move(name);
  m.hidden = d;
  m.intermediate = 4 * d;  // expansion_ratio 4
  m.layers = layers;
  m.heads = heads;
  m.kv_heads = heads;
  m.vocab = 50432;
  m.tied_embeddings = true;  // MPT always ties the output head to wte
  m.mlp = MlpKind::plain;
  m.norm = NormKind::layernorm;  // no_bias: true, so LayerNorm without bias and no linear biases
  m.source = std::move(source);
  return m;
}

// Every figure below is the model's config.json on the Hugging Face Hub (organisation/model).
const std::vector<ModelArch>& presets() {
  static const std::vector<ModelArch> list = [] {
    std::vector<ModelArch> v;
    const std::string hf = "Hugging Face config.json: ";
    v.push_back(
        llama_like("llama-2-7b", 4096, 11008, 32, 32, 32, 32000, false, hf + "meta-llama/Llama-2-7b-hf"));
    v.push_back(
        llama_like("llama-2-13b", 5120, 13824, 40, 40, 40, 32000, false, hf + "meta-llama/Llama-2-13b-hf"));
    v.push_back(
        llama_like("llama-2-70b", 8192, 28672, 80, 64, 8, 32000, false, hf + "meta-llama/Llama-2-70b-hf"));
    v.push_back(
        llama_like("llama-3-8b", 4096, 14336, 32, 32, 8, 128256, false, hf + "meta-llama/Meta-Llama-3-8B"));
    v.push_back(
        llama_like("llama-3.1-8b", 4096, 14336, 32, 32, 8, 128256, false, hf + "meta-llama/Llama-3.1-8B"));
    v.push_back(
        llama_like("llama-3-70b", 8192, 28672, 80, 64, 8, 128256, false, hf + "meta-llama/Meta-Llama-3-70B"));
    v.push_back(
        llama_like("llama-3.1-70b", 8192, 28672, 80, 64, 8, 128256, false, hf + "meta-llama/Llama-3.1-70B"));
    v.push_back(llama_like("llama-3.3-70b", 8192, 28672, 80, 64, 8, 128256, false,
                           hf + "meta-llama/Llama-3.3-70B-Instruct"));
    v.push_back(llama_like("llama-3.1-405b", 16384, 53248, 126, 128, 8, 128256, false,
                           hf + "meta-llama/Llama-3.1-405B"));
    v.push_back(
        llama_like("llama-3.2-1b", 2048, 8192, 16, 32, 8, 128256, true, hf + "meta-llama/Llama-3.2-1B"));
    v.push_back(
        llama_like("llama-3.2-3b", 3072, 8192, 28, 24, 8, 128256, true, hf + "meta-llama/Llama-3.2-3B"));
    v.push_back(
        llama_like("mistral-7b", 4096, 14336, 32, 32, 8, 32000, false, hf + "mistralai/Mistral-7B-v0.1"));
    v.push_back(
        llama_like("qwen2.5-7b", 3584, 18944, 28, 28, 4, 152064, false, hf + "Qwen/Qwen2.5-7B", true));
    v.push_back(
        llama_like("qwen2.5-14b", 5120, 13824, 48, 40, 8, 152064, false, hf + "Qwen/Qwen2.5-14B", true));
    v.push_back(
        llama_like("qwen2.5-32b", 5120, 27648, 64, 40, 8, 152064, false, hf + "Qwen/Qwen2.5-32B", true));
    v.push_back(
        llama_like("qwen2.5-72b", 8192, 29568, 80, 64, 8, 152064, false, hf + "Qwen/Qwen2.5-72B", true));
    v.push_back(
        mpt("mpt-7b", 4096, 32, 32, hf + "mosaicml/mpt-7b (d_model 4096, n_layers 32, alibi, no_bias)"));
    v.push_back(
        mpt("mpt-30b", 7168, 48, 64, hf + "mosaicml/mpt-30b (d_model 7168, n_layers 48, alibi, no_bias)"));
    return v;
  }();
  return list;
}

// The largest value each size may take: beyond it a config is a typo, not a model (and the
// parameter counts, products of these, would overflow 64 bits). Real models are far inside:
// 16k hidden, 53k intermediate, 126 layers, 256k vocabulary.
std::int64_t size_limit(const std::string& key) {
  static const std::map<std::string, std::int64_t> limits = {
      {"hidden_size", 1LL << 20},       {"d_model", 1LL << 20},
      {"intermediate_size", 1LL << 22}, {"num_hidden_layers", 1LL << 14},
      {"n_layers", 1LL << 14},          {"num_attention_heads", 1LL << 14},
      {"n_heads", 1LL << 14},           {"num_key_value_heads", 1LL << 14},
      {"head_dim", 1LL << 14},          {"vocab_size", 1LL << 24},
      {"expansion_ratio", 64},          {"max_seq_len", 1LL << 24},
      {"learned_positions", 1LL << 24}};
  auto it = limits.find(key);
  return it == limits.end() ? (1LL << 30) : it->second;
}

std::int64_t get_int(const json& j, const char* key, const std::string& where, bool required,
                     std::int64_t fallback = 0) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (required) throw InputError(where, key, "missing (a positive integer is required)");
    return fallback;
  }
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw InputError(where, key, "expected an integer, got " + v.dump());
  const std::int64_t most = size_limit(key);
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(most))
    throw InputError(where, key, "must be at most " + std::to_string(most) + ", got " + v.dump());
  const auto x = v.get<std::int64_t>();
  if (x <= 0) throw InputError(where, key, "must be positive, got " + std::to_string(x));
  if (x > most) throw InputError(where, key, "must be at most " + std::to_string(most) + ", got " + v.dump());
  return x;
}

// A text field, or `fallback` when absent: another type is an error naming the field (a bare
// "type must be string" names nothing).
std::string get_string(const json& j, const char* key, const std::string& where,
                       const std::string& fallback) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  if (!j.at(key).is_string()) throw InputError(where, key, "expected a string, got " + j.at(key).dump());
  return j.at(key).get<std::string>();
}

bool get_bool(const json& j, const char* key, const std::string& where, bool fallback) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  if (!j.at(key).is_boolean())
    throw InputError(where, key, "expected true or false, got " + j.at(key).dump());
  return j.at(key).get<bool>();
}

void check_shapes(const ModelArch& m, const std::string& where) {
  if (m.head_dim == 0 && m.hidden % m.heads != 0)
    throw InputError(where, "num_attention_heads",
                     "hidden size " + std::to_string(m.hidden) + " is not a multiple of " +
                         std::to_string(m.heads) + " heads");
  if (m.heads % m.kv_heads != 0)
    throw InputError(
        where, "num_key_value_heads",
        std::to_string(m.kv_heads) + " does not divide " + std::to_string(m.heads) + " attention heads");
}

}  // namespace

std::vector<LinearShape> block_linears(const ModelArch& m) {
  const bool b = m.linear_bias;
  std::vector<LinearShape> v = {
      {"q_proj", m.hidden, m.q_dim(), b || m.qkv_bias},
      {"k_proj", m.hidden, m.kv_dim(), b || m.qkv_bias},
      {"v_proj", m.hidden, m.kv_dim(), b || m.qkv_bias},
      {"o_proj", m.q_dim(), m.hidden, b},
  };
  if (m.mlp == MlpKind::gated) {
    v.push_back({"gate_proj", m.hidden, m.intermediate, b});
    v.push_back({"up_proj", m.hidden, m.intermediate, b});
  } else {
    v.push_back({"up_proj", m.hidden, m.intermediate, b});
  }
  v.push_back({"down_proj", m.intermediate, m.hidden, b});
  return v;
}

ParamCount count_params(const ModelArch& m) {
  ParamCount p;
  const std::int64_t norm = m.hidden * ((m.norm == NormKind::layernorm && m.norm_bias) ? 2 : 1);
  for (const auto& l : block_linears(m)) {
    p.per_layer_linear += l.in * l.out;
    p.per_layer += l.in * l.out + (l.bias ? l.out : 0);
  }
  p.per_layer += 2 * norm;  // pre-attention and pre-MLP norms
  p.embedding = m.vocab * m.hidden + m.learned_positions * m.hidden;
  p.lm_head = m.tied_embeddings ? 0 : m.vocab * m.hidden;
  p.final_norm = norm;
  p.layers = m.layers;
  p.total = p.embedding + p.lm_head + p.final_norm + m.layers * p.per_layer;
  return p;
}

const ModelArch* find_preset(std::string_view name) {
  for (const auto& m : presets())
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> v;
  for (const auto& m : presets()) v.push_back(m.name);
  return v;
}

ModelArch model_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "model", "expected an object, got " + j.dump());
  ModelArch m;
  const std::string type = get_string(j, "model_type", where, "");
  if (type == "mpt") {
    m.name = get_string(j, "_name_or_path", where, "mpt");
    m.hidden = get_int(j, "d_model", where, true);
    m.layers = get_int(j, "n_layers", where, true);
    m.heads = get_int(j, "n_heads", where, true);
    m.kv_heads = m.heads;
    const std::int64_t ratio = get_int(j, "expansion_ratio", where, false, 4);
    m.intermediate = ratio * m.hidden;
    m.vocab = get_int(j, "vocab_size", where, true);
    m.tied_embeddings = true;
    m.mlp = MlpKind::plain;
    m.norm = NormKind::layernorm;
    const bool no_bias = get_bool(j, "no_bias", where, true);
    m.norm_bias = !no_bias;
    m.linear_bias = !no_bias;
    bool alibi = false;
    if (j.contains("attn_config") && j["attn_config"].is_object())
      alibi = get_bool(j["attn_config"], "alibi", where, false);
    // MPTConfig turns learned positions off whenever ALiBi is on.
    if (get_bool(j, "learned_pos_emb", where, true) && !alibi)
      m.learned_positions = get_int(j, "max_seq_len", where, false, 2048);
    m.source = where;
    check_shapes(m, where);
    return m;
  }
  if (!type.empty() && type != "llama" && type != "mistral" && type != "qwen2")
    throw InputError(where, "model_type",
                     "'" + type + "' is not supported (llama, mistral, qwen2, mpt or an inline object)");
  m.name =
      get_string(j, "name", where, get_string(j, "_name_or_path", where, type.empty() ? "custom" : type));
  m.hidden = get_int(j, "hidden_size", where, true);
  m.intermediate = get_int(j, "intermediate_size", where, true);
  m.layers = get_int(j, "num_hidden_layers", where, true);
  m.heads = get_int(j, "num_attention_heads", where, true);
  m.kv_heads = get_int(j, "num_key_value_heads", where, false, m.heads);
  m.vocab = get_int(j, "vocab_size", where, true);
  m.head_dim = get_int(j, "head_dim", where, false, 0);
  m.tied_embeddings = get_bool(j, "tie_word_embeddings", where, false);
  m.qkv_bias =
      type == "qwen2" || get_bool(j, "attention_bias", where, false) || get_bool(j, "qkv_bias", where, false);
  m.linear_bias = get_bool(j, "linear_bias", where, false);
  m.learned_positions = get_int(j, "learned_positions", where, false, 0);
  if (j.contains("mlp")) {
    const auto& v = j["mlp"];
    if (v == "gated")
      m.mlp = MlpKind::gated;
    else if (v == "plain")
      m.mlp = MlpKind::plain;
    else
      throw InputError(where, "mlp", "expected \"gated\" or \"plain\", got " + v.dump());
  }
  if (j.contains("norm")) {
    const auto& v = j["norm"];
    if (v == "rmsnorm")
      m.norm = NormKind::rmsnorm;
    else if (v == "layernorm")
      m.norm = NormKind::layernorm;
    else
      throw InputError(where, "norm", "expected \"rmsnorm\" or \"layernorm\", got " + v.dump());
  }
  m.norm_bias = get_bool(j, "norm_bias", where, m.linear_bias && m.norm == NormKind::layernorm);
  m.source = get_string(j, "source", where, where);
  check_shapes(m, where);
  return m;
}

ModelArch resolve_model(const json& spec, const std::string& where) {
  if (spec.is_object()) return model_from_json(spec, where);
  if (!spec.is_string())
    throw InputError(where, "model", "expected a preset name, a config.json path or an object");
  const auto name = spec.get<std::string>();
  if (const auto* p = find_preset(name)) return *p;
  if (std::filesystem::exists(name)) {
    json j;
    try {
      j = read_json_file(name);
    } catch (const std::exception& e) {
      throw InputError(name, "", e.what());
    }
    auto m = model_from_json(j, name);
    m.source = name;
    return m;
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError(where, "model",
                   "unknown model '" + name + "' (not a preset nor a file); presets: " + known);
}

json model_to_json(const ModelArch& m) {
  return {{"name", m.name},
          {"hidden_size", m.hidden},
          {"intermediate_size", m.intermediate},
          {"num_hidden_layers", m.layers},
          {"num_attention_heads", m.heads},
          {"num_key_value_heads", m.kv_heads},
          {"head_dim", m.dim_head()},
          {"vocab_size", m.vocab},
          {"tie_word_embeddings", m.tied_embeddings},
          {"mlp", m.mlp == MlpKind::gated ? "gated" : "plain"},
          {"norm", m.norm == NormKind::rmsnorm ? "rmsnorm" : "layernorm"},
          {"qkv_bias", m.qkv_bias},
          {"linear_bias", m.linear_bias},
          {"learned_positions", m.learned_positions},
          {"parameters", count_params(m).total},
          {"source", m.source}};
}

}  // namespace gpuscale::planner
