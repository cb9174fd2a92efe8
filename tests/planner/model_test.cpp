// Parameter counts against hand-computed values and published totals.
#include "gpuscale/planner/model.hpp"

#include <gtest/gtest.h>

#include "gpuscale/planner/error.hpp"

using namespace gpuscale::planner;

TEST(Model, Llama2_7bParameterCount) {
  // 32 x (4*4096^2 + 3*4096*11008 + 2*4096) + 2*32000*4096 + 4096
  EXPECT_EQ(count_params(*find_preset("llama-2-7b")).total, 6'738'415'616);
}

TEST(Model, PublishedTotals) {
  EXPECT_EQ(count_params(*find_preset("llama-2-13b")).total, 13'015'864'320);
  EXPECT_EQ(count_params(*find_preset("llama-2-70b")).total, 68'976'648'192);
  EXPECT_EQ(count_params(*find_preset("llama-3.1-8b")).total, 8'030'261'248);
  EXPECT_EQ(count_params(*find_preset("llama-3.2-1b")).total, 1'235'814'400);  // tied embeddings
  EXPECT_EQ(count_params(*find_preset("llama-3.2-3b")).total, 3'212'749'824);
  EXPECT_EQ(count_params(*find_preset("mistral-7b")).total, 7'241'732'096);
  EXPECT_EQ(count_params(*find_preset("qwen2.5-7b")).total, 7'615'616'512);  // q, k, v biases
  EXPECT_EQ(count_params(*find_preset("llama-3.1-405b")).total, 405'853'388'800);
}

TEST(Model, GqaShrinksKeyValueProjections) {
  const auto& m = *find_preset("llama-2-70b");  // 64 heads, 8 kv heads of 128
  const auto lin = block_linears(m);
  EXPECT_EQ(lin[1].name, "k_proj");
  EXPECT_EQ(lin[1].out, 1024);
  EXPECT_EQ(lin[0].out, 8192);
}

TEST(Model, PlainMlpHasTwoMatrices) {
  const auto& m = *find_preset("mpt-7b");
  EXPECT_EQ(block_linears(m).size(), 6u);
  // 32 x (12 * 4096^2 + 2*4096) + 50432*4096 + 4096 (tied head, LayerNorm without bias)
  EXPECT_EQ(count_params(m).total, 32LL * (12LL * 4096 * 4096 + 2 * 4096) + 50432LL * 4096 + 4096);
}

TEST(Model, LlmFoundryMptWithBiasesAndLearnedPositions) {
  // llm-foundry's mpt-70b benchmark model: 64,862,437,376 parameters at max_seq_len 2048.
  nlohmann::json j = {{"hidden_size", 8192},         {"intermediate_size", 32768},
                      {"num_hidden_layers", 80},     {"num_attention_heads", 64},
                      {"num_key_value_heads", 64},   {"vocab_size", 50368},
                      {"tie_word_embeddings", true}, {"mlp", "plain"},
                      {"norm", "layernorm"},         {"linear_bias", true},
                      {"learned_positions", 2048}};
  EXPECT_EQ(count_params(model_from_json(j, "test")).total, 64'862'437'376);
}

TEST(Model, HuggingFaceConfigs) {
  nlohmann::json llama = {{"model_type", "llama"},      {"hidden_size", 4096},
                          {"intermediate_size", 11008}, {"num_hidden_layers", 32},
                          {"num_attention_heads", 32},  {"vocab_size", 32000}};
  EXPECT_EQ(count_params(model_from_json(llama, "config.json")).total, 6'738'415'616);
  nlohmann::json mpt = {
      {"model_type", "mpt"},    {"d_model", 4096},     {"n_layers", 32},  {"n_heads", 32},
      {"expansion_ratio", 4},   {"vocab_size", 50432}, {"no_bias", true}, {"attn_config", {{"alibi", true}}},
      {"learned_pos_emb", true}};
  EXPECT_EQ(count_params(model_from_json(mpt, "config.json")).total,
            count_params(*find_preset("mpt-7b")).total);
}

TEST(Model, BadConfigsNameTheField) {
  nlohmann::json j = {{"hidden_size", 4096},
                      {"intermediate_size", 0},
                      {"num_hidden_layers", 32},
                      {"num_attention_heads", 32},
                      {"vocab_size", 32000}};
  try {
    model_from_json(j, "cfg.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "cfg.json");
    EXPECT_EQ(e.field(), "intermediate_size");
  }
  j["intermediate_size"] = 11008;
  j["num_key_value_heads"] = 5;
  EXPECT_THROW(model_from_json(j, "cfg.json"), InputError);
  nlohmann::json gpt2 = {{"model_type", "gpt2"}};
  EXPECT_THROW(model_from_json(gpt2, "cfg.json"), InputError);
  EXPECT_THROW(resolve_model("llama-9b", "scenario.json"), InputError);
}
