// End-to-end tests of the gpuscale CLI and a bench binary, run as real processes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "command.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "run_command.hpp"
#include "temp_dir.hpp"

namespace gpuscale {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_command_line;

class Cli : public test::TempDirTest {};

TEST_F(Cli, RunOnHostBackendWritesAValidDocument) {
  const std::string out = path("host.json");
  auto r = run_command_line(std::string(GPUSCALE_BIN) + " run --backend host --families memory --bin-dir " +
                            BENCH_BIN_DIR + " --suite quick -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = read_json_file(out);
  const auto problems = validate_json(results_schema(), doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(doc["run"]["backend"], "host");
  EXPECT_EQ(doc["run"]["suite"], "quick");
  ASSERT_EQ(doc["run"]["binaries"].size(), 1u);
  EXPECT_EQ(doc["run"]["binaries"][0]["name"], "bench_memory");
  EXPECT_EQ(doc["run"]["binaries"][0]["exit_code"], 0);
  ASSERT_GE(doc["benchmarks"].size(), 6u);
  for (const auto& b : doc["benchmarks"]) {
    EXPECT_EQ(b["id"].get<std::string>().rfind("memory/host/", 0), 0u) << b["id"];
    EXPECT_EQ(b["backend"], "host");
    ASSERT_EQ(b["status"], "ok") << b.dump();
    EXPECT_GT(b["metrics"]["bandwidth_gbps"].get<double>(), 0);
    EXPECT_GE(b["samples_s"].size(), 5u);
  }
  // The summary table and one progress line per benchmark.
  EXPECT_NE(r.out.find("memory/host/copy"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("memory/host/triad/bytes:1048576  ok"), std::string::npos) << r.err;
}

TEST_F(Cli, AutoBackendWithoutGpuSaysSoInOneLineAndMeasuresTheHost) {
  const std::string out = path("auto.json");
  auto r = run_command_line(std::string(GPUSCALE_BIN) + " run --families memory --bin-dir " + BENCH_BIN_DIR +
                            " -o " + out + " --timeout-s 600");
  const json doc = read_json_file(out);
  if (doc["run"]["backend"] == "gpu") GTEST_SKIP() << "a GPU is present: the fallback is not exercised";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no usable GPU"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("measuring the host instead"), std::string::npos) << r.err;
  EXPECT_EQ(doc["run"]["backend"], "host");
}

TEST_F(Cli, UnwritableOutputIsAnErrorNamingThePathAndLeavesNothing) {
  std::ofstream(path("a-file")) << "x";  // a folder cannot be made under a file
  const std::string out = path("a-file/out.json");
  auto r = run_command_line(std::string(GPUSCALE_BIN) + " run --backend host --families memory --bin-dir " +
                            BENCH_BIN_DIR + " -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);  // a-file alone
}

TEST_F(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(run_command_line(std::string(GPUSCALE_BIN) + " run --suite huge").exit_code, 2);
  EXPECT_EQ(run_command_line(std::string(GPUSCALE_BIN) + " run --families disks --bin-dir " + BENCH_BIN_DIR)
                .exit_code,
            2);
  EXPECT_EQ(run_command_line(std::string(GPUSCALE_BIN) + " frobnicate").exit_code, 2);
  auto help = run_command_line(std::string(GPUSCALE_BIN) + " run --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--output"), std::string::npos);
}

TEST_F(Cli, ValidateNamesFileAndField) {
  const std::string bad = path("bad.json");
  std::ofstream(bad) << "{\"schema_version\": 1, \"run\": {}}";
  auto r = run_command_line(std::string(GPUSCALE_BIN) + " validate " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ": /run/id: required field is missing"), std::string::npos) << r.err;
  const std::string broken = path("broken.json");
  std::ofstream(broken) << "{\"schema_version\": 1,";
  r = run_command_line(std::string(GPUSCALE_BIN) + " validate " + broken);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(broken + ": malformed JSON"), std::string::npos) << r.err;
}

TEST_F(Cli, BenchBinaryWithoutGpuExitsTwoWithOneLine) {
  auto r = run_command_line(std::string(BENCH_MEMORY_BIN) + " --benchmark_filter=memory/copy");
  if (r.exit_code == 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bench_memory: no usable GPU: "), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Cli, BenchBinaryListsTestsWithoutTouchingTheDriver) {
  auto r = run_command_line(std::string(BENCH_MEMORY_BIN) + " --benchmark_list_tests");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (GPUSCALE_TEST_WITH_CUDA) {
    EXPECT_NE(r.out.find("memory/copy/bytes:1048576/width:16"), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(r.out.find("memory/"), std::string::npos) << "no GPU benchmarks in a host-only build";
  }
  auto host = run_command_line(std::string(BENCH_MEMORY_BIN) + " --backend=host --benchmark_list_tests");
  EXPECT_NE(host.out.find("memory/host/copy/bytes:1048576"), std::string::npos) << host.out;
  // With other Google Benchmark flags beside it, in any order.
  auto filtered = run_command_line(std::string(BENCH_MEMORY_BIN) +
                                   " --benchmark_filter=host/copy --backend=host --benchmark_list_tests");
  EXPECT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_NE(filtered.out.find("memory/host/copy/bytes:1048576"), std::string::npos) << filtered.out;
  EXPECT_EQ(filtered.out.find("memory/host/triad"), std::string::npos) << filtered.out;
  auto help = run_command_line(std::string(BENCH_MEMORY_BIN) + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--gpuscale_out"), std::string::npos);
}

TEST(Run, MergedDocumentListsEveryGpuOnceAndTheJobsExtent) {
  auto gpu = [](int index, const std::string& uuid, const std::string& host = "", int rank = -1) {
    json g = {{"index", index},
              {"name", "NVIDIA H100 80GB HBM3"},
              {"uuid", uuid},
              {"sku", "h100-sxm-80gb"},
              {"sm_count", 132},
              {"compute_capability", "9.0"},
              {"memory_bytes", 85520809984LL},
              {"l2_bytes", 52428800}};
    if (!host.empty()) g["host"] = host, g["rank"] = rank;
    return g;
  };
  const json sys = {
      {"hostname", "node-1"}, {"cpu_model", "x"}, {"cpu_logical_cores", 2}, {"os", "x"}, {"kernel", "x"}};
  json job_sys = sys;
  job_sys["ranks"] = 2;
  job_sys["hosts"] = {"node-1", "node-2"};
  // bench_memory on node-1's GPU 0; bench_collectives on two nodes, GPU 0 of each (same index).
  const json memory = {{"system", sys}, {"gpus", {gpu(0, "GPU-a")}}, {"benchmarks", json::array()}};
  const json coll = {{"system", job_sys},
                     {"gpus", {gpu(0, "GPU-a", "node-1", 0), gpu(0, "GPU-b", "node-2", 1)}},
                     {"benchmarks", json::array()}};
  const json doc = cli::merge_fragments({memory, coll}, json::object());
  ASSERT_EQ(doc["gpus"].size(), 2u);
  EXPECT_EQ(doc["gpus"][0]["uuid"], "GPU-a");
  EXPECT_EQ(doc["gpus"][0]["host"], "node-1");  // the fuller description of the same GPU wins
  EXPECT_EQ(doc["gpus"][1]["uuid"], "GPU-b");
  EXPECT_EQ(doc["system"]["ranks"], 2);
  EXPECT_EQ(doc["system"]["hosts"], json({"node-1", "node-2"}));
  // Single-process fragments only: no job extent.
  const json alone = cli::merge_fragments({memory}, json::object());
  EXPECT_FALSE(alone["system"].contains("ranks"));
  EXPECT_EQ(alone["gpus"].size(), 1u);
}

TEST(Summary, GroupsBySizeAndShowsTheLargest) {
  json doc = {{"benchmarks", json::array()}};
  auto add = [&](const std::string& id, double bytes_metric, const char* status) {
    doc["benchmarks"].push_back({{"id", id},
                                 {"status", status},
                                 {"metrics", {{"bandwidth_gbps", bytes_metric}, {"pct_of_peak", 90.0}}},
                                 {"stats", {{"cv", 0.004}}}});
  };
  add("memory/copy/bytes:1048576/width:16", 100, "ok");
  add("memory/copy/bytes:4294967296/width:16", 4500, "ok");
  add("memory/copy/bytes:17179869184/width:16", 0, "skipped");
  const std::string t = cli::summary_table(doc);
  EXPECT_NE(t.find("memory/copy/width:16"), std::string::npos) << t;
  EXPECT_NE(t.find("4500.0"), std::string::npos) << t;
  EXPECT_NE(t.find("2/1/0"), std::string::npos) << t;
}

}  // namespace gpuscale

#include "compare_command.hpp"

namespace gpuscale {

TEST(Compare, FlagsDropsBeyondTheThresholdBothWays) {
  auto doc = [](double bw, double lat) {
    json d = {{"benchmarks", json::array()}};
    d["benchmarks"].push_back({{"id", "memory/copy/bytes:1/width:16"},
                               {"status", "ok"},
                               {"gpu_index", 0},
                               {"metrics", {{"bandwidth_gbps", bw}, {"pct_of_peak", 1.0}}}});
    d["benchmarks"].push_back({{"id", "memory/latency/bytes:1"},
                               {"status", "ok"},
                               {"gpu_index", 0},
                               {"metrics", {{"latency_ns", lat}}}});
    d["benchmarks"].push_back(
        {{"id", "memory/only-in-base/bytes:1"}, {"status", "ok"}, {"metrics", {{"bandwidth_gbps", 1.0}}}});
    return d;
  };
  json base = doc(4000, 500);
  json now = doc(3600, 600);  // bandwidth -10%, latency +20% (worse)
  now["benchmarks"].erase(2);
  const auto rows = cli::compare_documents(base, now, 5);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[2].lost);  // ok in the base, missing now: a failure whatever the threshold
  EXPECT_EQ(rows[2].why, "missing");
  EXPECT_EQ(rows[0].metric, "bandwidth_gbps");  // in id order: copy, then latency
  EXPECT_NEAR(rows[0].change_pct, -10, 1e-9);
  EXPECT_TRUE(rows[0].regression);
  EXPECT_EQ(rows[1].metric, "latency_ns");
  EXPECT_NEAR(rows[1].change_pct, -20, 1e-9);
  EXPECT_TRUE(rows[1].regression);
  EXPECT_FALSE(cli::compare_documents(base, now, 15)[0].regression);
  EXPECT_TRUE(cli::compare_documents(base, now, 15)[1].regression);
}

TEST_F(Cli, CompareExitsOneOnRegressionAndTwoOnBadInput) {
  const std::string a = path("a.json"), b = path("b.json");
  ASSERT_EQ(run_command_line(std::string(GPUSCALE_BIN) + " run --backend host --families memory --bin-dir " +
                             BENCH_BIN_DIR + " -o " + a)
                .exit_code,
            0);
  json doc = read_json_file(a);
  for (auto& e : doc["benchmarks"])
    if (e["metrics"].contains("bandwidth_gbps"))
      e["metrics"]["bandwidth_gbps"] = e["metrics"]["bandwidth_gbps"].get<double>() / 2;
  write_file_atomic(b, doc.dump());
  auto same = run_command_line(std::string(GPUSCALE_BIN) + " compare " + a + " " + a);
  EXPECT_EQ(same.exit_code, 0) << same.err;
  auto worse = run_command_line(std::string(GPUSCALE_BIN) + " compare " + a + " " + b);
  EXPECT_EQ(worse.exit_code, 1) << worse.err;
  EXPECT_NE(worse.out.find("REGRESSION"), std::string::npos) << worse.out;
  auto bad = run_command_line(std::string(GPUSCALE_BIN) + " compare " + a + " " + path("missing.json"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("missing.json"), std::string::npos) << bad.err;
}

}  // namespace gpuscale

#include "report_command.hpp"

namespace gpuscale {

TEST(Report, ChartsGroupBySizeAxisAndSkipSinglePoints) {
  json doc = {{"benchmarks", json::array()}};
  auto add = [&](const std::string& id, const char* family, const char* metric, double v) {
    doc["benchmarks"].push_back(
        {{"id", id}, {"family", family}, {"status", "ok"}, {"metrics", {{metric, v}}}});
  };
  add("memory/copy/bytes:1048576/width:16", "memory", "bandwidth_gbps", 3000);
  add("memory/copy/bytes:4194304/width:16", "memory", "bandwidth_gbps", 4000);
  add("memory/copy/bytes:1048576/width:4", "memory", "bandwidth_gbps", 2000);  // one size only: no line
  add("gemm/bf16/m:4096/n:4096/k:4096", "gemm", "tflops", 700);
  add("gemm/bf16/m:8192/n:8192/k:8192", "gemm", "tflops", 780);
  add("gemm/bf16/model:llama-3-8b/op:qkv/pass:fwd/tokens:4096/m:4096/n:6144/k:4096", "gemm", "tflops", 600);
  add("collective/all_reduce/dtype:bf16/bytes:8/ranks:8/inplace:0", "collective", "busbw_gbps", 0.01);
  add("collective/all_reduce/dtype:bf16/bytes:1024/ranks:8/inplace:0", "collective", "busbw_gbps", 1.5);
  const auto charts = cli::charts_for(doc);
  ASSERT_EQ(charts.size(), 3u);
  EXPECT_EQ(charts[0].title, "Memory bandwidth (read + write)");
  ASSERT_EQ(charts[0].series.size(), 1u);
  EXPECT_EQ(charts[0].series[0].name, "copy/width:16");
  EXPECT_EQ(charts[0].series[0].points.back(), std::make_pair(4194304.0, 4000.0));
  EXPECT_EQ(charts[1].series[0].points.size(), 2u);  // the layer GEMM is not on the square chart
  EXPECT_EQ(charts[2].title, "Collective bus bandwidth: all_reduce");
  const std::string svg = cli::svg_chart(charts[0]);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find(">4MiB<"), std::string::npos);
}

TEST_F(Cli, ReportWritesHtmlAndRejectsBadInput) {
  const std::string doc = path("run.json"), html = path("run.html");
  ASSERT_EQ(run_command_line(std::string(GPUSCALE_BIN) + " run --backend host --families memory --bin-dir " +
                             BENCH_BIN_DIR + " -o " + doc)
                .exit_code,
            0);
  auto r = run_command_line(std::string(GPUSCALE_BIN) + " report " + doc + " -o " + html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::slurp(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("Memory bandwidth (read + write) (host backend)"), std::string::npos);
  auto bad =
      run_command_line(std::string(GPUSCALE_BIN) + " report " + path("nope.json") + " -o " + html + ".2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(fs::exists(html + ".2"));
}

}  // namespace gpuscale
