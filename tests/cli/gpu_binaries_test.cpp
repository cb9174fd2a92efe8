// GPU tests (label gpu) of every bench binary's GPU path, end to end: one small case each, run as
// the real binary with --gpuscale_out, must come back `ok` with its headline metric. Skipped with
// the driver's reason where there is no usable GPU. The build tree is taken from
// $GPUSCALE_BUILD_DIR when set (a build carried to another machine), else from where it was built.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "command.hpp"
#include "gpuscale/core/file_io.hpp"

namespace gpuscale {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string build_dir() {
  const char* env = std::getenv("GPUSCALE_BUILD_DIR");
  return env && *env ? env : GPUSCALE_TEST_BUILD_DIR;
}

struct Case {
  const char* family_dir;
  const char* binary;
  const char* filter;  // one small case
  const char* metric;
};

class GpuBinary : public ::testing::TestWithParam<Case> {};

TEST_P(GpuBinary, OneSmallCaseRunsAndValidates) {
  const Case& c = GetParam();
  const std::string bin = build_dir() + "/bench/" + c.family_dir + "/" + c.binary;
  ASSERT_TRUE(fs::exists(bin)) << bin << " (set GPUSCALE_BUILD_DIR to the build tree)";
  auto probe = test::run_command_line(bin + " --gpuscale_count_gpus");
  if (probe.exit_code != 0) GTEST_SKIP() << probe.err;
  const std::string out =
      (fs::temp_directory_path() / (std::string("gpuscale_gpu_") + c.binary + ".json")).string();
  auto r = test::run_command_line(bin + " --benchmark_filter='" + c.filter + "' --gpuscale_out=" + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json frag = read_json_file(out);
  fs::remove(out);
  ASSERT_EQ(frag["benchmarks"].size(), 1u) << frag.dump(1);
  const json& e = frag["benchmarks"][0];
  EXPECT_EQ(e["status"], "ok") << e.value("reason", "");
  ASSERT_TRUE(e["metrics"].contains(c.metric)) << e.dump(1);
  EXPECT_GT(e["metrics"][c.metric].get<double>(), 0);
  EXPECT_FALSE(frag["gpus"].empty());
}

INSTANTIATE_TEST_SUITE_P(
    EveryBinary, GpuBinary,
    ::testing::Values(Case{"memory", "bench_memory", "^memory/copy/bytes:1048576/width:16/",
                           "bandwidth_gbps"},
                      Case{"memory", "bench_memory", "^memory/latency/bytes:16384/", "latency_ns"},
                      Case{"compute", "bench_compute", "^compute/fma/type:fp32/", "tflops"},
                      Case{"gemm", "bench_gemm", "^gemm/bf16/m:1024/n:1024/k:1024/", "tflops"},
                      Case{"collectives", "bench_collectives",
                           "^collective/all_reduce/dtype:fp32/bytes:2097152/", "algbw_gbps"},
                      Case{"transfer", "bench_transfer",
                           "^transfer/h2d/memory:pinned/engine:copy_engine/bytes:4096/", "bandwidth_gbps"}),
    [](const auto& info) { return std::string(info.param.binary) + "_" + std::to_string(info.index); });

}  // namespace
}  // namespace gpuscale
