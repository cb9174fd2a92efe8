// compare's verdicts and report's charts on documents that are valid but hostile: a new run that
// lost benchmarks must fail the comparison; absurd sizes in ids must not hang the report.
#include <gtest/gtest.h>

#include <filesystem>

#include "command.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "minimal_document.hpp"
#include "run_command.hpp"
#include "temp_dir.hpp"

namespace gpuscale {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_command_line;

namespace {

json entry(const std::string& id, double gbps, const std::string& status = "ok") {
  json e = {{"id", id},
            {"family", "memory"},
            {"backend", "gpu"},
            {"gpu_index", 0},
            {"parameters", json::object()},
            {"status", status},
            {"samples_s", {0.001, 0.001}}};
  if (status == "ok")
    e["metrics"] = {{"bandwidth_gbps", gbps}};
  else
    e["reason"] = "planted";
  return e;
}

json document(json benchmarks) {
  json doc = test::minimal_document(std::move(benchmarks));
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  return doc;
}

class Verdicts : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    base_ = save("base.json", document({entry("memory/copy/bytes:1048576/width:16", 1000),
                                        entry("memory/copy/bytes:4194304/width:16", 2000)}));
  }
  std::string save(const std::string& name, const json& doc) {
    const std::string p = (dir_ / name).string();
    write_file_atomic(p, doc.dump());
    return p;
  }
  test::CommandResult compare(const std::string& now, const std::string& opts = "") {
    return run_command_line(std::string(GPUSCALE_BIN) + " compare " + base_ + " " + now + " " + opts);
  }
  std::string base_;
};

}  // namespace

TEST_F(Verdicts, CompareOfTheSameRunPasses) {
  auto r = compare(base_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 benchmarks compared, 0 regression(s) beyond 5%, 0 lost"), std::string::npos)
      << r.out;
}

TEST_F(Verdicts, ANewRunThatErroredEverywhereFails) {
  auto r = compare(save("now.json", document({entry("memory/copy/bytes:1048576/width:16", 0, "error"),
                                              entry("memory/copy/bytes:4194304/width:16", 0, "not_run")})));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("LOST (error: planted)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LOST (not_run: planted)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("no benchmark that ran ok"), std::string::npos) << r.err;
}

TEST_F(Verdicts, ANewRunWithNoBenchmarksFails) {
  auto r = compare(save("now.json", document(json::array())));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("0 benchmarks compared, 0 regression(s) beyond 5%, 2 lost"), std::string::npos)
      << r.out;
}

TEST_F(Verdicts, AMissingBenchmarkOrMetricFailsWhateverTheThreshold) {
  json now = document(
      {entry("memory/copy/bytes:1048576/width:16", 1000), entry("memory/copy/bytes:4194304/width:16", 2000)});
  now["benchmarks"][1]["metrics"] = {{"time_s", 0.001}};  // the base's bandwidth_gbps is gone
  auto r = compare(save("now.json", now), "--threshold-pct 50");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("LOST (no bandwidth_gbps)"), std::string::npos) << r.out;
  now["benchmarks"].erase(1);
  r = compare(save("now2.json", now), "--threshold-pct=50");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("LOST (missing)"), std::string::npos) << r.out;
}

TEST_F(Verdicts, ThresholdMustBeAWholeFiniteNumber) {
  for (const char* bad : {"nan", "3abc", "-1", "inf", ""}) {
    auto r = compare(base_, std::string("--threshold-pct=") + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    // An empty `--threshold-pct=` is a missing value to the parser; named by its flag all the same.
    EXPECT_NE(r.err.find(*bad ? "--threshold-pct: '" + std::string(bad) + "'"
                              : "gpuscale compare: --threshold-pct: "),
              std::string::npos)
        << r.err;
  }
  auto r = compare(base_, "--threshold-pct ''");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threshold-pct: ''"), std::string::npos) << r.err;
  EXPECT_EQ(compare(base_, "--threshold-pct=3").exit_code, 0);
  EXPECT_EQ(compare(base_, "--threshold-pct 3").exit_code, 0);
}

TEST_F(Verdicts, ReportSkipsAbsurdSizesInsteadOfLoopingForever) {
  const std::string doc = save("odd.json", document({entry("memory/copy/bytes:0/width:16", 100),
                                                     entry("memory/copy/bytes:inf/width:16", 100),
                                                     entry("memory/copy/bytes:abc/width:16", 100),
                                                     entry("memory/copy/bytes:1048576/width:16", 1e308),
                                                     entry("memory/copy/bytes:2097152/width:16", 1000),
                                                     entry("memory/copy/bytes:4194304/width:16", 2000)}));
  const std::string html = (dir_ / "odd.html").string();
  // `timeout` turns the old infinite loop into a failure instead of a hung test run.
  auto r = run_command_line("timeout 60 " + std::string(GPUSCALE_BIN) + " report " + doc + " -o " + html);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::slurp(html);
  EXPECT_NE(page.find("<polyline"), std::string::npos);
  EXPECT_EQ(page.find("nan"), std::string::npos)
      << page.substr(page.find("nan") > 200 ? page.find("nan") - 200 : 0, 260);
  EXPECT_EQ(page.find("inf\""), std::string::npos);
}

}  // namespace gpuscale
