// Values that pass the JSON grammar but are hostile: huge strings, deep nesting, a million bad
// items, numbers beyond double, a directory for a file. Each must end in a clear error, never a
// crash, a hang or a bare library message.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json deep_array(int depth) {
  json v = json::array();
  for (int i = 0; i < depth; ++i) v = json::array({std::move(v)});
  return v;
}

std::string error_of(const std::string& path) {
  try {
    read_json_file(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("gpuscale_hostile_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

}  // namespace

TEST(HostileValues, A30KbIdIsAnErrorNotAStackOverflow) {
  const json schema = {{"type", "string"}, {"pattern", "^[A-Za-z0-9_./:+-]+$"}};
  const std::string id(30000, 'a');
  const auto problems = validate_json(schema, json(id));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("30000 characters is too long"), std::string::npos) << problems[0];
  // A short string is still matched, and a mismatch names it without printing all of it.
  EXPECT_TRUE(validate_json(schema, json("memory/copy")).empty());
  const auto bad = validate_json(schema, json(std::string(200, 'a') + " "));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("(201 characters)"), std::string::npos) << bad[0];
}

TEST(HostileValues, ADeepValueInAnErrorMessageIsDescribedNotDumped) {
  const json schema = {{"const", 1}};
  const auto problems = validate_json(schema, deep_array(10000));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("got an array of 1 items"), std::string::npos) << problems[0];
}

TEST(HostileValues, AMillionBadItemsGiveABoundedList) {
  const json schema = {{"type", "array"}, {"items", {{"type", "string"}}}};
  const json doc(1000000, json(1));
  const auto problems = validate_json(schema, doc);
  ASSERT_EQ(problems.size(), 101u);
  EXPECT_EQ(problems.front(), "/0: expected string, got integer");
  EXPECT_NE(problems.back().find("more problems not listed"), std::string::npos);
}

TEST(HostileValues, WholeNumbersOnlyAndFinite) {
  EXPECT_EQ(parse_finite("3"), 3.0);
  EXPECT_EQ(parse_finite("2.5e3"), 2500.0);
  EXPECT_EQ(parse_finite("-1"), -1.0);
  for (const char* bad : {"", "3abc", "nan", "inf", "-inf", "1e400", " 3", "3 ", "0x", "--1"})
    EXPECT_FALSE(parse_finite(bad).has_value()) << bad;
}

TEST_F(TempDir, ADirectoryIsNamedAsOneNotAsMalformedJson) {
  const std::string e = error_of(dir_.string());
  EXPECT_NE(e.find(dir_.string()), std::string::npos) << e;
  EXPECT_NE(e.find("is a directory"), std::string::npos) << e;
}

TEST_F(TempDir, ANumberBeyondDoubleNamesTheFile) {
  const std::string p = write("big.json", "{\"x\": 1e400}");
  const std::string e = error_of(p);
  EXPECT_EQ(e.rfind(p, 0), 0u) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
}

TEST_F(TempDir, DeepNestingIsRefusedWhileParsing) {
  const std::string p = write("deep.json", std::string(10000, '[') + std::string(10000, ']'));
  const std::string e = error_of(p);
  EXPECT_NE(e.find("nesting deeper than 64 levels"), std::string::npos) << e;
  // A document of ordinary depth still reads.
  const std::string ok = write("ok.json", std::string(20, '[') + std::string(20, ']'));
  EXPECT_NO_THROW(read_json_file(ok));
}

}  // namespace gpuscale

namespace gpuscale {

TEST(HostileValues, NonFiniteNumbersFailValidationWhereverTheyAre) {
  const json schema = {{"type", "object"}, {"additionalProperties", true}};
  json doc = {{"a", {{"b", {1.0, std::nan("")}}}}};
  const auto problems = validate_json(schema, doc);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("/a/b/1: not a finite number", 0), 0u) << problems[0];
  EXPECT_EQ(first_non_finite(doc), "/a/b/1");
  doc["a"]["b"][1] = 2.0;
  EXPECT_EQ(first_non_finite(doc), "");
  EXPECT_EQ(first_non_finite(json{{"x/y", std::numeric_limits<double>::infinity()}}), "/x~1y");
}

}  // namespace gpuscale
