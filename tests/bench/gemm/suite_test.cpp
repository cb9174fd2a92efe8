// The quick and full suites: which GEMMs, their ids and parameters.
#include "gemm/suite.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace gpuscale::bench::gemm {
namespace {

std::vector<std::string> ids(const Suite& s) {
  std::vector<std::string> out;
  for (const auto& c : s.gemms) out.push_back(c.id().str());
  for (const auto& c : s.mamf) out.push_back(c.id().str());
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

TEST(GemmSuite, QuickHoldsTheHeadlineBenchmarks) {
  const Suite s = gemm_suite("quick");
  const auto v = ids(s);
  EXPECT_EQ(s.gemms.size(), 27u);
  EXPECT_EQ(s.mamf.size(), 2u);
  for (const char* id : {
           "gemm/bf16/m:1024/n:1024/k:1024",
           "gemm/bf16/m:8192/n:8192/k:8192",
           "gemm/fp16/m:4096/n:4096/k:4096",
           "gemm/tf32/m:8192/n:8192/k:8192",
           "gemm/fp8_e4m3/m:8192/n:8192/k:8192/fast_accum:on",
           "gemm/fp8_e4m3/m:8192/n:8192/k:8192/fast_accum:off",
           "gemm/bf16/m:8192/n:8192/k:8192/algo:autotune",
           "gemm/fp8_e4m3/m:8192/n:8192/k:8192/fast_accum:on/algo:autotune",
           "gemm/bf16/model:llama-3-8b/op:qkv/pass:fwd/tokens:4096/m:4096/n:6144/k:4096",
           "gemm/bf16/model:llama-3-8b/op:down/pass:dw/tokens:4096/m:4096/n:14336/k:4096",
           "gemm/mamf/precision:bf16",
           "gemm/mamf/precision:fp8_e4m3/fast_accum:on",
       })
    EXPECT_TRUE(has(v, id)) << id;
  EXPECT_FALSE(has(v, "gemm/fp32/m:8192/n:8192/k:8192"));
}

TEST(GemmSuite, FullSweepsEverything) {
  const Suite s = gemm_suite("full");
  // 13 square sizes x 6 (fp32, tf32, fp16, bf16, fp8 on, fp8 off) + 8 autotuned
  // + 5 models x 4 token counts x 12 GEMMs x 2 precisions.
  EXPECT_EQ(s.gemms.size(), 13u * 6 + 8 + 5 * 4 * 12 * 2);
  EXPECT_EQ(s.mamf.size(), 4u);
  const auto v = ids(s);
  EXPECT_TRUE(has(v, "gemm/fp32/m:256/n:256/k:256"));
  EXPECT_TRUE(has(v, "gemm/fp8_e4m3/m:16384/n:16384/k:16384/fast_accum:off"));
  EXPECT_TRUE(has(v, "gemm/bf16/model:llama-2-7b/op:qkv/pass:fwd/tokens:2048/m:2048/n:12288/k:4096"));
  EXPECT_TRUE(has(v,
                  "gemm/fp8_e4m3/model:llama-3-70b/op:gate_up/pass:dw/tokens:16384/m:57344/n:8192/k:16384/"
                  "fast_accum:off"));
  EXPECT_TRUE(has(v, "gemm/mamf/precision:fp8_e4m3/fast_accum:off"));
}

TEST(GemmSuite, IdsAreUniqueAndParse) {
  for (const char* suite : {"quick", "full"}) {
    const auto v = ids(gemm_suite(suite));
    EXPECT_EQ(std::set<std::string>(v.begin(), v.end()).size(), v.size()) << suite;
    for (const auto& id : v) {
      const BenchmarkId parsed = BenchmarkId::parse(id);
      EXPECT_EQ(parsed.family, "gemm");
      EXPECT_FALSE(parsed.host);
      EXPECT_EQ(parsed.str(), id);
    }
  }
}

// Transformer Engine's default FP8 recipe: fast accumulation in the forward GEMM only.
TEST(GemmSuite, Fp8LayerCasesUseFastAccumulationForwardOnly) {
  for (const GemmCase& c : layer_cases(*find_model("llama-3-8b"), 2048, Precision::fp8_e4m3))
    EXPECT_EQ(c.fast_accum, c.pass == Pass::fwd) << c.id().str();
  for (const GemmCase& c : layer_cases(*find_model("llama-3-8b"), 2048, Precision::bf16)) {
    EXPECT_FALSE(c.fast_accum);
    EXPECT_EQ(c.id().str().find("fast_accum"), std::string::npos);
  }
}

TEST(GemmSuite, ParametersRecordWhatWasMeasured) {
  const Suite s = gemm_suite("quick");
  const GemmCase* fp8 = nullptr;
  const GemmCase* layer = nullptr;
  for (const auto& c : s.gemms) {
    if (c.precision == Precision::fp8_e4m3 && !fp8) fp8 = &c;
    if (!c.model.empty() && c.op == "gate_up" && c.pass == Pass::dx) layer = &c;
  }
  ASSERT_TRUE(fp8 && layer);
  const auto p = fp8->parameters();
  EXPECT_EQ(p["precision"], "fp8_e4m3");
  EXPECT_EQ(p["layout"], "TN");
  EXPECT_EQ(p["input_type"], "e4m3");
  EXPECT_EQ(p["output_type"], "bf16");
  EXPECT_EQ(p["fast_accum"], true);
  EXPECT_DOUBLE_EQ(p["input_scale"].get<double>(), 1.0 / 32);
  EXPECT_EQ(p["data"], "normal(0,1) x 32, per-tensor scale 1/32");
  EXPECT_EQ(p["algo_selection"], "heuristic");
  const auto l = layer->parameters();
  EXPECT_EQ(l["model"], "llama-3-8b");
  EXPECT_EQ(l["pass"], "dx");
  EXPECT_EQ(l["tokens"], 4096);
  EXPECT_EQ(l["m"], 4096);
  EXPECT_EQ(l["n"], 4096);
  EXPECT_EQ(l["k"], 28672);
  EXPECT_EQ(l["in_features"], 4096);
  EXPECT_EQ(l["out_features"], 28672);
  EXPECT_FALSE(l.contains("fast_accum"));
  const auto m = s.mamf[0].parameters();
  EXPECT_EQ(m["precision"], "bf16");
  EXPECT_EQ(m["search_space"]["budget_s"], 5.0);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
