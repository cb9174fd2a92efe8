// Decoder-only transformer architectures: the exact shapes the planner counts parameters, FLOPs and
// activations from (never a bytes-per-parameter rule).
//
//   Llama / Mistral / Qwen2: RMSNorm, rotary positions, GQA (num_key_value_heads), SwiGLU MLP
//                            (gate, up, down); Qwen2 adds biases to q, k and v.
//   MPT / GPT:               LayerNorm, ALiBi or learned positions, multi-head attention, plain
//                            GELU MLP (up, down), optional biases everywhere.
//
// Example: gpuscale plan --model llama-2-7b --method full ...
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuscale::planner {

enum class MlpKind { gated, plain };  // gated: SwiGLU (3 matrices); plain: GELU (2 matrices)
enum class NormKind { rmsnorm, layernorm };

struct ModelArch {
  std::string name;
  std::int64_t hidden = 0;        // hidden_size (d_model)
  std::int64_t intermediate = 0;  // intermediate_size (MLP inner width)
  std::int64_t layers = 0;        // num_hidden_layers
  std::int64_t heads = 0;         // num_attention_heads
  std::int64_t kv_heads = 0;      // num_key_value_heads (== heads for MHA)
  std::int64_t vocab = 0;         // vocab_size
  std::int64_t head_dim = 0;      // 0: hidden / heads
  bool tied_embeddings = false;   // tie_word_embeddings
  MlpKind mlp = MlpKind::gated;
  NormKind norm = NormKind::rmsnorm;
  bool norm_bias = false;              // LayerNorm with a bias vector
  bool qkv_bias = false;               // bias on q, k, v only (Qwen2)
  bool linear_bias = false;            // bias on every linear layer (GPT-2, llm-foundry MPT benchmarks)
  std::int64_t learned_positions = 0;  // rows of a learned position embedding (0: rotary / ALiBi)
  std::string source;                  // where the configuration comes from

  std::int64_t dim_head() const { return head_dim > 0 ? head_dim : hidden / heads; }
  std::int64_t q_dim() const { return heads * dim_head(); }
  std::int64_t kv_dim() const { return kv_heads * dim_head(); }
};

// One linear layer of a transformer block, in Hugging Face naming.
struct LinearShape {
  std::string name;  // q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj
  std::int64_t in = 0;
  std::int64_t out = 0;
  bool bias = false;
};

// The linear layers of one block, in execution order.
std::vector<LinearShape> block_linears(const ModelArch& m);

struct ParamCount {
  std::int64_t embedding = 0;         // token embedding (+ learned positions)
  std::int64_t lm_head = 0;           // 0 when tied to the embedding
  std::int64_t per_layer = 0;         // one block: linears, their biases and norms
  std::int64_t per_layer_linear = 0;  // one block's linear weight matrices (quantisable by NF4)
  std::int64_t final_norm = 0;
  std::int64_t total = 0;
  std::int64_t layers = 0;
  std::int64_t linear_total() const { return layers * per_layer_linear; }  // block linears only
};

ParamCount count_params(const ModelArch& m);

// Presets from the models' published configs ("llama-2-7b", "llama-3.1-8b", "mistral-7b", ...).
const ModelArch* find_preset(std::string_view name);
std::vector<std::string> preset_names();

// From a Hugging Face config.json (model_type llama, mistral, qwen2 or mpt) or an inline object
// with hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
// vocab_size, tie_word_embeddings and mlp ("gated" | "plain"). `where` names the file for errors;
// throws InputError naming the field.
ModelArch model_from_json(const nlohmann::json& j, const std::string& where);

// A preset name, a path to a config.json, or an inline object.
ModelArch resolve_model(const nlohmann::json& spec, const std::string& where);

nlohmann::json model_to_json(const ModelArch& m);

}  // namespace gpuscale::planner
