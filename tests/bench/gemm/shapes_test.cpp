// Layer GEMM shapes and FLOP counts against hand-written values.
#include "gemm/shapes.hpp"

#include <gtest/gtest.h>

namespace gpuscale::bench::gemm {
namespace {

struct Expected {
  const char* op;
  Pass pass;
  GemmShape shape;
};

void expect_layer(const char* model_name, int64_t tokens, const std::vector<Expected>& want) {
  const ModelConfig* model = find_model(model_name);
  ASSERT_NE(model, nullptr) << model_name;
  const auto got = layer_gemms(*model, tokens);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(std::string(want[i].op) + "/" + std::string(to_string(want[i].pass)));
    EXPECT_EQ(got[i].op, want[i].op);
    EXPECT_EQ(got[i].pass, want[i].pass);
    EXPECT_EQ(got[i].shape.m, want[i].shape.m);
    EXPECT_EQ(got[i].shape.n, want[i].shape.n);
    EXPECT_EQ(got[i].shape.k, want[i].shape.k);
  }
}

TEST(GemmShapes, FlopsAreTwoMnk) {
  EXPECT_DOUBLE_EQ(gemm_flops({1, 1, 1}), 2);
  EXPECT_DOUBLE_EQ(gemm_flops({8192, 8192, 8192}), 1099511627776.0);
  EXPECT_DOUBLE_EQ(gemm_flops({4096, 12288, 4096}), 412316860416.0);
  // No 32-bit overflow on the largest layer shapes.
  EXPECT_DOUBLE_EQ(gemm_flops({16384, 57344, 8192}), 2.0 * 16384 * 57344 * 8192);
}

// Llama-2 7B: hidden 4096, 32 heads, MHA (32 KV heads), head_dim 128, intermediate 11008.
TEST(GemmShapes, Llama2_7bLayerAt4096Tokens) {
  expect_layer("llama-2-7b", 4096,
               {{"qkv", Pass::fwd, {4096, 12288, 4096}},
                {"qkv", Pass::dx, {4096, 4096, 12288}},
                {"qkv", Pass::dw, {12288, 4096, 4096}},
                {"out", Pass::fwd, {4096, 4096, 4096}},
                {"out", Pass::dx, {4096, 4096, 4096}},
                {"out", Pass::dw, {4096, 4096, 4096}},
                {"gate_up", Pass::fwd, {4096, 22016, 4096}},
                {"gate_up", Pass::dx, {4096, 4096, 22016}},
                {"gate_up", Pass::dw, {22016, 4096, 4096}},
                {"down", Pass::fwd, {4096, 4096, 11008}},
                {"down", Pass::dx, {4096, 11008, 4096}},
                {"down", Pass::dw, {4096, 11008, 4096}}});
}

// Llama-3 70B: hidden 8192, 64 heads, 8 KV heads (GQA), head_dim 128, intermediate 28672:
// qkv out = 8192 + 2 * 1024 = 10240.
TEST(GemmShapes, Llama3_70bLayerAt2048TokensWithGqa) {
  expect_layer("llama-3-70b", 2048,
               {{"qkv", Pass::fwd, {2048, 10240, 8192}},
                {"qkv", Pass::dx, {2048, 8192, 10240}},
                {"qkv", Pass::dw, {10240, 8192, 2048}},
                {"out", Pass::fwd, {2048, 8192, 8192}},
                {"out", Pass::dx, {2048, 8192, 8192}},
                {"out", Pass::dw, {8192, 8192, 2048}},
                {"gate_up", Pass::fwd, {2048, 57344, 8192}},
                {"gate_up", Pass::dx, {2048, 8192, 57344}},
                {"gate_up", Pass::dw, {57344, 8192, 2048}},
                {"down", Pass::fwd, {2048, 8192, 28672}},
                {"down", Pass::dx, {2048, 28672, 8192}},
                {"down", Pass::dw, {8192, 28672, 2048}}});
}

TEST(GemmShapes, Llama3_8bQkvUsesEightKvHeads) {
  const auto g = layer_gemms(*find_model("llama-3-8b"), 4096);
  EXPECT_EQ(g[0].shape.n, 4096 + 2 * 8 * 128);  // 6144
  EXPECT_EQ(g[6].shape.n, 2 * 14336);
}

// A layer's 12 GEMMs are 6 FLOP per linear-layer parameter per token (2 forward, 4 backward).
TEST(GemmShapes, LayerFlopsAreSixPerParameterPerToken) {
  for (const ModelConfig& m : models()) {
    SCOPED_TRACE(std::string(m.name));
    const int64_t tokens = 2048;
    double flops = 0, fwd = 0;
    double params = 0;
    for (const LayerGemm& g : layer_gemms(m, tokens)) {
      flops += gemm_flops(g.shape);
      if (g.pass == Pass::fwd) {
        fwd += gemm_flops(g.shape);
        params += static_cast<double>(g.in) * static_cast<double>(g.out);
      }
      EXPECT_DOUBLE_EQ(gemm_flops(g.shape), 2.0 * tokens * g.in * g.out);
    }
    EXPECT_DOUBLE_EQ(flops, 6 * params * tokens);
    EXPECT_DOUBLE_EQ(flops, 3 * fwd);
  }
  // Llama-2 7B by hand: 4096 x (12288 + 4096 + 22016 + 11008) = 202375168 parameters per layer.
  double fwd = 0;
  for (const LayerGemm& g : layer_gemms(*find_model("llama-2-7b"), 4096))
    if (g.pass == Pass::fwd) fwd += gemm_flops(g.shape);
  EXPECT_DOUBLE_EQ(fwd, 1657857376256.0);  // 2 x 4096 x 202375168
}

TEST(GemmShapes, ModelTableHoldsTheFiveArchitectures) {
  EXPECT_EQ(models().size(), 5u);
  const ModelConfig* l2_13 = find_model("llama-2-13b");
  ASSERT_NE(l2_13, nullptr);
  EXPECT_EQ(l2_13->hidden, 5120);
  EXPECT_EQ(l2_13->heads * l2_13->head_dim, l2_13->hidden);
  EXPECT_EQ(l2_13->intermediate, 13824);
  const ModelConfig* l2_70 = find_model("llama-2-70b");
  ASSERT_NE(l2_70, nullptr);
  EXPECT_EQ(l2_70->kv_heads, 8);
  EXPECT_EQ(find_model("llama-4"), nullptr);
}

TEST(GemmShapes, Sweeps) {
  EXPECT_EQ(square_sizes("quick"), (std::vector<int64_t>{1024, 4096, 8192}));
  EXPECT_EQ(square_sizes("full"), (std::vector<int64_t>{256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
                                                        6144, 8192, 12288, 16384}));
  EXPECT_EQ(token_counts("quick"), (std::vector<int64_t>{4096}));
  EXPECT_EQ(token_counts("full"), (std::vector<int64_t>{2048, 4096, 8192, 16384}));
  EXPECT_THROW(layer_gemms(models()[0], 0), std::invalid_argument);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
