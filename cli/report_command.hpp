// `gpuscale report RUN.json [MORE.json ...] -o report.html`: one self-contained HTML page with inline
// SVG charts, for what a person would rather look at than read:
//   - provenance of each run as a small table (a FIXTURE run says so in red);
//   - per family: bandwidth and latency against size with the L2 size marked (the L2 -> HBM step),
//     GEMM TFLOPS against size per precision, the Llama layer GEMMs as bars, busbw against message
//     size per collective, transfers against size;
//   - a roofline per run from its measured ceilings (HBM plateau, L2 where it shows, each
//     precision's best rate) with the Llama layer GEMMs placed at their arithmetic intensity;
//   - with several runs: the same charts overlaid, one colour per run, and the compare table;
//   - skipped, errored and not-run benchmarks grouped: one line per reason with the count.
// A small script in the page counts each chart's drawn marks in the browser (data-drawn on each
// figure, #render-check for the page): the headless-browser test reads them.
//
//   gpuscale report h200.json -o h200.html
//   gpuscale report a100.json h100.json h200.json -o generations.html
#pragma once

#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gpuscale::cli {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), sorted by x
  int run = -1;  // overlaid charts: the run this series belongs to (its colour)
};

struct Marker {
  double x = 0;
  std::string label;  // "L2 50 MiB"
};

struct Chart {
  std::string title, x_label, y_label;
  bool x_is_bytes = true;  // x ticks as binary sizes, log2 axis
  std::vector<ChartSeries> series;
  std::vector<Marker> markers;
};

// The charts a results document supports: every group of ok entries that differ only in their
// size axis (bytes:, or m=n=k for square GEMMs) with at least two sizes; memory charts carry the
// L2 size of the run's first GPU as a marker.
std::vector<Chart> charts_for(const nlohmann::json& document);

// Several runs: one chart per series of charts_for, with a line per run (run index = colour).
// One run: charts_for.
std::vector<Chart> charts_for_runs(const std::vector<nlohmann::json>& documents);

// An SVG line chart (log2 x axis, linear y from 0); colours by series, or by run when the series
// carry one.
std::string svg_chart(const Chart& chart);

// The measured ceilings of one run for a roofline, and the Llama layer GEMMs placed on it.
struct Roofline {
  std::string run;      // "run1"
  double hbm_gbps = 0;  // memory bandwidth at the largest size (the HBM plateau)
  double l2_gbps = 0;   // the best bandwidth with the arrays inside L2, when above HBM; else 0
  std::map<std::string, double> peak_tflops;  // work.peak ("bf16_tensor") -> best measured TFLOPS
  struct Point {
    std::string label;     // "bf16 qkv fwd (llama-3-8b, 4096 tokens)"
    std::string peak;      // the ceiling it is bound by
    double intensity = 0;  // FLOP per byte of A, B and D once
    double tflops = 0;
  };
  std::vector<Point> points;
};
Roofline roofline_of(const nlohmann::json& document, const std::string& run_name);
std::string svg_roofline(const std::vector<Roofline>& runs);

// Skipped, errored and not-run entries, one line per status and reason: "skipped x48: <reason>
// (memory/latency on 8 GPUs)".
std::vector<std::string> grouped_problems(const nlohmann::json& document);

int report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
