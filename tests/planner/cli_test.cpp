// The real gpuscale binary: plan and calibrate through main().
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

struct Result {
  int code;
  std::string out;
};

Result run(const std::string& args) {
  const std::string out =
      (std::filesystem::temp_directory_path() / ("gpuscale-cli-" + std::to_string(::getpid()))).string();
  const int status = std::system((std::string(GPUSCALE_BIN) + " " + args + " >" + out + " 2>&1").c_str());
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(out);
  return {WEXITSTATUS(status), ss.str()};
}

}  // namespace

TEST(PlannerCli, PlanJson) {
  const auto r = run("plan --model llama-2-7b --method lora --gpu h100-sxm-80gb --format json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["fits"].get<bool>());
}

TEST(PlannerCli, BadInputExits2) {
  const auto r = run("plan --model llama-2-7b --gpu h100-sxm-80gb --seq-len zero");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--seq-len"), std::string::npos) << r.out;
}

TEST(PlannerCli, CalibrateBuiltin) {
  const auto p = (std::filesystem::temp_directory_path() / "gpuscale-cli-builtin.profile.json").string();
  const auto r = run("calibrate --builtin \"NVIDIA H200\" -o " + p);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(run("plan --model llama-3.1-70b --method qlora --gpu " + p).code, 0);
  std::filesystem::remove(p);
}

#include "gpuscale/planner/synthetic_results.hpp"

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("gpuscale-cli-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

}  // namespace

TEST(PlannerCli, CalibrateExportToTheProfilesOwnPathIsRefusedAndNothingIsWritten) {
  const auto p = temp_path("same.json");
  const auto r = run("calibrate --builtin h100-sxm-80gb -o " + p + " --export llm-analysis " + p);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("give them different paths"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(PlannerCli, AFailedExportLeavesNoProfileBehind) {
  const auto p = temp_path("kept.json");
  const auto blocker = temp_path("a-file");
  std::ofstream(blocker) << "x";
  const auto r =
      run("calibrate --builtin h100-sxm-80gb -o " + p + " --export llm-analysis " + blocker + "/la.json");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(blocker + "/la.json"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(p)) << "the profile was written although the export failed";
  std::filesystem::remove(blocker);
}

TEST(PlannerCli, CalibrateRefusesResultsWhoseFitIsNotFinite) {
  using namespace gpuscale::planner::synthetic;
  nlohmann::json doc = results_doc(default_truth(), "20250101T000000Z-aaaaaaaa");
  for (auto& b : doc["benchmarks"])
    if (b["family"] == "memory") {  // schema-valid, absurd: a copy faster than light
      b["samples_s"] = {1e-300};
      b["stats"]["median_s"] = 1e-300;
      b["metrics"]["bandwidth_gbps"] = 1e300;
    }
  const auto in = temp_path("extreme.json"), out = temp_path("extreme.profile.json");
  std::ofstream(in) << doc.dump();
  const auto r = run("calibrate " + in + " -o " + out);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("memory_bandwidth"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::filesystem::remove(in);
}
