// gpuscale plan --search: what is varied, what fits, the ranking, the global batch, bad input.
#include "gpuscale/planner/search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "gpuscale/planner/error.hpp"
#include "planner_commands.hpp"

using namespace gpuscale::planner;
using json = nlohmann::json;

namespace {
json base() {
  return {{"model", "llama-3.1-8b"}, {"gpu", "h100-sxm-80gb"}, {"seq_len", 4096}, {"tokens", 1e9}};
}
std::vector<std::string> keys(const json& j) {
  std::vector<std::string> k;
  for (const auto& [key, v] : j.items()) k.push_back(key);
  return k;
}
}  // namespace

TEST(Search, VariesOnlyWhatTheUserLeftOpenAndKeepsWhatFits) {
  SearchSpace sp;
  sp.gpu_counts = {1, 8};
  const auto r = search_plans(base(), keys(base()), sp, "test");
  EXPECT_EQ(r.varied, (std::vector<std::string>{"micro_batch", "activation_checkpointing", "sharding",
                                                "tensor_parallel", "pipeline_parallel", "gpus"}));
  // 7 micro-batches x 3 checkpointing levels (none, selective-op, full; selective = none with
  // FlashAttention) x, on one GPU, 1 layout and 1 sharding; on eight, the 10 TP x PP layouts dividing 8
  // (TP within the node): the 4 with TP x PP = 8 have no data-parallel ranks (1 sharding), 6 have 4.
  EXPECT_EQ(r.planned, 7 * 3 * 1 + 7 * 3 * (4 * 1 + 6 * 4));
  ASSERT_FALSE(r.fitting.empty());
  std::int64_t last_gpus = 0;
  double last_tps = 1e300;
  for (const auto& c : r.fitting) {
    EXPECT_TRUE(c.result.fits);
    EXPECT_LE(c.result.memory.peak.total(), c.result.memory.capacity);
    EXPECT_EQ(c.result.scenario.gpus(), c.gpus);
    if (c.gpus != last_gpus) last_gpus = c.gpus, last_tps = 1e300;
    EXPECT_LE(c.result.time.tokens_per_s_per_gpu, last_tps);  // fastest first within a GPU count
    last_tps = c.result.time.tokens_per_s_per_gpu;
    if (c.gpus == 1) EXPECT_EQ(c.result.scenario.sharding, Sharding::none);
  }
  // Full fine-tuning of 8B on one 80 GB GPU does not fit (16 B/param of states alone is 128 GB).
  EXPECT_EQ(r.fitting.front().gpus, 8);

  // A key the user gave stays as given.
  json b = base();
  b["activation_checkpointing"] = "full";
  b["gpus_per_node"] = 8;
  const auto f = search_plans(b, keys(b), SearchSpace{}, "test");
  EXPECT_EQ(f.planned, 7 * 1 * (4 * 1 + 6 * 4));
  for (const auto& c : f.fitting) EXPECT_EQ(c.result.scenario.checkpointing, Checkpointing::full);
}

TEST(Search, TheBestIsTheFastestOfEverySettingThatFits) {
  json b = base();
  b["gpus_per_node"] = 8;
  const auto r = search_plans(b, keys(b), SearchSpace{}, "test");
  ASSERT_FALSE(r.fitting.empty());
  double best = 0;
  for (std::int64_t tp : {1, 2, 4, 8})
    for (std::int64_t pp : {1, 2, 4, 8}) {
      if (8 % (tp * pp) != 0) continue;
      for (std::int64_t mb : {1, 2, 4, 8, 16, 32, 64})
        for (const char* ck : {"none", "selective", "selective-op", "full"})
          for (const char* sh : {"none", "zero1", "zero2", "zero3"}) {
            json j = b;
            j["micro_batch"] = mb;
            j["activation_checkpointing"] = ck;
            j["sharding"] = sh;
            j["tensor_parallel"] = tp;
            j["sequence_parallel"] = tp > 1;
            j["pipeline_parallel"] = pp;
            const auto p = plan(parse_scenario(j, "test"));
            if (p.fits) best = std::max(best, p.time.tokens_per_s_per_gpu);
          }
    }
  EXPECT_DOUBLE_EQ(r.fitting.front().result.time.tokens_per_s_per_gpu, best);
}

TEST(Search, SelectiveCheckpointingIsACandidateOnlyWithoutFlashAttention) {
  json b = base();
  b["flash_attention"] = false;
  b["gpus_per_node"] = 8;
  const auto r = search_plans(b, keys(b), SearchSpace{}, "test");
  EXPECT_EQ(r.planned, 7 * 4 * (4 * 1 + 6 * 4));
}

TEST(Search, ComparesGpuModelsWithTheirOwnPrices) {
  SearchSpace sp;
  sp.gpu_counts = {8};
  sp.gpus = {{"a100-sxm-80gb", 1.5}, {"h200-sxm-141gb", 3.5}};
  const auto r = search_plans(base(), keys(base()), sp, "test");
  EXPECT_EQ(r.planned, 2 * 7 * 3 * (4 * 1 + 6 * 4));
  std::set<std::string> skus;
  for (const auto& c : r.fitting) {
    skus.insert(c.result.scenario.gpu.sku);
    const double price = c.result.scenario.gpu.sku == "a100-sxm-80gb" ? 1.5 : 3.5;
    EXPECT_DOUBLE_EQ(c.result.scenario.price_per_gpu_hour, price);
    EXPECT_NEAR(c.result.cost, c.result.gpu_hours * price, 1e-9 * c.result.cost);
  }
  EXPECT_EQ(skus, (std::set<std::string>{"a100-sxm-80gb", "h200-sxm-141gb"}));
  const auto j = search_to_json(r, sp);
  ASSERT_EQ(j["best_per_gpu_count"].size(), 2u);  // one per model at 8 GPUs
  EXPECT_NE(j["best_per_gpu_count"][0]["gpu"], j["best_per_gpu_count"][1]["gpu"]);
  // The newer GPU is the faster one here.
  EXPECT_GT(j["best_per_gpu_count"][1]["tokens_per_s_per_gpu"].get<double>(),
            j["best_per_gpu_count"][0]["tokens_per_s_per_gpu"].get<double>());
  const auto t = search_to_table(r, sp);
  EXPECT_NE(t.find("a100-sxm-80gb (datasheet profile, 1.50 per GPU-hour)"), std::string::npos) << t;
  // An unknown model is named.
  sp.gpus.push_back({"gtx-480", -1});
  try {
    search_plans(base(), keys(base()), sp, "test");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("gtx-480"), std::string::npos) << e.what();
  }
}

TEST(Search, GlobalBatchSetsGradAccumForEveryCandidate) {
  SearchSpace sp;
  sp.gpu_counts = {8, 16};
  sp.global_batch_tokens = 1 << 20;
  const auto r = search_plans(base(), keys(base()), sp, "test");
  ASSERT_FALSE(r.fitting.empty());
  for (const auto& c : r.fitting) {
    const auto& s = c.result.scenario;
    const std::int64_t per_pass = s.micro_batch * s.seq_len * c.gpus / s.model_parallel();
    EXPECT_GE(s.grad_accum * per_pass, sp.global_batch_tokens);
    if (s.grad_accum > 1) EXPECT_LT((s.grad_accum - 1) * per_pass, sp.global_batch_tokens);
  }
  const auto j = search_to_json(r, sp);
  EXPECT_EQ(j["best_per_gpu_count"].size(), 2u);
  EXPECT_EQ(j["candidates"].size(), r.fitting.size());
  EXPECT_TRUE(j["candidates"][0].contains("total_s"));
  const auto t = search_to_table(r, sp);
  EXPECT_NE(t.find("<- best"), std::string::npos);
}

// TP, PP and CP are searched where the user left them open: TP never beyond a node, CP only for long
// sequences; a 70B full fine-tune on 8 GPUs of 80 GB needs them (FSDP alone holds 16 B/param / 8).
TEST(Search, ExploresTensorPipelineAndContextParallelism) {
  json b = {{"model", "llama-3.1-70b"},
            {"gpu", "h100-sxm-80gb"},
            {"seq_len", 4096},
            {"gpus_per_node", 4},
            {"nodes", 4}};
  SearchSpace sp;
  sp.global_batch_tokens = 1 << 21;
  const auto r = search_plans(b, keys(b), sp, "test");
  ASSERT_FALSE(r.fitting.empty());
  bool model_parallel = false;
  for (const auto& c : r.fitting) {
    EXPECT_LE(c.result.scenario.tensor_parallel, 4);   // within a 4-GPU node
    EXPECT_EQ(c.result.scenario.context_parallel, 1);  // 4k tokens: no CP
    if (c.result.scenario.tensor_parallel > 1) EXPECT_TRUE(c.result.scenario.sequence_parallel);
    model_parallel = model_parallel || c.result.scenario.model_parallel() > 1;
  }
  EXPECT_TRUE(model_parallel);
  const auto t = search_to_table(r, sp);
  EXPECT_NE(t.find("TP  PP  CP"), std::string::npos) << t;
  // From 32k tokens CP is a candidate; a fixed TP stays fixed.
  json l = {{"model", "llama-3.1-8b"},
            {"gpu", "h100-sxm-80gb"},
            {"seq_len", 65536},
            {"gpus_per_node", 8},
            {"tensor_parallel", 2}};
  const auto rl = search_plans(l, keys(l), SearchSpace{}, "test");
  EXPECT_NE(std::find(rl.varied.begin(), rl.varied.end(), "context_parallel"), rl.varied.end());
  EXPECT_EQ(std::find(rl.varied.begin(), rl.varied.end(), "tensor_parallel"), rl.varied.end());
  bool cp = false;
  for (const auto& c : rl.fitting) {
    EXPECT_EQ(c.result.scenario.tensor_parallel, 2);
    cp = cp || c.result.scenario.context_parallel > 1;
  }
  EXPECT_TRUE(cp);
}

TEST(Search, BadInputNamesTheProblem) {
  json inf = base();
  inf["method"] = "inference";
  EXPECT_THROW(search_plans(inf, keys(inf), SearchSpace{}, "test"), InputError);
  SearchSpace odd;
  odd.gpu_counts = {12};
  EXPECT_THROW(search_plans(base(), keys(base()), odd, "test"), InputError);
  // Nothing fits: a table that says so and what to try.
  json big = {{"model", "llama-3.1-405b"}, {"gpu", "a100-sxm-40gb"}, {"seq_len", 8192}};
  const auto r = search_plans(big, keys(big), SearchSpace{}, "test");
  EXPECT_TRUE(r.fitting.empty());
  EXPECT_NE(search_to_table(r, SearchSpace{}).find("nothing fits"), std::string::npos);
}

TEST(Search, CommandLine) {
  auto run = [](std::vector<std::string> a) {
    std::ostringstream o, e;
    const int c = gpuscale::plan_command(a, o, e);
    return std::make_tuple(c, o.str(), e.str());
  };
  auto [code, out, err] = run({"--model", "llama-3.1-8b", "--method", "lora", "--gpu", "h100-sxm-80gb",
                               "--search", "--gpu-counts", "1,2", "--format", "json"});
  ASSERT_EQ(code, 0) << err;
  const auto j = json::parse(out);
  EXPECT_EQ(j["best_per_gpu_count"].size(), 2u);
  std::tie(code, out, err) = run({"--model", "llama-3.1-8b", "--gpu", "h100-sxm-80gb", "--gpu-counts", "8"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("only with --search"), std::string::npos) << err;
  std::tie(code, out, err) =
      run({"--model", "llama-3.1-8b", "--gpu", "h100-sxm-80gb", "--search", "--gpu-counts", "8,x"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--gpu-counts"), std::string::npos) << err;
  // --gpu-models stands in for --gpu; a bad price is named.
  std::tie(code, out, err) = run({"--model", "llama-3.1-8b", "--method", "qlora", "--search", "--gpu-models",
                                  "h100-sxm-80gb=2.5,h200-sxm-141gb", "--format", "json"});
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(json::parse(out)["best_per_gpu_count"].size(), 2u);
  std::tie(code, out, err) =
      run({"--model", "llama-3.1-8b", "--search", "--gpu-models", "h100-sxm-80gb=cheap"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--gpu-models"), std::string::npos) << err;
  std::tie(code, out, err) = run({"--model", "llama-3.1-8b", "--gpu-models", "h100-sxm-80gb"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("only with --search"), std::string::npos) << err;
}
