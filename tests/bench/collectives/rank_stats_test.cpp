// Per-rank aggregation, batch sizing and lock-step sampling (with a simulated slower peer), launcher
// detection, the recorded NCCL environment, and the watchdog.
#include "collectives/rank_stats.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "collectives/nccl_env.hpp"
#include "collectives/rank_group.hpp"
#include "collectives/watchdog.hpp"

namespace gpuscale::bench {
namespace {

TEST(AggregateRanks, CompletionIsThePerIterationMaxAndTheSlowestRankIsNamed) {
  const RankAggregate a = aggregate_ranks({{1, 2, 3}, {2, 2, 2}, {0.5, 4, 6}});
  EXPECT_EQ(a.completion_s, (std::vector<double>{2, 4, 6}));
  EXPECT_EQ(a.rank_median_s, (std::vector<double>{2, 2, 4}));
  EXPECT_DOUBLE_EQ(a.min_s, 2);
  EXPECT_DOUBLE_EQ(a.avg_s, 8.0 / 3);
  EXPECT_DOUBLE_EQ(a.max_s, 4);
  EXPECT_EQ(a.slowest_rank, 2);
}

TEST(AggregateRanks, OneRankAndTies) {
  const RankAggregate one = aggregate_ranks({{3, 1, 2}});
  EXPECT_EQ(one.completion_s, (std::vector<double>{3, 1, 2}));
  EXPECT_DOUBLE_EQ(one.min_s, 2);
  EXPECT_DOUBLE_EQ(one.max_s, 2);
  EXPECT_EQ(one.slowest_rank, 0);
  EXPECT_EQ(aggregate_ranks({{1}, {1}}).slowest_rank, 0);  // a tie names the lowest rank
}

TEST(AggregateRanks, RejectsRanksOutOfStep) {
  EXPECT_THROW(aggregate_ranks({}), std::invalid_argument);
  EXPECT_THROW(aggregate_ranks({{1, 2}, {1}}), std::invalid_argument);
}

TEST(BatchFor, BatchesShortCollectivesUpToACap) {
  SamplingPolicy p;
  p.min_sample_s = 1e-4;
  EXPECT_EQ(batch_for(1e-3, p), 1);
  EXPECT_EQ(batch_for(1e-4, p), 1);
  EXPECT_EQ(batch_for(1e-6, p), 100);
  EXPECT_EQ(batch_for(1e-12, p), 1000);
}

TEST(InStepSampling, DecidesOnTheSlowestRank) {
  SamplingPolicy p;
  p.warmup_s = 0;
  p.min_samples = 5;
  p.max_samples = 50;
  p.target_cv = 0.01;
  p.max_time_s = 100;
  int calls = 0;
  // This rank is steady; the simulated peer is noisy, so the CV target is never met on the
  // slowest-rank series and sampling runs to max_samples although this rank alone would stop at 5.
  auto sample = [&] {
    ++calls;
    return 1e-3;
  };
  int agreements = 0;
  auto peer = [&](std::array<double, 2> v) {
    ++agreements;
    return std::array<double, 2>{v[0] * (agreements % 2 ? 2.0 : 3.0), v[1]};
  };
  const InStepSamples s = collect_samples_in_step(sample, p, peer);
  EXPECT_EQ(s.mine.size(), 50u);
  EXPECT_EQ(s.slowest.size(), s.mine.size());
  for (std::size_t i = 0; i < s.mine.size(); ++i) EXPECT_GE(s.slowest[i], 2 * s.mine[i]);
  EXPECT_EQ(calls, 52);  // two warm-up samples

  // The peers' clock says time is up: stop at min_samples even though this rank has time left.
  auto late = [](std::array<double, 2> v) { return std::array<double, 2>{v[0] * 2, v[1] + 1000}; };
  EXPECT_EQ(collect_samples_in_step([] { return 1e-3; }, p, late).mine.size(), 5u);
}

TEST(LauncherWorldSize, ReadsTheLaunchersEnvironment) {
  auto env = [](std::map<std::string, std::string> m) {
    return [m = std::move(m)](const char* name) -> const char* {
      auto it = m.find(name);
      return it == m.end() ? nullptr : it->second.c_str();
    };
  };
  EXPECT_EQ(launcher_world_size(env({})), 0);
  EXPECT_EQ(launcher_world_size(env({{"OMPI_COMM_WORLD_SIZE", "4"}})), 4);
  EXPECT_EQ(launcher_world_size(env({{"PMI_SIZE", "16"}})), 16);
  EXPECT_EQ(launcher_world_size(env({{"SLURM_NTASKS", "8"}})), 0);  // a batch script, not srun
  EXPECT_EQ(launcher_world_size(env({{"PMIX_RANK", "0"}, {"SLURM_STEP_NUM_TASKS", "8"}})), 8);
}

TEST(NcclEnvironment, RecordsTheAlgorithmVariablesOnly) {
  std::string a = "NCCL_ALGO=Ring", b = "NCCL_IB_HCA=mlx5_0,mlx5_1", c = "NCCL_DEBUG=INFO", d = "PATH=/bin",
              e = "NCCL_NVLS_ENABLE=0";
  char* environ[] = {a.data(), b.data(), c.data(), d.data(), e.data(), nullptr};
  const auto vars = nccl_environment(environ);
  EXPECT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars["NCCL_ALGO"], "Ring");
  EXPECT_EQ(vars["NCCL_IB_HCA"], "mlx5_0,mlx5_1");
  EXPECT_EQ(vars["NCCL_NVLS_ENABLE"], "0");
  EXPECT_EQ(nccl_environment_line(vars), "NCCL_ALGO=Ring NCCL_IB_HCA=mlx5_0,mlx5_1 NCCL_NVLS_ENABLE=0");
  EXPECT_EQ(nccl_environment_line(nlohmann::json::object()), "(none set)");
}

TEST(Watchdog, FiresOncePastTheDeadlineAndNotWhenDisarmed) {
  std::string what;
  int fired = 0;
  std::mutex mu;
  {
    Watchdog w([&](const std::string& s, double) {
      std::lock_guard lock(mu);
      what = s;
      ++fired;
    });
    { ArmedWatchdog armed(w, 10, "quick step"); }
    w.arm(0.05, "all_reduce 1 GiB");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(w.fired());
  }
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(what, "all_reduce 1 GiB");
}

TEST(JobGpus, EveryRanksGpusInRankOrderWithNodeAndRank) {
  auto gpu = [](int index, const std::string& uuid) {
    GpuInfo g;
    g.index = index;
    g.name = "NVIDIA H100 80GB HBM3";
    g.uuid = uuid;
    g.sku = "h100-sxm-80gb";
    g.sm_count = 132;
    g.cc_major = 9;
    g.memory_bytes = 85520809984ull;
    g.l2_bytes = 50ull << 20;
    return g;
  };
  // Two processes on two nodes, GPU 0 each; a third rank's message is garbage and is left out.
  const std::vector<std::string> texts = {rank_gpus_text("node-a", 0, 3, {gpu(0, "GPU-a")}),
                                          rank_gpus_text("node-b", 1, 3, {gpu(0, "GPU-b")}), "{not json"};
  const JobGpus job = merge_rank_gpus(texts);
  ASSERT_EQ(job.gpus.size(), 2u);
  EXPECT_EQ(job.gpus[0].uuid, "GPU-a");
  EXPECT_EQ(job.gpus[0].host, "node-a");
  EXPECT_EQ(job.gpus[1].host, "node-b");
  EXPECT_EQ(job.gpus[1].rank, 1);
  EXPECT_EQ(job.hosts, (std::vector<std::string>{"node-a", "node-b"}));
  // One process driving every GPU: no node or rank on the GPUs.
  const JobGpus one = merge_rank_gpus({rank_gpus_text("node-a", 0, 1, {gpu(0, "GPU-a"), gpu(1, "GPU-c")})});
  ASSERT_EQ(one.gpus.size(), 2u);
  EXPECT_TRUE(one.gpus[1].host.empty());
  EXPECT_FALSE(one.gpus[1].rank.has_value());
  // A rank that could not describe its GPU still names its node.
  EXPECT_EQ(merge_rank_gpus({rank_gpus_text("node-c", 2, 3, {})}).hosts,
            (std::vector<std::string>{"node-c"}));
}

}  // namespace
}  // namespace gpuscale::bench
