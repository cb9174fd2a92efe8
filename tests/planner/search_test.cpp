// gpuscale plan --search: what is varied, what fits, the ranking, the global batch, bad input.
#include <gtest/gtest.h>

#include <sstream>

#include "gpuscale/planner/commands.hpp"
#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/search.hpp"

using namespace gpuscale::planner;
using json = nlohmann::json;

namespace {
json base() { return {{"model", "llama-3.1-8b"}, {"gpu", "h100-sxm-80gb"}, {"seq_len", 4096}, {"tokens", 1e9}}; }
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
  EXPECT_EQ(r.varied, (std::vector<std::string>{"micro_batch", "activation_checkpointing", "sharding", "gpus"}));
  // 7 micro-batches x 3 checkpointing levels x (1 sharding on one GPU + 4 on eight).
  EXPECT_EQ(r.planned, 7 * 3 * 1 + 7 * 3 * 4);
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
  EXPECT_EQ(f.planned, 7 * 1 * 4);
  for (const auto& c : f.fitting) EXPECT_EQ(c.result.scenario.checkpointing, Checkpointing::full);
}

TEST(Search, TheBestIsTheFastestOfEverySettingThatFits) {
  json b = base();
  b["gpus_per_node"] = 8;
  const auto r = search_plans(b, keys(b), SearchSpace{}, "test");
  ASSERT_FALSE(r.fitting.empty());
  double best = 0;
  for (std::int64_t mb : {1, 2, 4, 8, 16, 32, 64})
    for (const char* ck : {"none", "selective", "full"})
      for (const char* sh : {"none", "zero1", "zero2", "zero3"}) {
        json j = b;
        j["micro_batch"] = mb;
        j["activation_checkpointing"] = ck;
        j["sharding"] = sh;
        const auto p = plan(parse_scenario(j, "test"));
        if (p.fits) best = std::max(best, p.time.tokens_per_s_per_gpu);
      }
  EXPECT_DOUBLE_EQ(r.fitting.front().result.time.tokens_per_s_per_gpu, best);
}

TEST(Search, GlobalBatchSetsGradAccumForEveryCandidate) {
  SearchSpace sp;
  sp.gpu_counts = {8, 16};
  sp.global_batch_tokens = 1 << 20;
  const auto r = search_plans(base(), keys(base()), sp, "test");
  ASSERT_FALSE(r.fitting.empty());
  for (const auto& c : r.fitting) {
    const auto& s = c.result.scenario;
    const std::int64_t per_pass = s.micro_batch * s.seq_len * c.gpus;
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
  auto [code, out, err] = run({"--model", "llama-3.1-8b", "--method", "lora", "--gpu", "h100-sxm-80gb", "--search",
                               "--gpu-counts", "1,2", "--format", "json"});
  ASSERT_EQ(code, 0) << err;
  const auto j = json::parse(out);
  EXPECT_EQ(j["best_per_gpu_count"].size(), 2u);
  std::tie(code, out, err) = run({"--model", "llama-3.1-8b", "--gpu", "h100-sxm-80gb", "--gpu-counts", "8"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("only with --search"), std::string::npos) << err;
  std::tie(code, out, err) = run({"--model", "llama-3.1-8b", "--gpu", "h100-sxm-80gb", "--search", "--gpu-counts", "8,x"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--gpu-counts"), std::string::npos) << err;
}
