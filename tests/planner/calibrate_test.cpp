// Calibration from synthetic results documents with known coefficients.
#include "gpuscale/planner/calibrate.hpp"

#include <gtest/gtest.h>

#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/synthetic_results.hpp"

using namespace gpuscale::planner;
using gpuscale::planner::synthetic::default_truth;
using gpuscale::planner::synthetic::results_doc;

TEST(Calibrate, RecoversKnownCoefficientsWithRunIds) {
  const auto tr = default_truth();
  const auto p = calibrate({{"a.json", results_doc(tr, "20250101T000000Z-aaaaaaaa")},
                            {"b.json", results_doc(tr, "20250102T000000Z-bbbbbbbb")}});
  EXPECT_EQ(p.kind, "measured");
  EXPECT_EQ(p.sku, "h100-sxm-80gb");
  ASSERT_EQ(p.run_ids.size(), 2u);
  const auto& g = p.gemm.at("bf16");
  EXPECT_EQ(g.source.kind, "measured");
  EXPECT_EQ(g.source.run_ids, p.run_ids);
  EXPECT_NEAR(g.efficiency, tr.gemm.efficiency, 0.02);
  EXPECT_LT(g.fit.rms_rel_error, 0.02);
  EXPECT_GT(g.fit.holdout_points, 0);
  EXPECT_NEAR(p.memory.at("copy").bandwidth_gbps, tr.mem_gbps, 1);
  EXPECT_NEAR(p.memory.at("copy").alpha_s, tr.mem_alpha_s, 1e-8);
  const auto* ar = p.collective("all_reduce", 8);
  ASSERT_NE(ar, nullptr);
  EXPECT_EQ(ar->ab.source.kind, "measured");
  EXPECT_NEAR(ar->ab.bandwidth_gbps, tr.ar_algbw_gbps, 0.1);
  EXPECT_NEAR(ar->ab.alpha_s, tr.ar_alpha_s, 1e-8);
  EXPECT_NEAR(ar->busbw_gbps(), tr.ar_algbw_gbps * 1.75, 0.2);
  EXPECT_NEAR(p.transfer.at("h2d").bandwidth_gbps, tr.h2d_gbps, 0.01);
  EXPECT_EQ(p.usable.context_bytes, 85520809984ULL - 84987740160ULL);
  // What was not measured keeps its datasheet source.
  EXPECT_NE(p.gemm.at("fp8_e4m3").source.kind, "measured");
  EXPECT_NE(p.memory.at("read").source.kind, "measured");
}

TEST(Calibrate, NoisyMeasurementsStillFitWithinTolerance) {
  const auto tr = default_truth();
  const auto p = calibrate({{"a.json", results_doc(tr, "20250101T000000Z-aaaaaaaa", 0.03)}});
  const auto& g = p.gemm.at("bf16");
  EXPECT_NEAR(g.efficiency, tr.gemm.efficiency, 0.05);
  EXPECT_LT(g.fit.rms_rel_error, 0.05);
  EXPECT_LT(g.fit.holdout_rms_rel_error, 0.08);
  EXPECT_NEAR(p.memory.at("copy").bandwidth_gbps, tr.mem_gbps, tr.mem_gbps * 0.05);
}

TEST(Calibrate, ProfileRoundTripsAndMatchesItsSchema) {
  const auto p = calibrate({{"a.json", results_doc(default_truth(), "20250101T000000Z-aaaaaaaa")}});
  const auto j = profile_to_json(p);
  EXPECT_TRUE(gpuscale::validate_json(profile_schema(), j).empty());
  const auto back = profile_from_json(j, "p.json");
  EXPECT_DOUBLE_EQ(back.gemm.at("bf16").efficiency, p.gemm.at("bf16").efficiency);
  EXPECT_EQ(back.collectives.size(), p.collectives.size());
  for (const auto& s : gpuscale::spec_table()) {
    const auto d = profile_to_json(datasheet_profile(s));
    EXPECT_TRUE(gpuscale::validate_json(profile_schema(), d).empty()) << s.key;
  }
}

TEST(Calibrate, EndToEndEfficiencyHasItsSourceAndSurvivesJson) {
  // Built in: the architecture's published run (datasheet), else the nearest architecture's (assumed).
  const auto h100 = datasheet_profile(*gpuscale::find_spec_by_key("h100-sxm-80gb"));
  const auto a100 = datasheet_profile(*gpuscale::find_spec_by_key("a100-sxm-80gb"));
  const auto l40s = datasheet_profile(*gpuscale::find_spec_by_key("l40s-48gb"));
  EXPECT_EQ(h100.end_to_end_source.kind, "datasheet");
  EXPECT_NE(h100.end_to_end_source.citation.find("fms-fsdp"), std::string::npos);
  EXPECT_EQ(l40s.end_to_end_source.kind, "assumed");
  EXPECT_DOUBLE_EQ(l40s.end_to_end_efficiency, a100.end_to_end_efficiency);
  for (const auto& r : end_to_end_references()) {
    EXPECT_GT(r.efficiency, 0.5) << r.architecture;
    EXPECT_LE(r.efficiency, 1.0) << r.architecture;
  }
  // A measured profile keeps the datasheet value and its citation (gpuscale does not measure it).
  const auto p = calibrate({{"a.json", results_doc(default_truth(), "20250101T000000Z-aaaaaaaa")}});
  auto j = profile_to_json(p);
  EXPECT_DOUBLE_EQ(profile_from_json(j, "p.json").end_to_end_efficiency, p.end_to_end_efficiency);
  // Written before the field existed: the SKU's built-in value.
  j.erase("training");
  EXPECT_DOUBLE_EQ(profile_from_json(j, "p.json").end_to_end_efficiency,
                   datasheet_profile(*p.spec).end_to_end_efficiency);
  // Out of (0, 1]: the schema names the field.
  j = profile_to_json(p);
  j["training"]["end_to_end_efficiency"] = 0;
  try {
    profile_from_json(j, "p.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("end_to_end_efficiency"), std::string::npos) << e.what();
  }
}

TEST(Calibrate, RejectsMixedSkusAndOtherSchemaVersions) {
  const auto tr = default_truth();
  try {
    calibrate({{"a.json", results_doc(tr, "20250101T000000Z-aaaaaaaa")},
               {"b.json", results_doc(tr, "20250101T000000Z-bbbbbbbb", 0, "a100-sxm-80gb")}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "b.json");
    EXPECT_EQ(e.field(), "/gpus/0/sku");
  }
  auto j = profile_to_json(datasheet_profile(*gpuscale::find_spec_by_key("h100-sxm-80gb")));
  j["schema_version"] = 2;
  try {
    profile_from_json(j, "old.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "schema_version");
  }
  auto doc = results_doc(tr, "20250101T000000Z-aaaaaaaa");
  doc["benchmarks"][0]["stats"]["median_s"] = "fast";
  try {
    calibrate({{"bad.json", doc}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "bad.json");
    EXPECT_EQ(e.field(), "/benchmarks/0/stats/median_s");
  }
}

// A GPU run's pointer chase (memory/latency/bytes:N) carries latency_ns and no bandwidth_gbps: it is
// no bandwidth point and the profile has no latency field, so calibration leaves it out instead of
// rejecting the whole document.
TEST(Calibrate, LeavesPointerChaseLatencyEntriesOut) {
  using gpuscale::planner::synthetic::bench;
  const auto tr = default_truth();
  auto doc = results_doc(tr, "20250101T000000Z-aaaaaaaa");
  const auto without = calibrate({{"a.json", doc}});
  for (double bytes : {16384.0, 4194304.0, 268435456.0}) {
    const double loads = 262144, t = loads * 600e-9;
    doc["benchmarks"].push_back(bench(
        "memory/latency/bytes:" + std::to_string(static_cast<long long>(bytes)), "memory",
        {{"op", "pointer_chase"}, {"bytes", bytes}, {"stride_bytes", 64}, {"loads", loads}, {"batch", 1}}, t,
        {{"latency_ns", t / loads * 1e9}}));
  }
  const auto p = calibrate({{"a.json", doc}});
  EXPECT_EQ(p.memory.size(), without.memory.size());
  EXPECT_EQ(p.memory.count("pointer_chase"), 0u);
  EXPECT_DOUBLE_EQ(p.memory.at("copy").bandwidth_gbps, without.memory.at("copy").bandwidth_gbps);
  EXPECT_TRUE(gpuscale::validate_json(profile_schema(), profile_to_json(p)).empty());
  // A bandwidth benchmark without its bandwidth is still refused, naming the field.
  doc["benchmarks"].push_back(bench("memory/copy/bytes:1048576/width:16", "memory",
                                    {{"op", "copy"}, {"bytes", 1048576.0}, {"width_bytes", 16}}, 1e-5,
                                    nlohmann::json::object()));
  try {
    calibrate({{"a.json", doc}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(),
              "/benchmarks/" + std::to_string(doc["benchmarks"].size() - 1) + "/metrics/bandwidth_gbps");
  }
}

// A collective core has no bus factor for (a bench_collectives op added later) stays out of the
// profile instead of failing the calibration.
TEST(Calibrate, LeavesCollectivesWithoutABusFactorOut) {
  const auto tr = default_truth();
  auto doc = results_doc(tr, "20250101T000000Z-aaaaaaaa");
  const auto without = calibrate({{"a.json", doc}});
  nlohmann::json extra = nlohmann::json::array();
  for (const auto& b : doc["benchmarks"])
    if (b["family"] == "collective" && b["parameters"]["collective"] == "all_reduce") {
      auto g = b;
      g["parameters"]["collective"] = "gather";
      g["id"] = std::string(b["id"]).replace(std::string(b["id"]).find("all_reduce"), 10, "gather");
      extra.push_back(g);
    }
  ASSERT_FALSE(extra.empty());
  for (auto& g : extra) doc["benchmarks"].push_back(g);
  const auto p = calibrate({{"a.json", doc}});
  EXPECT_EQ(p.collectives.size(), without.collectives.size());
  for (const auto& c : p.collectives) EXPECT_NE(c.op, "gather");
  EXPECT_TRUE(gpuscale::validate_json(profile_schema(), profile_to_json(p)).empty());
}

// bench_transfer names its both-ways copy "bidir" and counts 2 x bytes; the profile's key is
// "bidirectional" (its schema has no "bidir"), fitted over the bytes of both directions.
TEST(Calibrate, BidirTransfersFitTheBidirectionalEntry) {
  using gpuscale::planner::synthetic::bench;
  auto doc = results_doc(default_truth(), "20250101T000000Z-aaaaaaaa");
  const double alpha = 15e-6, both_ways_gbps = 90;
  for (double bytes = 4096; bytes <= double(1ull << 30); bytes *= 16) {
    const double t = alpha + 2 * bytes / (both_ways_gbps * 1e9);
    doc["benchmarks"].push_back(
        bench("transfer/bidir/memory:pinned/engine:copy_engine/bytes:" +
                  std::to_string(static_cast<long long>(bytes)),
              "transfer",
              {{"direction", "bidir"}, {"memory", "pinned"}, {"engine", "copy_engine"}, {"bytes", bytes}}, t,
              {{"bandwidth_gbps", 2 * bytes / t / 1e9}}));
  }
  const auto p = calibrate({{"a.json", doc}});
  EXPECT_EQ(p.transfer.count("bidir"), 0u);
  ASSERT_EQ(p.transfer.count("bidirectional"), 1u);
  EXPECT_NEAR(p.transfer.at("bidirectional").bandwidth_gbps, both_ways_gbps, 0.01);
  EXPECT_NEAR(p.transfer.at("bidirectional").alpha_s, alpha, 1e-8);
  EXPECT_TRUE(gpuscale::validate_json(profile_schema(), profile_to_json(p)).empty());
}

TEST(Calibrate, MeasuredProfileDrivesThePlan) {
  auto tr = default_truth();
  const auto fast = calibrate({{"a.json", results_doc(tr, "20250101T000000Z-aaaaaaaa")}});
  tr.gemm.efficiency = 0.36;  // half the GEMM rate
  const auto slow = calibrate({{"a.json", results_doc(tr, "20250101T000000Z-aaaaaaaa")}});
  Scenario s = parse_scenario({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"seq_len", 4096}}, "t");
  s.gpu = fast;
  const double t_fast = plan_time(s).t.gemm;
  s.gpu = slow;
  EXPECT_NEAR(plan_time(s).t.gemm / t_fast, 2.0, 0.1);
}

TEST(Calibrate, CalibratedProfileDrivesAFullPlan) {
  // The latency target (calibration + plan < 100 ms) is bench_planner's; this checks the result.
  const auto doc = results_doc(default_truth(), "20250101T000000Z-aaaaaaaa", 0.01);
  const auto p = calibrate({{"a.json", doc}});
  Scenario s = parse_scenario({{"model", "llama-3.1-70b"},
                               {"gpu", "h100-sxm-80gb"},
                               {"method", "qlora"},
                               {"seq_len", 4096},
                               {"gpus_per_node", 8},
                               {"sharding", "zero3"}},
                              "t");
  s.gpu = p;
  const auto r = plan(s);
  EXPECT_GT(r.time.tokens_per_s_per_gpu, 0);
  EXPECT_EQ(r.scenario.gpu.kind, "measured");
}
