// Values that pass the schemas but are absurd (0, 1e30, a 2^40 hidden size, a number where a name
// goes) are refused at the boundary, naming the file and the field; nothing overflows into
// negative sizes or prints inf/NaN.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/model.hpp"
#include "gpuscale/planner/profile.hpp"
#include "gpuscale/planner/scenario.hpp"

namespace gpuscale::planner {
namespace {

using nlohmann::json;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

json llama_config() {
  return {{"model_type", "llama"},   {"hidden_size", 4096},         {"intermediate_size", 14336},
          {"num_hidden_layers", 32}, {"num_attention_heads", 32},   {"num_key_value_heads", 8},
          {"vocab_size", 128256},    {"tie_word_embeddings", false}};
}

TEST(HostilePlannerInput, AHugeArchitectureIsRefusedInsteadOfOverflowing) {
  for (const char* key : {"hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size"}) {
    json c = llama_config();
    c[key] = std::int64_t{1} << 40;
    const std::string e = error_of([&] { model_from_json(c, "config.json"); });
    EXPECT_NE(e.find("config.json"), std::string::npos) << e;
    EXPECT_NE(e.find(key), std::string::npos) << e;
    EXPECT_NE(e.find("must be at most"), std::string::npos) << e;
  }
  json c = llama_config();
  c["vocab_size"] = std::numeric_limits<std::uint64_t>::max();
  EXPECT_NE(error_of([&] { model_from_json(c, "config.json"); }).find("must be at most"), std::string::npos);
  // At the limits every count stays positive.
  c = llama_config();
  c["hidden_size"] = 1 << 20;
  c["intermediate_size"] = 1 << 22;
  c["num_hidden_layers"] = 1 << 14;
  c["vocab_size"] = 1 << 24;
  c["num_attention_heads"] = 1 << 14;
  c["num_key_value_heads"] = 1 << 14;
  const auto p = count_params(model_from_json(c, "config.json"));
  EXPECT_GT(p.total, 0);
  EXPECT_GT(p.per_layer, 0);
}

TEST(HostilePlannerInput, ANumberWhereANameGoesNamesTheField) {
  json c = llama_config();
  c["model_type"] = 50432;  // the fuzzer's first finding: a raw "type must be string" before
  const std::string e = error_of([&] { model_from_json(c, "config.json"); });
  EXPECT_NE(e.find("config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("model_type"), std::string::npos) << e;
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
}

TEST(HostilePlannerInput, ScenarioSizesBeyondAnyJobAreRefusedNotWrapped) {
  const json base = {{"model", "llama-3.1-8b"}, {"gpu", "h100-sxm-80gb"}};
  const std::pair<const char*, json> cases[] = {{"seq_len", 1e30},
                                                {"seq_len", std::int64_t{1} << 40},
                                                {"gpus_per_node", std::numeric_limits<std::int64_t>::max()},
                                                {"micro_batch", std::numeric_limits<std::uint64_t>::max()},
                                                {"tokens", 1e300},
                                                {"price_per_gpu_hour", 1e300}};
  for (const auto& [key, value] : cases) {
    json s = base;
    s[key] = value;
    const std::string e = error_of([&] { parse_scenario(s, "job.json"); });
    EXPECT_NE(e.find("job.json"), std::string::npos) << key << ": " << e;
    EXPECT_NE(e.find(key), std::string::npos) << e;
    EXPECT_NE(e.find("must be at most"), std::string::npos) << e;
    EXPECT_EQ(e.find("-9223372036854775808"), std::string::npos) << e;
  }
}

TEST(HostilePlannerInput, AProfileWithAZeroOrAbsurdCoefficientIsRefusedNamingIt) {
  const json good = profile_to_json(resolve_gpu("h100-sxm-80gb", "test", "gpu"));
  const std::pair<std::string, double> cases[] = {{"/gemm/bf16/efficiency", 0},
                                                  {"/gemm/bf16/peak_tflops", 0},
                                                  {"/gemm/bf16/peak_tflops", 1e308},
                                                  {"/memory_bandwidth/copy/bandwidth_gbps", 0},
                                                  {"/attention/efficiency", 0}};
  for (const auto& [pointer, value] : cases) {
    json p = good;
    ASSERT_TRUE(p.contains(json::json_pointer(pointer))) << pointer;
    p[json::json_pointer(pointer)] = value;
    const std::string e = error_of([&] { profile_from_json(p, "h100.profile.json"); });
    EXPECT_NE(e.find("h100.profile.json"), std::string::npos) << pointer << ": " << e;
    EXPECT_NE(e.find(pointer), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace gpuscale::planner
