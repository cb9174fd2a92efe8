#include "gemm/shapes.hpp"

#include <stdexcept>

namespace gpuscale::bench::gemm {
namespace {

// From each model's config.json on the Hugging Face hub (hidden_size, num_attention_heads,
// num_key_value_heads, intermediate_size; head_dim = hidden_size / num_attention_heads).
constexpr ModelConfig kModels[] = {
    {"llama-2-7b", 4096, 32, 32, 128, 11008, "meta-llama/Llama-2-7b-hf config.json"},
    {"llama-2-13b", 5120, 40, 40, 128, 13824, "meta-llama/Llama-2-13b-hf config.json"},
    {"llama-2-70b", 8192, 64, 8, 128, 28672, "meta-llama/Llama-2-70b-hf config.json"},
    {"llama-3-8b", 4096, 32, 8, 128, 14336, "meta-llama/Meta-Llama-3-8B config.json"},
    {"llama-3-70b", 8192, 64, 8, 128, 28672, "meta-llama/Meta-Llama-3-70B config.json"},
};

}  // namespace

double gemm_flops(const GemmShape& s) {
  return 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
}

std::span<const ModelConfig> models() {
  return kModels;
}

const ModelConfig* find_model(std::string_view name) {
  for (const auto& m : kModels)
    if (m.name == name) return &m;
  return nullptr;
}

std::string_view to_string(Pass p) {
  switch (p) {
    case Pass::fwd:
      return "fwd";
    case Pass::dx:
      return "dx";
    case Pass::dw:
      return "dw";
  }
  return "?";
}

std::vector<LayerGemm> layer_gemms(const ModelConfig& model, int64_t tokens) {
  if (tokens < 1) throw std::invalid_argument("layer_gemms: tokens must be >= 1");
  struct Linear {
    std::string_view op;
    int64_t in, out;
  };
  const int64_t q = model.heads * model.head_dim;
  const int64_t kv = model.kv_heads * model.head_dim;
  const Linear linears[] = {
      {"qkv", model.hidden, q + 2 * kv},
      {"out", q, model.hidden},
      {"gate_up", model.hidden, 2 * model.intermediate},
      {"down", model.intermediate, model.hidden},
  };
  std::vector<LayerGemm> g;
  for (const auto& l : linears) {
    g.push_back({l.op, Pass::fwd, l.in, l.out, {tokens, l.out, l.in}});
    g.push_back({l.op, Pass::dx, l.in, l.out, {tokens, l.in, l.out}});
    g.push_back({l.op, Pass::dw, l.in, l.out, {l.out, l.in, tokens}});
  }
  return g;
}

std::vector<int64_t> token_counts(std::string_view suite) {
  if (suite == "full") return {2048, 4096, 8192, 16384};
  return {4096};
}

std::vector<int64_t> square_sizes(std::string_view suite) {
  if (suite != "full") return {1024, 4096, 8192};
  std::vector<int64_t> s;
  for (int64_t p = 256; p <= 16384; p *= 2) {
    s.push_back(p);
    if (p * 3 / 2 < 16384) s.push_back(p * 3 / 2);
  }
  return s;
}

}  // namespace gpuscale::bench::gemm
