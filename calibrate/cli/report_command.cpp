#include "report_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/units.hpp"
#include "run_command.hpp"

namespace gpuscale::cli {
using nlohmann::json;

namespace {

struct Kind {
  const char* family;
  const char* metric;
  const char* title;
  const char* y_label;
  bool chart_per_name;  // one chart per benchmark name (all_reduce, h2d, ...) instead of one per family
};
constexpr Kind kKinds[] = {
    {"memory", "bandwidth_gbps", "Memory bandwidth (read + write)", "GB/s", false},
    {"memory", "latency_ns", "Memory latency (pointer chase)", "ns per load", false},
    {"gemm", "tflops", "GEMM throughput (square)", "TFLOPS", false},
    {"collective", "busbw_gbps", "Collective bus bandwidth", "busbw GB/s", true},
    {"transfer", "bandwidth_gbps", "Transfer bandwidth", "GB/s", true},
};

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

// The entry's size, and the other axes as the series label; square GEMMs (m = n = k) use m as the
// size. False when the entry has no size axis.
bool split_size(const BenchmarkId& id, double& size, std::string& axes_label) {
  std::map<std::string, std::string> axes(id.axes.begin(), id.axes.end());
  const bool square = id.family == "gemm" && axes.count("m") && axes.count("n") && axes.count("k") &&
                      axes["m"] == axes["n"] && axes["m"] == axes["k"] && !axes.count("model");
  bool found = false;
  axes_label.clear();
  for (const auto& [k, v] : id.axes) {
    if (k == "bytes" || (square && (k == "m" || k == "n" || k == "k"))) {
      // A size that is not a positive finite number (bytes:0, bytes:inf, bytes:abc) has no place
      // on a log axis: the entry is left off the chart.
      const auto v_num = parse_finite(square ? axes["m"] : v);
      if (!v_num || *v_num <= 0) return false;
      size = *v_num;
      found = true;
      continue;
    }
    axes_label += (axes_label.empty() ? "" : "/") + k + ":" + v;
  }
  return found;
}

std::string tick_label(double x, bool bytes) {
  if (bytes) {
    std::string s = format_bytes(static_cast<std::uint64_t>(x));
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

}  // namespace

std::vector<Chart> charts_for(const json& doc) {
  std::vector<Chart> charts;
  for (const Kind& k : kKinds) {
    // chart title -> series label -> points, in first-seen order of the charts
    std::map<std::string, std::map<std::string, ChartSeries>> by_chart;
    std::vector<std::string> order;
    for (const auto& b : doc.at("benchmarks")) {
      if (b.at("status") != "ok" || b.at("family") != k.family) continue;
      const json& m = b.value("metrics", json::object());
      if (!m.contains(k.metric)) continue;
      const BenchmarkId id = BenchmarkId::parse(b.at("id").get<std::string>());
      double size = 0;
      std::string axes;
      if (!split_size(id, size, axes)) continue;
      std::string title = std::string(k.title) + (id.host ? " (host backend)" : "");
      std::string label = axes;
      if (k.chart_per_name) title += ": " + id.name;
      else label = id.name + (axes.empty() ? "" : "/" + axes);
      if (b.contains("gpu_index")) label = "gpu" + std::to_string(b["gpu_index"].get<int>()) + " " + label;
      if (!by_chart.count(title)) order.push_back(title);
      ChartSeries& s = by_chart[title][label];
      s.name = label.empty() ? id.name : label;
      const double y = m[k.metric].get<double>();
      if (!std::isfinite(y) || y < 0) continue;
      s.points.emplace_back(size, y);
    }
    for (const auto& title : order) {
      Chart c{title, std::string(k.family) == "gemm" ? "m = n = k" : "size", k.y_label,
              std::string(k.family) != "gemm", {}};
      for (auto& [_, s] : by_chart[title]) {
        if (s.points.size() < 2) continue;
        std::sort(s.points.begin(), s.points.end());
        c.series.push_back(std::move(s));
      }
      if (!c.series.empty()) charts.push_back(std::move(c));
    }
  }
  return charts;
}

std::string svg_chart(const Chart& c) {
  constexpr double W = 760, H = 360, L = 70, R = 250, T = 30, B = 50;
  const double pw = W - L - R, ph = H - T - B;
  double xmin = 1e300, xmax = -1e300, ymax = 0;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
  const double lx0 = std::floor(std::log2(xmin)), lx1 = std::max(std::ceil(std::log2(xmax)), lx0 + 1);
  // A "nice" y maximum: 1, 2 or 5 x a power of ten.
  const double mag = std::pow(10, std::floor(std::log10(ymax > 0 ? ymax : 1)));
  double ytop = mag;
  for (double f : {1.0, 2.0, 5.0, 10.0})
    if (f * mag >= ymax) {
      ytop = f * mag;
      break;
    }
  if (!std::isfinite(ytop) || ytop <= 0) ytop = ymax > 0 && std::isfinite(ymax) ? ymax : 1;
  auto px = [&](double x) { return L + (std::log2(x) - lx0) / (lx1 - lx0) * pw; };
  auto py = [&](double y) { return T + ph - y / ytop * ph; };
  static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::ostringstream o;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"%.0f\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
                W, H, L, html_escape(c.title).c_str());
  o << buf;
  // Axes, grid and ticks: every power of two on x (every other one when crowded), 5 steps on y.
  const int xstep = (lx1 - lx0) > 12 ? 2 : 1;
  for (double e = lx0; e <= lx1; e += xstep) {
    const double x = px(std::exp2(e));
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                  x, T, x, T + ph, x, T + ph + 14, tick_label(std::exp2(e), c.x_is_bytes).c_str());
    o << buf;
  }
  for (int i = 0; i <= 5; ++i) {
    const double v = ytop / 5 * i, y = py(v);  // not ytop * i: 1e308 * 5 overflows
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  L, y, L + pw, y, L - 6, y + 4, v);
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n"
                "<text transform=\"translate(16,%.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                L, T, pw, ph, L + pw / 2, H - 12, html_escape(c.x_label).c_str(), T + ph / 2,
                html_escape(c.y_label).c_str());
  o << buf;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    const char* color = kColors[i % 10];
    o << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.6\" points=\"";
    for (const auto& [x, y] : s.points) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      o << buf;
    }
    o << "\"/>\n";
    for (const auto& [x, y] : s.points) {
      std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>", px(x), py(y), color);
      o << buf;
    }
    std::string label = s.name.size() > 44 ? s.name.substr(0, 41) + "..." : s.name;
    std::snprintf(buf, sizeof buf,
                  "\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                  L + pw + 10, T + 8 + 14.0 * i, L + pw + 26, T + 8 + 14.0 * i, color, L + pw + 30,
                  T + 12 + 14.0 * i, html_escape(label).c_str());
    o << buf;
  }
  o << "</svg>\n";
  return o.str();
}

int report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string input, output;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      out << "usage: gpuscale report RESULTS.json -o REPORT.html\n\n"
             "One HTML page with the run's provenance, the summary table and SVG charts: memory bandwidth\n"
             "and latency against size, square-GEMM TFLOPS against size, collective busbw and transfer\n"
             "bandwidth against message size.\n\nexample:\n  gpuscale report h200.json -o h200.html\n";
      return 0;
    }
    if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      output = args[++i];
    } else if (args[i].rfind("-", 0) != 0 && input.empty()) {
      input = args[i];
    } else {
      err << "gpuscale report: unexpected argument '" << args[i] << "' (see --help)\n";
      return 2;
    }
  }
  if (input.empty() || output.empty()) {
    err << "gpuscale report: needs RESULTS.json and -o REPORT.html (see --help)\n";
    return 2;
  }
  json doc;
  try {
    doc = read_json_file(input);
  } catch (const std::exception& e) {
    err << "gpuscale report: " << e.what() << "\n";
    return 2;
  }
  if (const auto problems = validate_json(results_schema(), doc); !problems.empty()) {
    err << "gpuscale report: " << input << ": not a results document: " << problems.front() << "\n";
    return 2;
  }
  std::ostringstream h;
  const json& run = doc["run"];
  std::string gpu = doc["gpus"].empty() ? "host backend (no GPU)"
                                        : doc["gpus"][0]["name"].get<std::string>() + " (" +
                                              doc["gpus"][0]["sku"].get<std::string>() + ")";
  h << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>gpuscale " << html_escape(run["id"])
    << "</title></head>\n<body style=\"font-family:sans-serif;max-width:1000px\">\n<h1>gpuscale run "
    << html_escape(run["id"]) << "</h1>\n<p>" << html_escape(gpu) << ", " << doc["gpus"].size()
    << " GPU(s); suite " << html_escape(run["suite"]) << ", backend " << html_escape(run["backend"])
    << "; started " << html_escape(run["started_utc"]) << ", git " << html_escape(run["git_sha"])
    << ". GB = 1e9 bytes; bandwidths count bytes read + written.</p>\n";
  for (const Chart& c : charts_for(doc)) h << svg_chart(c) << "\n";
  h << "<h2>Summary</h2>\n<pre>" << html_escape(summary_table(doc)) << "</pre>\n</body></html>\n";
  try {
    write_file_atomic(output, h.str());
  } catch (const std::exception& e) {
    err << "gpuscale report: " << e.what() << "\n";
    return 1;
  }
  out << "wrote " << output << "\n";
  return 0;
}

}  // namespace gpuscale::cli
