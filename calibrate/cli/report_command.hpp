// `gpuscale report RESULTS.json -o report.html`: one HTML page with inline SVG charts, for what a
// person would rather look at than read: bandwidth against size (the L2 -> HBM transition),
// latency against footprint, GEMM throughput against size, collective busbw against message size.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuscale::cli {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), sorted by x
};

struct Chart {
  std::string title, x_label, y_label;
  bool x_is_bytes = true;  // x ticks as binary sizes, log2 axis
  std::vector<ChartSeries> series;
};

// The charts a results document supports: every group of ok entries that differ only in their
// size axis (bytes:, or m=n=k for square GEMMs) with at least two sizes.
std::vector<Chart> charts_for(const nlohmann::json& document);

// An SVG line chart (log2 x axis, linear y from 0).
std::string svg_chart(const Chart& chart);

int report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
