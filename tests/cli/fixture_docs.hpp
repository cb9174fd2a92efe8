// FIXTURE documents for the compare, check and report tests, written by make_fixtures
// (tests/cli/fixtures/make_fixtures.cpp) into a per-test folder. They are computed stand-ins, not
// measurements, and say so in run.note.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "command.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"

namespace gpuscale::test {

class FixtureDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gpuscale_fx_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // make_fixtures ARGS -o DIR/NAME; fails the test when it does not write a document.
  std::string fixture(const std::string& name, const std::string& args) {
    const std::string out = path(name);
    const auto r = run_command_line(std::string(MAKE_FIXTURES_BIN) + " " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    return out;
  }
  CommandResult gpuscale(const std::string& args) {
    return run_command_line(std::string(GPUSCALE_BIN) + " " + args);
  }
  // The output schema results/schema/NAME.
  static nlohmann::json schema(const std::string& name) {
    return read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/" + name);
  }
  std::filesystem::path dir_;
};

}  // namespace gpuscale::test
