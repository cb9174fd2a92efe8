// gpuscale compare across runs and GPU generations: ratio and % of peak arithmetic on hand-made
// documents, the noise verdicts and exit status on FIXTURE documents, the output formats, and runs of
// another schema version refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "compare_command.hpp"
#include "fixture_docs.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schemas.hpp"
#include "run_command.hpp"

namespace gpuscale {
using nlohmann::json;

namespace {

json gpu(const std::string& name, const std::string& sku, int index = 0) {
  return {{"index", index},
          {"name", name},
          {"uuid", "GPU-test-" + std::to_string(index)},
          {"sku", sku},
          {"sm_count", 108},
          {"compute_capability", "8.0"},
          {"memory_bytes", 85899345920LL},
          {"l2_bytes", 41943040}};
}

// An ok entry with `value` of `metric` and 10 samples 1% apart around 1 ms.
json ok(const std::string& id, const std::string& family, const std::string& metric, double value,
        json work = json::object()) {
  json samples = json::array();
  for (int i = 0; i < 10; ++i) samples.push_back(1e-3 * (1 + 0.01 * (i % 5 - 2) / 2));
  return {{"id", id},
          {"family", family},
          {"backend", "gpu"},
          {"gpu_index", 0},
          {"parameters", json::object()},
          {"status", "ok"},
          {"samples_s", samples},
          {"stats",
           {{"median_s", 1e-3},
            {"min_s", 0.99e-3},
            {"max_s", 1.01e-3},
            {"mean_s", 1e-3},
            {"stddev_s", 1e-5},
            {"cv", 0.01},
            {"n", 10}}},
          {"work", work},
          {"metrics", {{metric, value}}}};
}

json document(json gpus, json benchmarks) {
  const json system = {
      {"hostname", "h"}, {"cpu_model", "c"}, {"cpu_logical_cores", 1}, {"os", "o"}, {"kernel", "k"}};
  const json run = {{"id", "20260101T000000Z-0123abcd"},
                    {"started_utc", "2026-01-01T00:00:00Z"},
                    {"finished_utc", "2026-01-01T00:00:01Z"},
                    {"git_sha", "x"},
                    {"command_line", json::array()},
                    {"tool_version", "0"},
                    {"suite", "quick"},
                    {"backend", "gpu"},
                    {"note", "test document, not a measurement"}};
  json doc = {
      {"schema_version", 1}, {"run", run}, {"system", system}, {"gpus", gpus}, {"benchmarks", benchmarks}};
  const auto problems = validate_json(results_schema(), doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
  return doc;
}

const cli::FamilyRow* row(const std::vector<cli::FamilyRow>& rows, const std::string& benchmark) {
  for (const auto& r : rows)
    if (r.benchmark == benchmark) return &r;
  return nullptr;
}

}  // namespace

TEST(CompareRuns, RatioAndPercentOfEachSkusPeakAtTheLargestCommonSize) {
  // A100 80GB SXM (2039 GB/s, 312 BF16 TFLOPS) against H200 (4800 GB/s, 989.4): the H200's sweep
  // reaches 16 GiB, the A100's 4 GiB, so HBM is compared at 4 GiB.
  const json a100 =
      document({gpu("NVIDIA A100-SXM4-80GB", "a100-sxm-80gb")},
               {ok("memory/copy/bytes:1073741824/width:16", "memory", "bandwidth_gbps", 1700),
                ok("memory/copy/bytes:4294967296/width:16", "memory", "bandwidth_gbps", 1800),
                ok("memory/latency/bytes:1073741824", "memory", "latency_ns", 600),
                ok("gemm/mamf/precision:bf16", "gemm", "tflops", 270, {{"peak", "bf16_tensor"}})});
  const json h200 =
      document({gpu("NVIDIA H200", "h200-sxm-141gb")},
               {ok("memory/copy/bytes:1073741824/width:16", "memory", "bandwidth_gbps", 4000),
                ok("memory/copy/bytes:4294967296/width:16", "memory", "bandwidth_gbps", 4320),
                ok("memory/copy/bytes:17179869184/width:16", "memory", "bandwidth_gbps", 4400),
                ok("gemm/mamf/precision:bf16", "gemm", "tflops", 790, {{"peak", "bf16_tensor"}})});
  const auto rows = cli::compare_runs({a100, h200}, {{"a100-sxm-80gb", 1.8}, {"h200-sxm-141gb", 3.6}});
  const cli::FamilyRow* copy = row(rows, "copy/width:16");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->compared_at, "largest common size");
  ASSERT_EQ(copy->runs.size(), 2u);
  EXPECT_DOUBLE_EQ(copy->runs[0].at.size, 4294967296.0);
  EXPECT_DOUBLE_EQ(copy->runs[1].at.size, 4294967296.0);
  EXPECT_DOUBLE_EQ(copy->runs[1].at.value, 4320);
  EXPECT_DOUBLE_EQ(*copy->runs[0].ratio, 1.0);
  EXPECT_DOUBLE_EQ(*copy->runs[1].ratio, 4320.0 / 1800);                  // "1.4x ... 2.4x the A100 on HBM"
  EXPECT_NEAR(*copy->runs[0].at.pct_of_peak, 100 * 1800.0 / 2039, 1e-9);  // 88.3% of its own peak
  EXPECT_NEAR(*copy->runs[1].at.pct_of_peak, 100 * 4320.0 / 4800, 1e-9);  // 90.0% of its own peak
  EXPECT_DOUBLE_EQ(*copy->runs[0].per_dollar, 1800 / 1.8);                // 1000 GB/s per $/GPU-h
  EXPECT_DOUBLE_EQ(*copy->runs[1].per_dollar, 4320 / 3.6);                // 1200
  EXPECT_DOUBLE_EQ(*copy->runs[1].per_dollar_ratio, 1.2);
  EXPECT_EQ(copy->runs[1].verdict.verdict, cli::Verdict::faster);

  const cli::FamilyRow* mamf = row(rows, "mamf/precision:bf16");
  ASSERT_NE(mamf, nullptr);
  EXPECT_EQ(mamf->compared_at, "");
  EXPECT_DOUBLE_EQ(*mamf->runs[1].ratio, 790.0 / 270);
  EXPECT_NEAR(*mamf->runs[0].at.pct_of_peak, 100 * 270 / 312.0, 1e-9);
  EXPECT_NEAR(*mamf->runs[1].at.pct_of_peak, 100 * 790 / 989.4, 1e-9);

  const cli::FamilyRow* latency = row(rows, "latency");
  ASSERT_NE(latency, nullptr);
  EXPECT_TRUE(latency->runs[0].present);
  EXPECT_FALSE(latency->runs[1].present);
  EXPECT_FALSE(latency->runs[0].at.pct_of_peak);  // no datasheet peak for a latency
  EXPECT_FALSE(latency->runs[0].per_dollar);      // nor a throughput per dollar
}

TEST(CompareRuns, PlateausWhenTheRunsShareNoSize) {
  const json a = document({gpu("NVIDIA A100-SXM4-80GB", "a100-sxm-80gb")},
                          {ok("memory/copy/bytes:1073741824/width:16", "memory", "bandwidth_gbps", 1700),
                           ok("memory/copy/bytes:2147483648/width:16", "memory", "bandwidth_gbps", 1750)});
  const json b = document({gpu("NVIDIA H200", "h200-sxm-141gb")},
                          {ok("memory/copy/bytes:4294967296/width:16", "memory", "bandwidth_gbps", 4300)});
  const auto rows = cli::compare_runs({a, b}, {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].compared_at, "each run's largest size");
  EXPECT_DOUBLE_EQ(rows[0].runs[0].at.size, 2147483648.0);
  EXPECT_DOUBLE_EQ(rows[0].runs[1].at.size, 4294967296.0);
  EXPECT_DOUBLE_EQ(*rows[0].runs[1].ratio, 4300 / 1750.0);
}

TEST(CompareRuns, PricesAreSkusWithPositivePrices) {
  EXPECT_EQ(cli::parse_prices("a100-sxm-80gb=1.8,h200-sxm-141gb=3.5").size(), 2u);
  EXPECT_THROW(cli::parse_prices("a100=1.8"), std::invalid_argument);            // not a spec-table key
  EXPECT_THROW(cli::parse_prices("a100-sxm-80gb=0"), std::invalid_argument);     // not > 0
  EXPECT_THROW(cli::parse_prices("a100-sxm-80gb=1.8x"), std::invalid_argument);  // not a whole number
  EXPECT_THROW(cli::parse_prices("a100-sxm-80gb"), std::invalid_argument);
}

class CompareFixtures : public test::FixtureDir {
 protected:
  json compare_json(const std::string& files, int expected_exit, const std::string& opts = "") {
    const auto r = gpuscale("compare " + files + " --format json " + opts);
    if (expected_exit >= 0) EXPECT_EQ(r.exit_code, expected_exit) << r.err;  // -1: either
    json j;
    try {
      j = json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out.substr(0, 400);
      return json::object();
    }
    const auto problems = validate_json(schema("compare-output.schema.json"), j);
    EXPECT_TRUE(problems.empty()) << problems.front();
    return j;
  }
  // Every verdict of run 2 against run 1 in `family` (all families when empty).
  static std::vector<std::string> verdicts(const json& j, const std::string& family = "") {
    std::vector<std::string> v;
    for (const auto& f : j["families"])
      if (family.empty() || f["family"] == family)
        for (const auto& r : f["rows"])
          if (r["values"][1]["present"] && r["values"][0]["present"]) v.push_back(r["values"][1]["verdict"]);
    return v;
  }
};

TEST_F(CompareFixtures, TwoRunsOfTheSameSamplesAreTheSame) {
  const std::string a = fixture("h200.json", "--sku h200-sxm-141gb --gpus 8");
  const json j = compare_json(a + " " + a, 0);
  const auto v = verdicts(j);
  ASSERT_GT(v.size(), 20u);
  for (const auto& x : v) EXPECT_EQ(x, "same");
  EXPECT_TRUE(j["runs"][0]["fixture"].get<bool>());
}

TEST_F(CompareFixtures, APlantedTwentyPercentSlowdownIsSlowerAndARegression) {
  const std::string a = fixture("base.json", "--sku h100-sxm-80gb --gpus 8 --seed 1");
  const std::string b = fixture("slow.json", "--sku h100-sxm-80gb --gpus 8 --seed 2 --scale 0.8");
  const json j = compare_json(a + " " + b, 1);
  const auto v = verdicts(j);
  ASSERT_GT(v.size(), 20u);
  for (const auto& x : v) EXPECT_EQ(x, "slower");
  EXPECT_GT(j["per_benchmark"][0]["regressions"].get<int>(), 100);
  EXPECT_EQ(j["per_benchmark"][0]["lost"], 0);
  // The ratio is the planted 0.8 (within the noise).
  for (const auto& f : j["families"])
    for (const auto& r : f["rows"])
      if (r["values"][1]["present"] && r["values"][0]["present"] && r["higher_is_better"])
        EXPECT_NEAR(r["values"][1]["ratio_to_run1"].get<double>(), 0.8, 0.01) << r["benchmark"];
}

TEST_F(CompareFixtures, APlantedTwoPercentChangeInsideAFivePercentSpreadIsTheSame) {
  const std::string a = fixture("base.json", "--sku h100-sxm-80gb --gpus 8 --seed 1 --noise-pct 5");
  const std::string b =
      fixture("new.json", "--sku h100-sxm-80gb --gpus 8 --seed 2 --noise-pct 5 --scale 0.98");
  // The exit status is per entry (10 samples each): entries that drop beyond a threshold by chance
  // are mostly inside their noise. With the threshold at twice the noise nothing is flagged.
  const json j = compare_json(a + " " + b, 0, "--threshold-pct 10");
  EXPECT_EQ(j["per_benchmark"][0]["regressions"], 0);
  const json at5 = compare_json(a + " " + b, -1);
  EXPECT_GT(at5["per_benchmark"][0]["within_noise"].get<int>(),
            10 * at5["per_benchmark"][0]["regressions"].get<int>());
  const auto v = verdicts(j);
  ASSERT_GT(v.size(), 20u);
  for (const auto& x : v) EXPECT_EQ(x, "same");
  // The same 20% slowdown inside that spread is still slower.
  const std::string c =
      fixture("slow.json", "--sku h100-sxm-80gb --gpus 8 --seed 3 --noise-pct 5 --scale 0.8");
  for (const auto& x : verdicts(compare_json(a + " " + c, 1))) EXPECT_EQ(x, "slower");
}

TEST_F(CompareFixtures, GenerationsSideBySideWithPercentOfPeakAndPerDollar) {
  const std::string a100 = fixture("a100.json", "--sku a100-sxm-80gb --gpus 8");
  const std::string h100 = fixture("h100.json", "--sku h100-sxm-80gb --gpus 8");
  const std::string h200 = fixture("h200.json", "--sku h200-sxm-141gb --gpus 8");
  const json j = compare_json(a100 + " " + h100 + " " + h200, 0,
                              "--price a100-sxm-80gb=1.8,h100-sxm-80gb=2.5,h200-sxm-141gb=3.5");
  ASSERT_EQ(j["runs"].size(), 3u);
  int checked = 0;
  for (const auto& f : j["families"])
    for (const auto& r : f["rows"]) {
      const auto& v = r["values"];
      if (!v[0]["present"]) continue;
      const double base = v[0]["value"].get<double>();
      for (const auto& x : v) {
        if (!x["present"]) continue;
        EXPECT_NEAR(x["ratio_to_run1"].get<double>(), x["value"].get<double>() / base, 1e-9);
        if (x.contains("per_dollar_gpu_hour")) {
          const double price = j["runs"][x["run"].get<int>() - 1]["price_per_gpu_hour"].get<double>();
          EXPECT_NEAR(x["per_dollar_gpu_hour"].get<double>(), x["value"].get<double>() / price, 1e-9);
        }
        ++checked;
      }
    }
  EXPECT_GT(checked, 60);
  // HBM copy at 4 GiB: each run near its profile's published copy-like figure, as % of its own peak.
  for (const auto& f : j["families"])
    for (const auto& r : f["rows"])
      if (r["benchmark"] == "copy/width:16") {
        EXPECT_EQ(r["values"][2]["size_text"], "4 GiB");
        EXPECT_NEAR(r["values"][2]["pct_of_peak"].get<double>(),
                    100 * r["values"][2]["value"].get<double>() / 4800, 1e-9);
        EXPECT_NEAR(r["values"][0]["pct_of_peak"].get<double>(),
                    100 * r["values"][0]["value"].get<double>() / 2039, 1e-9);
      }
  // FP8 exists on Hopper only: present in runs 2 and 3, absent in run 1, no ratio.
  bool fp8 = false;
  for (const auto& f : j["families"])
    for (const auto& r : f["rows"])
      if (r["benchmark"] == "mamf/precision:fp8_e4m3/fast_accum:on") {
        fp8 = true;
        EXPECT_FALSE(r["values"][0]["present"].get<bool>());
        EXPECT_TRUE(r["values"][2]["present"].get<bool>());
        EXPECT_FALSE(r["values"][2].contains("ratio_to_run1"));
      }
  EXPECT_TRUE(fp8);
}

TEST_F(CompareFixtures, AnotherSkusSkipIsNotComparableButAnErrorIsLost) {
  const std::string h200 = fixture("h200.json", "--sku h200-sxm-141gb --gpus 1");
  const std::string a100 = fixture("a100.json", "--sku a100-sxm-80gb --gpus 1");
  // The A100 is slower everywhere (regressions: exit 1) and skips FP8 (no FP8 tensor cores): not lost.
  auto r = gpuscale("compare " + h200 + " " + a100);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("not comparable (skipped on run2's SKU)"), std::string::npos) << r.out.substr(0, 3000);
  const json j = compare_json(h200 + " " + a100, 1);
  EXPECT_GT(j["per_benchmark"][0]["not_comparable"].get<int>(), 0);
  EXPECT_EQ(j["per_benchmark"][0]["lost"], 0);
  EXPECT_EQ(r.out.find("LOST"), std::string::npos);
  EXPECT_NE(r.out.find("REGRESSION"), std::string::npos);
  // The other way round nothing regresses and nothing is lost.
  r = gpuscale("compare " + a100 + " " + h200);
  EXPECT_EQ(r.exit_code, 0) << r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0);
  // Of one SKU, an error where the base was ok is lost.
  json doc = read_json_file(h200);
  for (auto& b : doc["benchmarks"])
    if (b["id"] == "memory/copy/bytes:4294967296/width:16") {
      b["status"] = "error";
      b["reason"] = "planted";
      b.erase("metrics");
    }
  write_file_atomic(path("h200-error.json"), doc.dump());
  r = gpuscale("compare " + h200 + " " + path("h200-error.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("LOST (error: planted)"), std::string::npos);
}

TEST_F(CompareFixtures, RunsOfAnotherSchemaVersionAreRefusedByName) {
  const std::string a = fixture("a.json", "--sku h200-sxm-141gb --gpus 1");
  json doc = read_json_file(a);
  doc["schema_version"] = 2;
  write_file_atomic(path("v2.json"), doc.dump());
  const auto r = gpuscale("compare " + a + " " + path("v2.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(a + " is schema_version 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path("v2.json") + " is schema_version 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("this gpuscale reads schema_version 1"), std::string::npos) << r.err;
}

TEST_F(CompareFixtures, MarkdownCsvAndTableFormats) {
  const std::string a = fixture("a100.json", "--sku a100-sxm-80gb --gpus 2");
  const std::string b = fixture("h200.json", "--sku h200-sxm-141gb --gpus 2");
  auto md =
      gpuscale("compare " + a + " " + b + " --format markdown --price a100-sxm-80gb=1.8,h200-sxm-141gb=3.5");
  EXPECT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(
      md.out.find(
          "| benchmark | size | run | value | × run1 | % of peak | verdict vs run1 | per $/GPU-h | × run1 |"),
      std::string::npos)
      << md.out.substr(0, 1000);
  EXPECT_NE(md.out.find("**FIXTURE, not a measurement**"), std::string::npos);
  auto csv = gpuscale("compare " + a + " " + b + " --format=csv");
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(
      header.rfind(
          "section,family,benchmark,metric,unit,size,run,file,sku,value,ratio_to_run1,pct_of_peak,verdict",
          0),
      0u);
  const auto columns = std::count(header.begin(), header.end(), ',');
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), columns) << line;
  }
  EXPECT_GT(rows, 20);
  auto table = gpuscale("compare " + a + " " + b);
  EXPECT_NE(table.out.find("== memory:"), std::string::npos);
  EXPECT_NE(table.out.find("[FIXTURE, not a measurement]"), std::string::npos);
  EXPECT_EQ(gpuscale("compare " + a + " " + b + " --format xml").exit_code, 2);
  EXPECT_EQ(gpuscale("compare " + a + " " + b + " --price a100=2").exit_code, 2);
  EXPECT_EQ(gpuscale("compare " + a).exit_code, 2);
}

}  // namespace gpuscale
