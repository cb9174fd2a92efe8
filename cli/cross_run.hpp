// What `gpuscale compare`, `check` and `report` read alike from results documents: each benchmark
// as a series over its size axis (so runs on GPUs of different memory match at a size they share, or
// at their plateaus), each sample as a value of the headline metric (so the runs' own spread decides
// whether two values differ), and each value as a percentage of its SKU's datasheet peak.
//
// Series: an ok entry's id without its size axis (bytes:N, or m = n = k for square GEMMs), without
// the GPU it ran on (gpu_index, or src/dst for peer copies: the instances of the series), keyed with
// its headline metric. `memory/copy/bytes:4294967296/width:16` on GPUs 0..7 is the series
// `memory/copy/width:16` at size 4 GiB with eight instances.
//
// Noise: two sets of samples differ only when the difference of their medians exceeds the runs' own
// spread (the larger interquartile range, relative to the base median), the Mann-Whitney U test
// (two-sided, as Google Benchmark's tools/compare.py runs it) gives p < 0.05, and the
// distribution-free 95% confidence intervals of the two medians do not overlap; otherwise they are
// the `same`. The spread term keeps a real but small shift inside noisy runs `same` however many
// samples pin the medians down.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/core/results.hpp"
#include "gpuscale/core/spec_table.hpp"

namespace gpuscale::cli {

// --- noise -----------------------------------------------------------------------------------

// The median and the order-statistic interval [x_(r), x_(n+1-r)] that covers it with at least
// `confidence` (binomial, distribution-free); [min, max] when n is too small for that coverage
// (n < 6 at 95%), with the coverage it does have.
struct MedianInterval {
  double median = 0, lo = 0, hi = 0;
  double coverage = 0;
  std::size_t n = 0;
};
MedianInterval median_interval(std::vector<double> values, double confidence = 0.95);

// Two-sided p-value of the Mann-Whitney U test: exact (no ties, n1 n2 <= 400) or the normal
// approximation with tie and continuity corrections. 1 when either side is empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

enum class Verdict { same, faster, slower, unknown };
const char* to_string(Verdict v);

struct NoiseVerdict {
  Verdict verdict = Verdict::unknown;
  double p_value = 1;
  double change_pct = 0;  // (now - base) / base of the medians, in percent
  double spread_pct = 0;  // the larger interquartile range of the two, in percent of the base median
  MedianInterval base, now;
  std::string why;  // unknown: why no verdict (too few samples)
};
inline constexpr std::size_t kMinSamplesForVerdict = 4;  // below, no two-sided p reaches 0.05
inline constexpr double kVerdictAlpha = 0.05;
// `faster`/`slower` describe `now` against `base` (values of a metric where higher is better when
// `higher_is_better`).
NoiseVerdict noise_verdict(const std::vector<double>& base, const std::vector<double>& now,
                           bool higher_is_better);

// --- one entry -------------------------------------------------------------------------------

// The first of kHeadlineMetrics the entry carries, or nullptr.
const HeadlineMetric* headline_metric(const nlohmann::json& entry);

// Each sample (after core's outlier drop) as a value of metric `m`: the metric was derived from the
// median time, so a sample t gives metric x median/t (a rate) or metric x t/median (a latency).
// The metric alone when the entry has no samples or stats.
std::vector<double> metric_samples(const nlohmann::json& entry, const HeadlineMetric& m);

// Display unit of a metric ("GB/s", "TFLOPS", "ns").
std::string metric_unit(const std::string& metric);

// The size of an entry (bytes:, or m of a square GEMM) and the id without it (and without src/dst,
// which become the instance). False for an id that cannot be parsed or a size that is not a
// positive finite number.
struct SplitId {
  std::string family;
  bool host = false;
  std::string name;
  std::string series;      // id without size and instance axes: "memory/copy/width:16"
  std::string label;       // the same without the family: "copy/width:16"
  std::string axes_label;  // the remaining axes alone: "width:16"
  std::string size_axis;   // "bytes", "m=n=k" or "" (no size axis)
  double size = 0;         // 0 when there is no size axis
  std::string instance;    // "src:0/dst:1" for peer copies, else ""
};
std::optional<SplitId> split_id(const std::string& id);

// The SKU spec of the GPU an entry ran on (gpus[] by gpu_index, else the first GPU); null when the
// SKU is unknown or the run has no GPU.
const GpuSpec* spec_of_entry(const nlohmann::json& doc, const nlohmann::json& entry);

// The datasheet peak an entry's headline metric is compared with, in the metric's unit, and what it
// is: HBM bandwidth (memory), the precision's tensor or vector peak (gemm, compute), NVLink one way
// (collective busbw, NVLink peer copies), the PCIe generation x16 of the SKU per direction
// (transfers; bidirectional counts both). 0 when none applies (latency, unknown SKU, host backend).
double datasheet_peak(const nlohmann::json& entry, const GpuSpec* spec, std::string* what = nullptr);

// PCIe bandwidth per direction in GB/s of a link of `generation` and `width` lanes (encoding
// overhead included: 8b/10b up to Gen2, 128b/130b from Gen3); 0 for an unknown generation.
double pcie_gbps(int generation, int width);

// --- series of a document ---------------------------------------------------------------------

struct Instance {
  std::string name;  // "gpu3", "src:0/dst:1", "node" (no gpu_index)
  const nlohmann::json* entry = nullptr;
};

struct Series {
  std::string key;  // family/label + " [metric]"
  SplitId id;       // of the first entry seen (size and instance not meaningful)
  const HeadlineMetric* metric = nullptr;
  std::map<double, std::vector<Instance>> by_size;  // size (0: none) -> every instance's entry
};

// Every ok entry with a headline metric, grouped into series, in key order.
std::map<std::string, Series> series_of(const nlohmann::json& doc);

// A series at one size: the median over its instances, and every instance's samples pooled.
struct SeriesValue {
  double size = 0;
  double value = 0;                   // median over instances
  std::vector<double> samples;        // pooled metric_samples of every instance
  std::vector<double> per_instance;   // each instance's metric, in by_size order
  std::optional<double> pct_of_peak;  // median over instances of value / datasheet_peak
  std::string peak_what;
  int instances = 0;
};
SeriesValue series_value(const nlohmann::json& doc, const Series& s, double size);

// The size at which a series is compared across documents: the largest size present in every one
// (its plateau: HBM beyond L2, the largest message); nullopt when they share none (each is then
// compared at its own largest size).
std::optional<double> largest_common_size(const std::vector<const Series*>& series);

// "4 GiB" for a byte size, "8192" for a GEMM dimension, "" for none.
std::string size_text(const SplitId& id, double size);

// The document's gpus array (an empty one when it has none).
const nlohmann::json& gpus_of(const nlohmann::json& doc);

// The run's GPUs in words: "8x NVIDIA H200 (h200-sxm-141gb)", or "host backend (no GPU)".
std::string gpus_text(const nlohmann::json& doc);
// The SKU of a run's first GPU ("unknown", or "host").
std::string run_sku(const nlohmann::json& doc);
// True when run.note marks the document as a fixture (not a measurement).
bool is_fixture(const nlohmann::json& doc);

// Reads a results document for `command`: a clear error (std::runtime_error) naming the file when it
// cannot be read, has another schema_version than this gpuscale reads, or fails the schema.
nlohmann::json read_results_document(const std::string& path);

}  // namespace gpuscale::cli
