// The contract between the GPU bench binaries and calibration (label contract; CUDA builds; no GPU
// needed). For the quick and the full suite, every id a bench binary lists for its GPU backend gets
// its entry from the host functions the binary's GPU bodies call themselves (*_entry for the id and
// parameters, *_work for the declared work), from the same case lists its registration walks. With
// synthetic positive samples, core's derive_metrics, the merge `gpuscale run` does, the results
// schema, calibration, the profile schema and one plan from that profile must all accept them, and
// every number that comes out must be finite.
//
// What it guards: a shape a binary can emit that calibration rejects (the first H200 run: pointer
// chases carry latency_ns and no bandwidth_gbps) is found here, not on the GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "gpu_entries.hpp"
#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/planner/calibrate.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/profile.hpp"
#include "gpuscale/planner/scenario.hpp"
#include "run_command.hpp"

namespace gpuscale::bench {
namespace {

using nlohmann::json;

// The GPU the synthetic run describes: an H200 (132 SMs, compute capability 9.0).
constexpr int kSms = 132;
constexpr int kCcMajor = 9, kCcMinor = 0;
constexpr double kMaxSmClockMhz = 1980;

GpuInfo h200() {
  GpuInfo g;
  g.index = 0;
  g.name = "NVIDIA H200";
  g.uuid = "GPU-00000000-0000-0000-0000-000000000000";
  g.pci_bus_id = "00000000:19:00.0";
  g.memory_bytes = 150754820096ull;
  g.sku = sku_key_for(g.name, g.memory_bytes);
  g.sm_count = kSms;
  g.cc_major = kCcMajor;
  g.cc_minor = kCcMinor;
  g.memory_free_bytes = g.memory_bytes - 536870912ull;
  g.l2_bytes = 50331648;
  g.max_sm_clock_mhz = kMaxSmClockMhz;
  return g;
}

// --- the ids a binary lists ------------------------------------------------------------------

std::vector<std::string> listed_ids(const std::string& binary, const std::string& suite) {
  const auto r = test::run_command_line(binary + " --benchmark_list_tests=true --suite=" + suite);
  EXPECT_EQ(r.exit_code, 0) << binary << " --suite=" << suite << ": " << r.err;
  std::vector<std::string> ids;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(cli::id_from_listed_name(line));
  return ids;
}

// The value of axis `name` in a listed id ("" when absent).
std::string axis(const std::string& id, const std::string& name) {
  for (const auto& [k, v] : BenchmarkId::parse(id).axes)
    if (k == name) return v;
  return {};
}

// --- synthetic samples ----------------------------------------------------------------------

// Seconds for one sample of `w` on a plausible H200: a fixed cost plus the work at a fixed rate.
double synthetic_seconds(const BenchmarkEntry& e, const GpuSpec& spec) {
  const Work& w = e.work;
  if (w.loads > 0) return w.loads * 600e-9;                         // pointer chase
  if (w.message_bytes > 0) return 20e-6 + w.message_bytes / 150e9;  // collective
  if (w.flops > 0) {
    const auto peak = peak_from_string(w.peak);
    const double rate = peak && spec.peak(*peak) > 0 ? 0.6 * spec.peak(*peak) * 1e12 : 50e12;
    return 5e-6 + w.flops / rate;
  }
  const double bytes = w.bytes_read + w.bytes_written;
  if (e.family == "transfer") return 10e-6 + bytes / 50e9;
  return 3e-6 + bytes / 4e12;  // memory
}

void add_samples(BenchmarkEntry& e, const GpuSpec& spec) {
  if (e.status != Status::ok) return;
  const double t = synthetic_seconds(e, spec);
  for (double f : {1.0, 1.01, 0.99, 1.02, 0.98}) e.samples_s.push_back(t * f);
  Environment env;
  env.sm_clock_mhz_min = 1950;
  env.sm_clock_mhz_median = 1980;
  env.memory_clock_mhz_median = 2619;
  env.temperature_c_max = 61;
  env.power_w_median = 610;
  env.samples = 12;
  e.environment = env;
  derive_metrics(e, &spec, kMaxSmClockMhz);
}

// Every number in `j` is finite; `where` names the first one that is not.
std::string first_non_finite(const json& j, const std::string& where = "") {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return where.empty() ? "/" : where;
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (auto bad = first_non_finite(v, where + "/" + k); !bad.empty()) return bad;
  if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i)
      if (auto bad = first_non_finite(j[i], where + "/" + std::to_string(i)); !bad.empty()) return bad;
  return {};
}

// The memory ops the profile schema lists (properties/memory_bandwidth/propertyNames/enum).
// The bandwidth ops the GPU memory benchmarks emit (pointer chases are latency: calibrate skips them).
std::set<std::string> emitted_memory_ops() {
  std::set<std::string> ops;
  for (const std::string suite : {"quick", "full"})
    for (const auto& e : fixtures::memory_entries(suite, fixtures::MachineFacts{}))
      if (e.work.loads == 0) ops.insert(e.parameters.at("op").get<std::string>());
  return ops;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  " + x + "\n";
  return s;
}

struct Binary {
  const char* name;
  const char* path;
};
constexpr Binary kBinaries[] = {{"bench_memory", BENCH_MEMORY_BIN},
                                {"bench_compute", BENCH_COMPUTE_BIN},
                                {"bench_gemm", BENCH_GEMM_BIN},
                                {"bench_collectives", BENCH_COLLECTIVES_BIN},
                                {"bench_transfer", BENCH_TRANSFER_BIN}};

// The entries of one binary for `suite`, in the order it lists them. `listed` supplies what the
// registration reads from the machine (NCCL ranks, the GPU count of the peer matrix).
std::vector<BenchmarkEntry> entries_of(const std::string& binary, const std::string& suite,
                                       const std::vector<std::string>& listed) {
  fixtures::MachineFacts facts;
  facts.sm_count = kSms;
  facts.cc_major = kCcMajor;
  facts.cc_minor = kCcMinor;
  if (binary == "bench_collectives") {
    const std::string ranks = listed.empty() ? "" : axis(listed.front(), "ranks");
    facts.nccl_ranks = ranks.empty() ? 1 : std::stoi(ranks);
  }
  std::set<std::string> peer_sources;  // bench_transfer: one source per GPU when there are two or more
  for (const auto& id : listed)
    if (BenchmarkId::parse(id).name == "d2d_peer") peer_sources.insert(axis(id, "src"));
  facts.gpus = static_cast<int>(peer_sources.size());
  return fixtures::gpu_entries(binary, suite, facts);
}

// One suite end to end: the listed ids against the entries, then validate, calibrate, plan.
void check_suite(const std::string& suite) {
  const GpuInfo gpu = h200();
  ASSERT_EQ(gpu.sku, "h200-sxm-141gb");
  const GpuSpec* spec = find_spec_by_key(gpu.sku);
  ASSERT_NE(spec, nullptr);
  LibraryVersions libs;
  libs.driver_version = "580.00";
  libs.cuda_runtime_version = "13.0";
  libs.cuda_driver_version = "13.0";
  libs.cublas_version = "13.0.0";
  libs.nccl_version = "2.27.0";

  std::vector<json> fragments;
  std::size_t entries = 0;
  for (const Binary& b : kBinaries) {
    const auto listed = listed_ids(b.path, suite);
    ASSERT_FALSE(listed.empty()) << b.name << " listed nothing";
    std::vector<BenchmarkEntry> built = entries_of(b.name, suite, listed);
    std::vector<std::string> ids;
    for (const auto& e : built) ids.push_back(e.id);
    ASSERT_EQ(ids, listed) << b.name << " --suite=" << suite << " lists ids the entry functions do not build "
                           << "(or in another order):\nlisted:\n"
                           << joined(listed) << "built:\n"
                           << joined(ids);
    json benchmarks = json::array();
    for (auto& e : built) {
      e.gpu_index = 0;
      add_samples(e, *spec);
      if (e.status == Status::ok) {
        EXPECT_FALSE(e.metrics.empty()) << e.id;
        for (const auto& [name, v] : e.metrics)
          EXPECT_TRUE(std::isfinite(v) && v >= 0) << e.id << " " << name;
      }
      benchmarks.push_back(to_json(e));
    }
    entries += built.size();
    json system = make_system_json(read_host_info(), libs);
    fragments.push_back({{"fragment_of", b.name},
                         {"backend", "gpu"},
                         {"suite", suite},
                         {"system", system},
                         {"gpus", json::array({to_json(gpu)})},
                         {"benchmarks", benchmarks}});
  }

  const json run = {{"id", "20250101T000000Z-c0ffee00"},
                    {"started_utc", "2025-01-01T00:00:00Z"},
                    {"finished_utc", "2025-01-01T00:30:00Z"},
                    {"git_sha", "contract-test"},
                    {"command_line", json::array({"contract_tests"})},
                    {"tool_version", "test"},
                    {"suite", suite},
                    {"backend", "gpu"}};
  const json doc = cli::merge_fragments(fragments, run);
  ASSERT_EQ(doc.at("benchmarks").size(), entries);
  const auto problems = validate_json(results_schema(), doc);
  ASSERT_TRUE(problems.empty()) << "results schema:\n" << joined(problems);
  EXPECT_EQ(first_non_finite(doc), "");

  planner::Profile profile;
  try {
    profile = planner::calibrate({{"contract-" + suite + ".json", doc}});
  } catch (const std::exception& e) {
    FAIL() << "calibrate rejected the " << suite << " suite: " << e.what();
  }
  EXPECT_EQ(profile.kind, "measured");
  EXPECT_EQ(profile.sku, gpu.sku);
  // Every family calibration reads was used.
  EXPECT_EQ(profile.gemm.at("bf16").source.kind, "measured");
  EXPECT_EQ(profile.gemm.at("fp8_e4m3").source.kind, "measured");
  for (const auto& op : emitted_memory_ops()) EXPECT_EQ(profile.memory.at(op).source.kind, "measured") << op;
  EXPECT_EQ(profile.memory.count("pointer_chase"), 0u);
  for (const char* dir : {"h2d", "d2h", "bidirectional"})
    EXPECT_EQ(profile.transfer.at(dir).source.kind, "measured") << dir;
  bool measured_collective = false;
  for (const auto& c : profile.collectives) measured_collective |= c.ab.source.kind == "measured";
  EXPECT_TRUE(measured_collective);

  // Every op the binaries measure stays in the profile: the schema names ops by a pattern, so a
  // new op (dot) needs no schema edit and its profile is not refused by `gpuscale plan`.
  const json pj = planner::profile_to_json(profile);
  const auto profile_problems = validate_json(planner::profile_schema(), pj);
  ASSERT_TRUE(profile_problems.empty()) << "profile schema:\n" << joined(profile_problems);
  EXPECT_EQ(first_non_finite(pj), "");
  const planner::Profile back = planner::profile_from_json(pj, "contract.profile.json");

  const planner::Scenario s = planner::parse_scenario(
      {{"model", "llama-3.1-8b"}, {"gpu", gpu.sku}, {"method", "lora"}, {"seq_len", 4096}}, "contract",
      nullptr, &back);
  const planner::PlanResult r = planner::plan(s);
  EXPECT_EQ(r.scenario.gpu.kind, "measured");
  EXPECT_TRUE(std::isfinite(r.time.tokens_per_s_per_gpu) && r.time.tokens_per_s_per_gpu > 0);
  EXPECT_TRUE(std::isfinite(r.time.t.step) && r.time.t.step > 0);
  EXPECT_EQ(first_non_finite(planner::plan_to_json(r)), "");
}

TEST(Contract, QuickSuiteGoesThroughValidateCalibrateAndPlan) {
  check_suite("quick");
}

TEST(Contract, FullSuiteGoesThroughValidateCalibrateAndPlan) {
  check_suite("full");
}

// The refactor into entry functions must not change what a benchmark declares: these are the ids,
// parameters and work the GPU bodies built inline before it.
const BenchmarkEntry& find(const std::vector<BenchmarkEntry>& v, const std::string& id) {
  for (const auto& e : v)
    if (e.id == id) return e;
  throw std::runtime_error("no entry " + id);
}

TEST(Contract, EntriesDeclareWhatTheBenchmarksDeclaredBefore) {
  // (find returns a reference into these: they must outlive it.)
  fixtures::MachineFacts h200;
  const auto mem = fixtures::memory_entries("quick", h200);
  const auto compute = fixtures::compute_entries("quick", h200);
  const auto gemms = fixtures::gemm_entries("quick", h200);
  fixtures::MachineFacts eight = h200;
  eight.nccl_ranks = 8;
  const auto collectives = fixtures::collective_entries("quick", eight);
  const auto transfers = fixtures::transfer_entries("quick", h200);
  {
    const auto& e = find(mem, "memory/copy/bytes:1048576/width:16");
    EXPECT_EQ(e.family, "memory");
    EXPECT_EQ(e.backend, "gpu");
    EXPECT_EQ(e.parameters, json({{"op", "copy"},
                                  {"bytes", 1048576u},
                                  {"counts", "read+write"},
                                  {"cache", "warm"},
                                  {"width_bytes", 16}}));
    EXPECT_EQ(e.work.bytes_read, 1048576);
    EXPECT_EQ(e.work.bytes_written, 1048576);
  }
  {
    const auto& e = find(mem, "memory/triad/bytes:4194304/width:16");
    EXPECT_EQ(e.work.bytes_read, 2 * 4194304.0);
    EXPECT_EQ(e.work.bytes_written, 4194304.0);
  }
  {
    const auto& e = find(mem, "memory/memcpy/bytes:1048576");
    EXPECT_EQ(e.parameters, json({{"op", "memcpy"},
                                  {"bytes", 1048576u},
                                  {"counts", "read+write"},
                                  {"cache", "warm"},
                                  {"api", "cudaMemcpyAsync D2D"}}));
    EXPECT_EQ(e.work.bytes_read + e.work.bytes_written, 2 * 1048576.0);
  }
  {
    const auto& e = find(mem, "memory/latency/bytes:16384");
    EXPECT_EQ(e.parameters, json({{"op", "pointer_chase"}, {"bytes", 16384u}, {"stride_bytes", 64}}));
    EXPECT_EQ(e.work.loads, 262144);
    EXPECT_EQ(e.work.bytes_read + e.work.bytes_written, 0);
  }
  {
    const auto& e = find(compute, "compute/fma/type:fp32");
    EXPECT_EQ(e.parameters, json({{"kernel", "fma"},
                                  {"type", "fp32"},
                                  {"grid", 8 * kSms},
                                  {"block", 256},
                                  {"iterations", 16384}}));
    EXPECT_EQ(e.work.flops, 8.0 * kSms * 256 * 16384 * 16 * 2);  // threads x steps x 16 chains x 2 FLOP
    EXPECT_EQ(e.work.peak, "fp32");
  }
  {
    const auto& e = find(compute, "compute/mma/type:fp8_e4m3");
    EXPECT_EQ(e.work.peak, "");  // emulated on Hopper: no datasheet peak
  }
  {
    const auto& e = find(gemms, "gemm/bf16/m:4096/n:4096/k:4096");
    EXPECT_EQ(e.parameters.at("m"), 4096);
    EXPECT_EQ(e.parameters.at("precision"), "bf16");
    EXPECT_EQ(e.parameters.at("algo_selection"), "heuristic");
    EXPECT_EQ(e.work.flops, 2.0 * 4096 * 4096 * 4096);
    EXPECT_EQ(e.work.peak, "bf16_tensor");
  }
  {
    const auto& e = find(collectives, "collective/all_reduce/dtype:fp32/bytes:2097152/ranks:8/inplace:0");
    EXPECT_EQ(e.parameters.at("collective"), "all_reduce");
    EXPECT_EQ(e.parameters.at("message_bytes"), 2097152u);
    EXPECT_EQ(e.parameters.at("library"), "nccl");
    EXPECT_EQ(e.work.message_bytes, 2097152);
    EXPECT_EQ(e.work.bus_factor, 2.0 * 7 / 8);
  }
  {
    const auto& e = find(transfers, "transfer/bidir/memory:pinned/engine:copy_engine/bytes:4096");
    EXPECT_EQ(e.parameters, json({{"direction", "bidir"},
                                  {"engine", "copy_engine"},
                                  {"bytes", 4096u},
                                  {"counts", "bytes transferred, both directions (2 x bytes)"},
                                  {"memory", "pinned"}}));
    EXPECT_EQ(e.work.bytes_written, 8192);
  }
}

}  // namespace
}  // namespace gpuscale::bench
