// The real gpuscale binary: plan and calibrate through main().
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

struct Result {
  int code;
  std::string out;
};

Result run(const std::string& args) {
  const std::string out = (std::filesystem::temp_directory_path() / ("gpuscale-cli-" + std::to_string(::getpid()))).string();
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
