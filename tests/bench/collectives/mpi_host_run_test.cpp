// CI test of the multi-process path without a GPU: `mpirun -np 4 bench_collectives --backend=host`
// must write a fragment that, wrapped into a results document as `gpuscale run` does, matches the
// results schema, with one entry per registered benchmark, every collective checked and timed on
// all 4 ranks, busbw = algbw x nccl-tests' factor, and the per-rank aggregation in the parameters.
// A second run makes rank 1 stall: the job must end with an error naming the collective and size.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "../../cli/command.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale {
namespace {

using json = nlohmann::json;

std::string mpirun(int ranks) {
  // Open MPI refuses root and counts cores (2 on CI): allow both. Other MPIs take plain -np.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  static const bool open_mpi = [] {
    const std::string v = test::run_command_line(std::string(MPIEXEC) + " --version").out;
    return v.find("Open MPI") != std::string::npos || v.find("OpenRTE") != std::string::npos;
  }();
  return std::string(MPIEXEC) + (open_mpi ? " --oversubscribe" : "") + " -np " + std::to_string(ranks) + " " +
         BENCH_COLLECTIVES_BIN;
}

std::string temp_path(const char* name) {
  return "/tmp/gpuscale-coll-" + std::to_string(::getpid()) + "-" + name + ".json";
}

// The fragment wrapped into a document the way `gpuscale run` merges fragments.
json as_document(const json& fragment) {
  json run = {{"id", "20261129T034000Z-1a2b3c4d"},
              {"started_utc", "2026-11-29T03:40:00Z"},
              {"finished_utc", "2026-11-29T03:41:00Z"},
              {"git_sha", "test"},
              {"command_line", json::array({"bench_collectives"})},
              {"tool_version", "test"},
              {"suite", "quick"},
              {"backend", "host"}};
  return {{"schema_version", 1},
          {"run", run},
          {"system", fragment.at("system")},
          {"gpus", fragment.at("gpus")},
          {"benchmarks", fragment.at("benchmarks")}};
}

TEST(CollectivesUnderMpirun, HostBackendOnFourRanksWritesAValidDocument) {
  const std::string out = temp_path("np4");
  const auto listed =
      test::run_command_line(std::string(BENCH_COLLECTIVES_BIN) + " --backend=host --benchmark_list_tests");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;

  const auto r =
      test::run_command_line(mpirun(4) + " --backend=host --max_time_s=0.05 --gpuscale_out=" + out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json fragment = read_json_file(out);
  std::remove(out.c_str());

  const json doc = as_document(fragment);
  const auto problems = validate_json(results_schema(), doc);
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_TRUE(fragment.at("system").contains("mpi_version"));
  // Rank 0 gathered every rank's node: 4 ranks, one node here.
  EXPECT_EQ(fragment.at("system").value("ranks", 0), 4);
  ASSERT_TRUE(fragment.at("system").contains("hosts"));
  EXPECT_EQ(fragment.at("system")["hosts"].size(), 1u);
  EXPECT_EQ(fragment.at("system")["hosts"][0], fragment.at("system")["hostname"]);

  const json& benchmarks = fragment.at("benchmarks");
  std::size_t listed_count = 0;
  for (std::size_t p = 0; (p = listed.out.find("collective/host/", p)) != std::string::npos; ++p)
    ++listed_count;
  EXPECT_EQ(benchmarks.size(), listed_count);

  std::set<std::string> ok_collectives;
  for (const auto& b : benchmarks) {
    const std::string id = b.at("id");
    SCOPED_TRACE(id);
    EXPECT_EQ(id.rfind("collective/host/", 0), 0u);
    EXPECT_NE(id.find("/ranks:4/"), std::string::npos);
    EXPECT_EQ(b.at("backend"), "host");
    const std::string status = b.at("status");
    if (status == "skipped") {
      // Only sizes below one element per rank are skipped.
      EXPECT_NE(b.at("reason").get<std::string>().find("less than one"), std::string::npos);
      continue;
    }
    ASSERT_EQ(status, "ok") << b.value("reason", "");
    const json& p = b.at("parameters");
    const std::string op = p.at("collective");
    ok_collectives.insert(op);
    EXPECT_EQ(p.at("ranks"), 4);
    const json& rt = p.at("rank_time_s");
    EXPECT_LE(rt.at("min").get<double>(), rt.at("avg").get<double>());
    EXPECT_LE(rt.at("avg").get<double>(), rt.at("max").get<double>());
    EXPECT_GE(p.at("slowest_rank").get<int>(), 0);
    EXPECT_LT(p.at("slowest_rank").get<int>(), 4);
    const json& m = b.at("metrics");
    const double factor = bus_factor(op, 4);
    EXPECT_DOUBLE_EQ(b.at("work").at("bus_factor").get<double>(), factor);
    EXPECT_DOUBLE_EQ(b.at("work").at("message_bytes").get<double>(), p.at("message_bytes").get<double>());
    EXPECT_NEAR(m.at("algbw_gbps").get<double>(),
                p.at("message_bytes").get<double>() / b.at("stats").at("median_s").get<double>() / 1e9, 1e-9);
    EXPECT_NEAR(m.at("busbw_gbps").get<double>(), m.at("algbw_gbps").get<double>() * factor, 1e-9);
    // The completion time of a sample is the slowest rank's: at least any rank's median.
    EXPECT_GE(b.at("stats").at("max_s").get<double>(), rt.at("min").get<double>());
  }
  EXPECT_EQ(ok_collectives, (std::set<std::string>{"all_reduce", "all_gather", "reduce_scatter", "broadcast",
                                                   "alltoall", "sendrecv", "reduce"}));
}

TEST(CollectivesUnderMpirun, AHungRankTimesOutAndEndsTheJob) {
  const std::string out = temp_path("hang");
  const auto r =
      test::run_command_line(mpirun(4) +
                             " --backend=host --collective_timeout_s=2 --collective_debug_hang_rank=1"
                             " --benchmark_filter='all_reduce/dtype:fp32/bytes:512/ranks:4/inplace:0'"
                             " --gpuscale_out=" +
                             out);
  EXPECT_NE(r.exit_code, 0);
  const std::string id = "collective/host/all_reduce/dtype:fp32/bytes:512/ranks:4/inplace:0";
  EXPECT_NE(r.err.find("timed out after 2 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(id), std::string::npos) << r.err;
  const json fragment = read_json_file(out);
  std::remove(out.c_str());
  ASSERT_EQ(fragment.at("benchmarks").size(), 1u);
  const json& b = fragment["benchmarks"][0];
  EXPECT_EQ(b.at("id"), id);
  EXPECT_EQ(b.at("status"), "error");
  EXPECT_NE(b.at("reason").get<std::string>().find("timed out"), std::string::npos);
  EXPECT_TRUE(validate_json(results_schema(), as_document(fragment)).empty());
}

}  // namespace
}  // namespace gpuscale
