// bench_gemm as a process: --help works in every build; without a usable GPU a run exits 2 with one
// line saying why; in a CUDA build --benchmark_list_tests lists the gemm ids without touching a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"

namespace gpuscale {
namespace {

using test::run_command_line;

TEST(GemmCli, HelpDescribesTheBinary) {
  const auto r = run_command_line(std::string(BENCH_GEMM_BIN) + " --help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: bench_gemm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gemm/mamf/precision:<precision>"), std::string::npos) << r.out;
}

TEST(GemmCli, ListsTheQuickSuiteWithoutAGpu) {
  const auto r = run_command_line(std::string(BENCH_GEMM_BIN) + " --benchmark_list_tests");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (!GEMM_TEST_WITH_CUDA) {
    EXPECT_EQ(r.out, "") << "a host build registers no GEMM";
    return;
  }
  // Google Benchmark lists each name with the run settings appended.
  const std::string suffix = "/iterations:1/manual_time";
  std::istringstream lines(r.out);
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GT(line.size(), suffix.size());
    EXPECT_EQ(line.substr(line.size() - suffix.size()), suffix) << line;
    ids.push_back(line.substr(0, line.size() - suffix.size()));
  }
  EXPECT_EQ(ids.size(), 29u) << r.out;
  for (const auto& id : ids) EXPECT_EQ(id.rfind("gemm/", 0), 0u) << id;
  auto listed = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  EXPECT_TRUE(listed("gemm/bf16/m:8192/n:8192/k:8192"));
  EXPECT_TRUE(listed("gemm/mamf/precision:fp8_e4m3/fast_accum:on"));
  const auto full = run_command_line(std::string(BENCH_GEMM_BIN) + " --suite=full --benchmark_list_tests");
  EXPECT_EQ(full.exit_code, 0) << full.err;
  EXPECT_GT(full.out.size(), r.out.size());
}

TEST(GemmCli, WithoutAGpuARunExitsTwoWithOneLine) {
  const auto count = run_command_line(std::string(BENCH_GEMM_BIN) + " --gpuscale_count_gpus");
  if (count.exit_code == 0) GTEST_SKIP() << "a GPU is present: nothing to check";
  const auto r = run_command_line(std::string(BENCH_GEMM_BIN) + " --benchmark_filter=gemm/bf16/m:1024/.*");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("bench_gemm: no usable GPU: ", 0), 0u) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace gpuscale
