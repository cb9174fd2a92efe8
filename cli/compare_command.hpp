// `gpuscale compare RUN1.json RUN2.json [RUN3.json ...]`: runs side by side, across nodes and GPU
// generations.
//
// Per family, every benchmark the runs share, matched by id without its size axis (cross_run.hpp):
// HBM at the largest size every run has, GEMM at MAMF, at each Llama layer shape and at the largest
// common square size, busbw at the largest common message. For each run: its value (median over its
// GPUs), the ratio to the first run, its % of its own SKU's datasheet peak, a noise-aware verdict
// against the first run from both runs' samples (`faster`/`slower` only beyond their spread), and
// with --price the value per dollar per GPU-hour.
//
// Exit status, per benchmark id and GPU as before: a drop beyond --threshold-pct against the first
// run that the runs' noise does not explain is a regression (exit 1); a benchmark ok in the first run and
// missing, errored, not run or without its metric in a later one is LOST (exit 1; skipped too when the runs
// are of one SKU).
//
//   gpuscale compare a100.json h100.json h200.json --price a100-sxm-80gb=1.8,h100-sxm-80gb=2.5
#pragma once

#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cross_run.hpp"

namespace gpuscale::cli {

struct Comparison {
  std::string id;
  std::string metric;  // bandwidth_gbps, tflops, busbw_gbps, latency_ns, ...
  double base = 0, now = 0;
  double change_pct = 0;  // + is better (for latency, lower is better and the sign is flipped)
  // Worse than the threshold and, where both entries carry enough samples, `slower` by the noise
  // verdict (cross_run.hpp): a drop the runs' own spread explains is `within_noise` instead.
  bool regression = false;
  bool within_noise = false;
  // Ok in the base but missing, skipped, errored or not run in the new document, or without the
  // base's metric there: a failure whatever the threshold. `why` says which.
  bool lost = false;
  // Skipped in the new document of another SKU (a GPU without that unit or memory): not compared,
  // not lost. Only when compare_documents is told that skips are not losses.
  bool not_comparable = false;
  std::string why;
};

// Pairs entries by id (and GPU index) and compares their headline metrics. An entry that was ok in
// the base and is not ok (or absent, or lacks the metric) in the new document is a `lost` row;
// entries the base did not run ok are left out. With `skipped_is_lost` false (runs of different
// SKUs), an entry skipped in the new document is `not_comparable` instead.
std::vector<Comparison> compare_documents(const nlohmann::json& base, const nlohmann::json& now,
                                          double threshold_pct, bool skipped_is_lost = true);

// One run's cell of a family row.
struct RunCell {
  bool present = false;         // the run has this benchmark ok
  SeriesValue at;               // the value at the compared size
  std::optional<double> ratio;  // value / the first run's value
  NoiseVerdict verdict;         // against the first run (runs after the first, both present)
  std::optional<double> per_dollar, per_dollar_ratio;  // value / USD per GPU-hour
};

struct FamilyRow {
  std::string family;
  std::string benchmark;  // the id without family, size and GPU: "copy/width:16", "mamf/precision:bf16"
  SplitId id;
  std::string metric;
  bool higher_is_better = true;
  std::string compared_at;  // "largest common size", "each run's largest size", "" (no size axis)
  std::vector<RunCell> runs;
};

// Every benchmark any run has ok, matched across the runs, in family order. `price_per_gpu_hour`:
// SKU key -> USD per GPU-hour (may be empty).
std::vector<FamilyRow> compare_runs(const std::vector<nlohmann::json>& docs,
                                    const std::map<std::string, double>& price_per_gpu_hour);

// "a100-sxm-80gb=1.8,h100-sxm-80gb=2.5": SKU keys of the spec table, each with a positive finite
// price. Throws std::invalid_argument naming the part that is wrong.
std::map<std::string, double> parse_prices(const std::string& text);

int compare_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
