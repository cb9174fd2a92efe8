#include "gpuscale/core/results.hpp"

#include <gtest/gtest.h>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale {

using nlohmann::json;

static BenchmarkEntry copy_entry() {
  BenchmarkEntry e;
  e.id = "memory/copy/bytes:1073741824/width:16";
  e.family = "memory";
  e.gpu_index = 0;
  e.parameters = {{"op", "copy"}, {"bytes", 1073741824}, {"width_bytes", 16}};
  e.samples_s = {0.5e-3, 0.5e-3, 0.5e-3};
  e.work.bytes_read = 1073741824.0;
  e.work.bytes_written = 1073741824.0;
  e.environment = Environment{1700, 1755, 2619, 60, 500, 10, false};
  return e;
}

TEST(Results, DerivedMetricsComeFromSamplesAndWork) {
  BenchmarkEntry e = copy_entry();
  derive_metrics(e, find_spec_by_key("h200-sxm-141gb"), 1980);
  ASSERT_TRUE(e.stats.has_value());
  EXPECT_DOUBLE_EQ(e.stats->median, 0.5e-3);
  EXPECT_NEAR(e.metrics.at("bandwidth_gbps"), 4294.967296, 1e-6);
  EXPECT_NEAR(e.metrics.at("pct_of_peak"), 4294.967296 / 4800 * 100, 1e-6);
  // min SM clock 1700 < 0.9 x 1980 = 1782: throttled.
  EXPECT_TRUE(e.environment->throttled);
}

TEST(Results, FlopsGiveTflopsPercentAndEfficiency) {
  BenchmarkEntry e;
  e.id = "gemm/bf16/m:8192/n:8192/k:8192";
  e.family = "gemm";
  e.samples_s = {1.4e-3};
  e.work.flops = 2.0 * 8192 * 8192 * 8192;
  e.work.peak = "bf16_tensor";
  e.environment = Environment{1800, 1830, 2619, 60, 650, 5, false};  // 1800 >= 0.9 x 1980
  derive_metrics(e, find_spec_by_key("h100-sxm-80gb"), 1980);
  EXPECT_NEAR(e.metrics.at("tflops"), 785.3654484, 1e-6);
  // The bare unit names are valid metric names in the schema.
  RunInfo run{make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc", {}, "0.1.0"};
  const json doc = make_document(run, make_system_json(read_host_info(), {}), {}, {e});
  const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/results.schema.json");
  const auto errors = validate_json(schema, doc);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_NEAR(e.metrics.at("pct_of_peak"), 785.3654484 / 989.4 * 100, 1e-6);
  EXPECT_NEAR(e.metrics.at("clock_normalised_efficiency_pct"), 785.3654484e12 / (132.0 * 4096 * 1830e6) * 100,
              1e-6);
  EXPECT_FALSE(e.environment->throttled);
}

TEST(Results, CollectiveAndLatencyMetrics) {
  BenchmarkEntry e;
  e.id = "collective/host/all_reduce/dtype:fp32/bytes:1048576/ranks:4";
  e.family = "collective";
  e.backend = "host";
  e.samples_s = {1e-3};
  e.work.message_bytes = 1e6;
  e.work.bus_factor = 1.5;
  derive_metrics(e, nullptr);
  EXPECT_DOUBLE_EQ(e.metrics.at("algbw_gbps"), 1.0);
  EXPECT_DOUBLE_EQ(e.metrics.at("busbw_gbps"), 1.5);
  EXPECT_EQ(e.metrics.count("pct_of_peak"), 0u);

  // One rank: all_reduce's factor is 0, and busbw is reported as 0, not left out.
  e.work.bus_factor = bus_factor("all_reduce", 1);
  derive_metrics(e, nullptr);
  EXPECT_DOUBLE_EQ(e.metrics.at("algbw_gbps"), 1.0);
  EXPECT_DOUBLE_EQ(e.metrics.at("busbw_gbps"), 0.0);
  EXPECT_EQ(to_json(e)["work"]["bus_factor"], 0.0);

  BenchmarkEntry l;
  l.id = "memory/latency/bytes:4096";
  l.family = "memory";
  l.samples_s = {1e-3};
  l.work.loads = 1e6;
  derive_metrics(l, nullptr);
  EXPECT_DOUBLE_EQ(l.metrics.at("latency_ns"), 1.0);
}

TEST(Results, ErrorEntriesReportNoNumbers) {
  BenchmarkEntry e = copy_entry();
  e.status = Status::error;
  e.reason = "validation failed: element 17 is 0, expected 1.5";
  derive_metrics(e, find_spec_by_key("h200-sxm-141gb"));
  EXPECT_TRUE(e.metrics.empty());
}

TEST(Results, DocumentRoundTripsAndMatchesSchema) {
  BenchmarkEntry e = copy_entry();
  derive_metrics(e, find_spec_by_key("h200-sxm-141gb"), 1980);
  BenchmarkEntry skipped;
  skipped.id = "memory/copy/bytes:274877906944/width:16";
  skipped.family = "memory";
  skipped.status = Status::skipped;
  skipped.reason = "needs 512 GiB, 139 GiB free";
  GpuInfo g;
  g.name = "NVIDIA H200";
  g.uuid = "GPU-00000000-0000-0000-0000-000000000000";
  g.sku = sku_key_for(g.name);
  g.sm_count = 132;
  g.cc_major = 9;
  g.memory_bytes = 150ull << 30;
  g.l2_bytes = 50ull << 20;
  g.pcie = PcieInfo{5, 5, 16, 16};
  RunInfo run{make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc123", {"gpuscale", "run"}, "0.1.0"};
  const json doc = make_document(run, make_system_json(read_host_info(), {}), {g}, {e, skipped});
  const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/results.schema.json");
  const auto errors = validate_json(schema, doc);
  EXPECT_TRUE(errors.empty()) << errors.front();

  const json reparsed = json::parse(doc.dump());
  BenchmarkEntry back = benchmark_entry_from_json(reparsed["benchmarks"][0]);
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.samples_s, e.samples_s);
  EXPECT_DOUBLE_EQ(back.metrics.at("bandwidth_gbps"), e.metrics.at("bandwidth_gbps"));
  EXPECT_EQ(back.stats->n, 3u);
  EXPECT_EQ(to_json(back), to_json(e));
  EXPECT_EQ(benchmark_entry_from_json(reparsed["benchmarks"][1]).status, Status::skipped);
}

TEST(Results, GpuInfoRoundTripsWithItsNodeAndRank) {
  GpuInfo g;
  g.index = 3;
  g.name = "NVIDIA H100 80GB HBM3";
  g.uuid = "GPU-11111111-2222-3333-4444-555555555555";
  g.pci_bus_id = "00000000:19:00.0";
  g.sku = "h100-sxm-80gb";
  g.sm_count = 132;
  g.cc_major = 9;
  g.memory_bytes = 85520809984ull;
  g.memory_free_bytes = 84987740160ull;
  g.l2_bytes = 50ull << 20;
  g.max_sm_clock_mhz = 1980;
  g.ecc_enabled = true;
  g.numa_node = 0;
  g.pcie = PcieInfo{5, 5, 16, 16};
  g.host = "node-7";
  g.rank = 11;
  GpuHealth h;
  h.ecc_uncorrected_volatile = 0;
  h.ecc_corrected_volatile = 12;
  h.ecc_uncorrected_aggregate = 1;
  h.remapped_rows_uncorrectable = 1;
  h.row_remap_pending = false;
  h.row_remap_failed = false;
  h.nvlink_links = 18;
  h.nvlink_links_active = 17;
  g.health = h;
  const json j = to_json(g);
  EXPECT_EQ(j["health"]["ecc_corrected_volatile"], 12);
  EXPECT_EQ(j["health"]["nvlink_links_active"], 17);
  EXPECT_FALSE(j["health"].contains("remapped_rows_correctable"));  // not reported: left out
  EXPECT_EQ(j["host"], "node-7");
  EXPECT_EQ(j["rank"], 11);
  EXPECT_EQ(to_json(gpu_info_from_json(j)), j);
  // A single-process run leaves both out.
  GpuInfo local = g;
  local.host.clear();
  local.rank.reset();
  EXPECT_FALSE(to_json(local).contains("host"));
  EXPECT_FALSE(to_json(local).contains("rank"));
  EXPECT_THROW(gpu_info_from_json(json{{"index", 0}}), std::exception);

  // The job's extent: ranks, and every node once in rank order; the document still validates.
  json system = make_system_json(read_host_info(), {});
  add_job_extent(system, 4, {"node-1", "node-1", "node-2", "node-2"});
  EXPECT_EQ(system["ranks"], 4);
  EXPECT_EQ(system["hosts"], json({"node-1", "node-2"}));
  RunInfo run{make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc123", {"gpuscale", "run"}, "0.1.0"};
  const json doc = make_document(run, system, {g}, {});
  const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/results.schema.json");
  const auto errors = validate_json(schema, doc);
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(Results, ClockEventReasonsHaveNvmlNames) {
  EXPECT_TRUE(clock_event_names(0).empty());
  EXPECT_EQ(clock_event_names(0x4 | 0x40), (std::vector<std::string>{"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_EQ(clock_event_names(0x1 | 0x8 | 0x80),
            (std::vector<std::string>{"gpu_idle", "hw_slowdown", "hw_power_brake_slowdown"}));
  EXPECT_EQ(clock_event_names(1ull << 40), (std::vector<std::string>{"bit_40"}));

  // They travel with the environment: absent (not reported), empty (no reason), or listed.
  BenchmarkEntry e = copy_entry();
  Environment env;
  env.samples = 10;
  e.environment = env;
  EXPECT_FALSE(to_json(e)["environment"].contains("clock_events"));
  e.environment->clock_events = std::vector<std::string>{};
  EXPECT_EQ(to_json(e)["environment"]["clock_events"], json::array());
  e.environment->clock_events = clock_event_names(0x4);
  const json j = to_json(e);
  EXPECT_EQ(benchmark_entry_from_json(j).environment->clock_events, clock_event_names(0x4));
  const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/results.schema.json");
  json doc =
      make_document({make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc", {"gpuscale"}, "0.1.0"},
                    make_system_json(read_host_info(), {}), {}, {e});
  EXPECT_TRUE(validate_json(schema, doc).empty()) << validate_json(schema, doc).front();
  doc["benchmarks"][0]["environment"]["clock_events"] = json::array({"sw_power_cap", "sw_power_cap"});
  EXPECT_FALSE(validate_json(schema, doc).empty());  // a reason listed twice
  doc["benchmarks"][0]["environment"]["clock_events"] = json::array({"Power Cap!"});
  EXPECT_FALSE(validate_json(schema, doc).empty());
}

TEST(Results, SchemaRejectsUnitlessMetricsAndBadStatus) {
  const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + "/results.schema.json");
  BenchmarkEntry e = copy_entry();
  derive_metrics(e, nullptr);
  RunInfo run{make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc", {}, "0.1.0"};
  json doc = make_document(run, make_system_json(read_host_info(), {}), {}, {e});
  doc["benchmarks"][0]["metrics"]["bandwidth"] = 1.0;
  doc["benchmarks"][0]["status"] = "passed";
  const auto errors = validate_json(schema, doc);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("/benchmarks/0/"), std::string::npos);
}

TEST(Results, ParseNamesTheMissingField) {
  json j = to_json(copy_entry());
  j["stats"] = {{"median_s", 1.0}};
  try {
    benchmark_entry_from_json(j);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("/stats/min_s"), std::string::npos) << err.what();
  }
}

}  // namespace gpuscale
