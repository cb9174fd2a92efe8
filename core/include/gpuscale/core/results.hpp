// The results document (schema v1, results/schema/results.schema.json): the run, the system, each
// GPU, and every benchmark entry with raw samples, statistics, declared work and derived metrics.
//
// Derived metrics (bandwidth_gbps, tflops, busbw_gbps, latency_ns, pct_of_peak, ...) are computed
// here alone, by derive_metrics(), from the samples and the work a benchmark declares: no benchmark
// types a number in.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/core/stats.hpp"

namespace gpuscale {

inline constexpr int kResultsSchemaVersion = 1;

enum class Status { ok, skipped, error, not_run };
std::string to_string(Status s);
Status status_from_string(const std::string& s);

// What one sample does. Bandwidths count bytes_read + bytes_written.
struct Work {
  double bytes_read = 0;
  double bytes_written = 0;
  double flops = 0;          // FLOP (or integer OP) per sample
  std::string peak;          // spec-table peak the flops are compared with ("bf16_tensor")
  double message_bytes = 0;  // collectives: bytes of one message (algbw = message_bytes / time)
  double bus_factor = 0;     // collectives: busbw = algbw x bus_factor (0 for one rank)
  double loads = 0;          // latency: dependent loads per sample
};

// Clocks, temperature and power while the benchmark ran (NVML samples).
struct Environment {
  double sm_clock_mhz_min = 0;
  double sm_clock_mhz_median = 0;
  double memory_clock_mhz_median = 0;
  double temperature_c_max = 0;
  double power_w_median = 0;
  int samples = 0;
  bool throttled = false;  // SM clock fell below 90% of its maximum during the run
  // Why the driver held the clocks down at some sample (clock_event_names(); gpu_idle left out);
  // absent when the driver does not report it, empty when it reported no reason.
  std::optional<std::vector<std::string>> clock_events;
};
inline constexpr double kThrottleFraction = 0.9;

// NVML's clock event (throttle) reasons, a bit mask, as names: gpu_idle, applications_clocks_setting,
// sw_power_cap, hw_slowdown, sync_boost, sw_thermal_slowdown, hw_thermal_slowdown,
// hw_power_brake_slowdown, display_clock_setting; an unknown bit as "bit_N".
std::vector<std::string> clock_event_names(std::uint64_t mask);

struct BenchmarkEntry {
  std::string id;
  std::string family;
  std::string backend = "gpu";  // "gpu" | "host"
  std::optional<int> gpu_index;
  nlohmann::json parameters = nlohmann::json::object();
  Status status = Status::ok;
  std::string reason;
  std::vector<double> samples_s;
  std::optional<Stats> stats;
  Work work;
  std::map<std::string, double> metrics;
  std::optional<Environment> environment;
};

// The metric that says how good a result is, in order of preference (an entry shows the first it
// has), and whether higher is better: summaries, progress lines and comparisons all use this list.
struct HeadlineMetric {
  const char* name;
  bool higher_is_better;
};
inline constexpr HeadlineMetric kHeadlineMetrics[] = {
    {"bandwidth_gbps", true}, {"busbw_gbps", true}, {"tflops", true}, {"tops", true}, {"latency_ns", false}};

nlohmann::json to_json(const BenchmarkEntry& e);
// Inverse of to_json; throws std::runtime_error naming the field on a missing/mistyped field.
BenchmarkEntry benchmark_entry_from_json(const nlohmann::json& j);

// Computes stats from samples_s and the metrics from stats + work. `spec` (may be null) gives the
// datasheet peaks for pct_of_peak and the clock-normalised efficiency; `max_sm_clock_mhz` (0 when
// unknown) decides the throttled flag.
void derive_metrics(BenchmarkEntry& e, const GpuSpec* spec, double max_sm_clock_mhz = 0);

struct PcieInfo {
  int generation_current = 0, generation_max = 0, width_current = 0, width_max = 0;
};

// A GPU's memory-error counters and NVLink state when the run described it (NVML); each field is
// absent when the driver does not report it (no ECC, no row remapper, no NVLink).
struct GpuHealth {
  std::optional<std::uint64_t> ecc_uncorrected_volatile;   // since the driver was loaded
  std::optional<std::uint64_t> ecc_corrected_volatile;     // since the driver was loaded
  std::optional<std::uint64_t> ecc_uncorrected_aggregate;  // over the GPU's life
  std::optional<std::uint64_t> remapped_rows_uncorrectable, remapped_rows_correctable;
  std::optional<bool> row_remap_pending;   // a remapped row waits for a GPU reset
  std::optional<bool> row_remap_failed;    // a row could not be remapped
  std::optional<int> nvlink_links;         // links that report a state
  std::optional<int> nvlink_links_active;  // of those, the active ones
  bool empty() const;
};

struct GpuInfo {
  int index = 0;
  std::string name;
  std::string uuid;
  std::string pci_bus_id;
  std::string sku = "unknown";
  int sm_count = 0;
  int cc_major = 0, cc_minor = 0;
  std::uint64_t memory_bytes = 0;
  std::optional<std::uint64_t> memory_free_bytes;
  std::uint64_t l2_bytes = 0;
  std::optional<double> max_sm_clock_mhz, max_memory_clock_mhz, power_limit_w;
  std::optional<bool> ecc_enabled, mig_enabled;
  std::optional<int> numa_node;
  std::optional<PcieInfo> pcie;
  std::optional<GpuHealth> health;
  // Multi-process runs: the node and the MPI rank that drove this GPU.
  std::string host;
  std::optional<int> rank;
};
nlohmann::json to_json(const GpuInfo& g);
// The inverse of to_json (gathering every rank's GPUs onto rank 0); throws on a malformed object.
GpuInfo gpu_info_from_json(const nlohmann::json& j);

struct RunInfo {
  std::string id;
  std::string started_utc;
  std::string finished_utc;
  std::string git_sha;
  std::vector<std::string> command_line;
  std::string tool_version;
  std::string suite = "quick";  // quick | full | custom
  std::string backend = "gpu";  // gpu | host
  std::string note;
};

// Versions of the libraries a GPU run used; empty when not applicable.
struct LibraryVersions {
  std::string driver_version, cuda_runtime_version, cuda_driver_version, cublas_version, nccl_version,
      mpi_version;
};

nlohmann::json make_system_json(const HostInfo& host, const LibraryVersions& libs);
// Adds a multi-process job's extent to a system object: the number of ranks and every node's name.
void add_job_extent(nlohmann::json& system, int ranks, const std::vector<std::string>& hosts);

nlohmann::json make_document(const RunInfo& run, const nlohmann::json& system,
                             const std::vector<GpuInfo>& gpus, const std::vector<BenchmarkEntry>& benchmarks);

}  // namespace gpuscale
