#include "report_command.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "compare_command.hpp"
#include "cross_run.hpp"
#include "gpuscale/core/args.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/memory_ops.hpp"
#include "gpuscale/core/stats.hpp"
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

// One colour per run (or per series in a single-run chart).
constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* color(int i) {
  return kColors[static_cast<unsigned>(i) % 10];
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
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

std::string num(double v) {
  char buf[64];
  const double a = std::abs(v);
  std::snprintf(buf, sizeof buf, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g", v);
  return buf;
}

// "A nice" axis maximum: 1, 2 or 5 x a power of ten at or above v.
double nice_top(double v) {
  const double mag = std::pow(10, std::floor(std::log10(v > 0 ? v : 1)));
  double top = mag;
  for (double f : {1.0, 2.0, 5.0, 10.0})
    if (f * mag >= v) {
      top = f * mag;
      break;
    }
  if (!std::isfinite(top) || top <= 0) top = v > 0 && std::isfinite(v) ? v : 1;
  return top;
}

std::string axis_of(const SplitId& id, const std::string& axis) {
  const std::string key = axis + ":";
  const std::string& a = id.axes_label;
  for (std::size_t pos = 0; (pos = a.find(key, pos)) != std::string::npos; pos += key.size())
    if (pos == 0 || a[pos - 1] == '/') {
      const auto end = a.find('/', pos);
      return a.substr(pos + key.size(),
                      end == std::string::npos ? std::string::npos : end - pos - key.size());
    }
  return "";
}

// Bytes per element of A and B, and of D, as bench/gemm/precision.cpp declares each precision.
std::pair<double, double> element_bytes(const std::string& precision) {
  if (precision == "fp32" || precision == "tf32") return {4, 4};
  if (precision == "fp8_e4m3") return {1, 2};  // BF16 output
  return {2, 2};                               // fp16, bf16
}

std::string svg_open(double w, double h, const std::string& title) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n"
      "<text x=\"12\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
      w, h, w, h, html_escape(title).c_str());
  return buf;
}

}  // namespace

std::vector<Chart> charts_for(const json& doc) {
  std::vector<Chart> charts;
  const auto all = series_of(doc);
  const double l2 = gpus_of(doc).empty() ? 0 : gpus_of(doc)[0].value("l2_bytes", 0.0);
  for (const Kind& k : kKinds) {
    std::vector<std::string> order;
    std::map<std::string, Chart> by_title;
    std::map<std::string, int> most_instances;
    for (const auto& [key, s] : all) {
      if (s.id.family != k.family || s.metric->name != std::string(k.metric) || s.id.size_axis.empty())
        continue;
      std::string title = std::string(k.title) + (s.id.host ? " (host backend)" : "");
      std::string label = s.id.axes_label;
      if (k.chart_per_name)
        title += ": " + s.id.name;
      else
        label = s.id.name + (label.empty() ? "" : "/" + label);
      ChartSeries cs{label.empty() ? s.id.name : label, {}, -1};
      int instances = 0;
      for (const auto& [size, inst] : s.by_size) {
        const SeriesValue v = series_value(doc, s, size);
        if (!std::isfinite(v.value) || v.value < 0) continue;
        cs.points.emplace_back(size, v.value);
        instances = std::max(instances, v.instances);
      }
      if (cs.points.size() < 2) continue;
      if (!by_title.count(title)) {
        order.push_back(title);
        Chart c{title,     k.family == std::string("gemm") ? "m = n = k" : "size",
                k.y_label, k.family != std::string("gemm"),
                {},        {}};
        if (k.family == std::string("memory") && l2 > 0 && !s.id.host)
          c.markers.push_back({l2, "L2 " + tick_label(l2, true)});
        by_title.emplace(title, std::move(c));
      }
      by_title[title].series.push_back(std::move(cs));
      most_instances[title] = std::max(most_instances[title], instances);
    }
    for (const auto& t : order) {
      Chart c = std::move(by_title[t]);
      if (most_instances[t] > 1)
        c.title += " - median of " + std::to_string(most_instances[t]) +
                   (k.family == std::string("transfer") ? "" : " GPUs");
      charts.push_back(std::move(c));
    }
  }
  return charts;
}

std::vector<Chart> charts_for_runs(const std::vector<json>& docs) {
  if (docs.size() == 1) return charts_for(docs[0]);
  std::vector<Chart> out;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    for (const Chart& c : charts_for(docs[i])) {
      // Titles carry "- median of N GPUs", which may differ between runs: key on the plain title.
      std::string base = c.title.substr(0, c.title.find(" - median of"));
      for (const ChartSeries& s : c.series) {
        const std::string key = base + ": " + s.name;
        auto it = index.find(key);
        if (it == index.end()) {
          it = index.emplace(key, out.size()).first;
          out.push_back({key, c.x_label, c.y_label, c.x_is_bytes, {}, {}});
        }
        Chart& o = out[it->second];
        o.series.push_back(
            {"run" + std::to_string(i + 1) + " " + run_sku(docs[i]), s.points, static_cast<int>(i)});
        for (const Marker& m : c.markers)
          if (std::none_of(o.markers.begin(), o.markers.end(), [&](const Marker& x) { return x.x == m.x; }))
            o.markers.push_back({m.x, "run" + std::to_string(i + 1) + " " + m.label});
      }
    }
  }
  return out;
}

std::string svg_chart(const Chart& c) {
  constexpr double W = 640, H = 340, L = 64, R = 190, T = 30, B = 46;
  const double pw = W - L - R, ph = H - T - B;
  double xmin = 1e300, xmax = -1e300, ymax = 0;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
  if (!(xmin > 0) || !(xmax >= xmin)) xmin = 1, xmax = 2;
  const double lx0 = std::floor(std::log2(xmin)), lx1 = std::max(std::ceil(std::log2(xmax)), lx0 + 1);
  const double ytop = nice_top(ymax);
  auto px = [&](double x) { return L + (std::log2(x) - lx0) / (lx1 - lx0) * pw; };
  auto py = [&](double y) { return T + ph - y / ytop * ph; };
  const bool by_run =
      std::any_of(c.series.begin(), c.series.end(), [](const ChartSeries& s) { return s.run >= 0; });
  std::ostringstream o;
  char buf[640];
  o << svg_open(W, H, c.title);
  // Axes, grid and ticks: every power of two on x (every other one when crowded), 5 steps on y.
  const int xstep = (lx1 - lx0) > 20 ? 4 : (lx1 - lx0) > 10 ? 2 : 1;
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
                "<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                L, T, pw, ph, L + pw / 2, H - 10, html_escape(c.x_label).c_str(), T + ph / 2,
                html_escape(c.y_label).c_str());
  o << buf;
  // Markers (the L2 size): a dashed vertical line where it falls inside the axis.
  for (std::size_t i = 0; i < c.markers.size(); ++i) {
    const Marker& m = c.markers[i];
    if (!(m.x > 0) || std::log2(m.x) < lx0 || std::log2(m.x) > lx1) continue;
    std::snprintf(
        buf, sizeof buf,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666\">%s</text>\n",
        px(m.x), T, px(m.x), T + ph, px(m.x) + 3, T + 12 + 12.0 * static_cast<double>(i),
        html_escape(m.label).c_str());
    o << buf;
  }
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    const char* col = color(by_run ? s.run : static_cast<int>(i));
    o << "<polyline class=\"mark\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"1.8\" points=\"";
    for (const auto& [x, y] : s.points) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      o << buf;
    }
    o << "\"/>\n";
    for (const auto& [x, y] : s.points) {
      std::snprintf(buf, sizeof buf,
                    "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\" fill=\"%s\"><title>%s: %s "
                    "%s</title></circle>",
                    px(x), py(y), col, html_escape(s.name).c_str(), tick_label(x, c.x_is_bytes).c_str(),
                    num(y).c_str());
      o << buf;
    }
    const std::string label = s.name.size() > 30 ? s.name.substr(0, 27) + "..." : s.name;
    std::snprintf(buf, sizeof buf,
                  "\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                  L + pw + 10, T + 8 + 14.0 * static_cast<double>(i), L + pw + 26,
                  T + 8 + 14.0 * static_cast<double>(i), col, L + pw + 30,
                  T + 12 + 14.0 * static_cast<double>(i), html_escape(label).c_str());
    o << buf;
  }
  o << "</svg>\n";
  return o.str();
}

namespace {

// Grouped bars: one group per label, one bar per run.
struct BarGroup {
  std::string label;
  std::vector<double> values;  // per run; < 0: none
};

std::string svg_bars(const std::string& title, const std::string& y_label,
                     const std::vector<BarGroup>& groups, const std::vector<std::string>& runs) {
  const double L = 64, R = 20, T = 30 + 14.0 * static_cast<double>(runs.size() > 1 ? 1 : 0), B = 90;
  const double W = std::max(
      640.0, L + R + 44.0 * static_cast<double>(groups.size()) * std::max<std::size_t>(1, runs.size()) / 1.6);
  const double H = 340, pw = W - L - R, ph = H - T - B;
  double ymax = 0;
  for (const auto& g : groups)
    for (double v : g.values) ymax = std::max(ymax, v);
  const double ytop = nice_top(ymax);
  std::ostringstream o;
  char buf[512];
  o << svg_open(W, H, title);
  for (int i = 0; i <= 5; ++i) {
    const double v = ytop / 5 * i, y = T + ph - v / ytop * ph;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  L, y, L + pw, y, L - 6, y + 4, v);
    o << buf;
  }
  const double gw = pw / static_cast<double>(std::max<std::size_t>(1, groups.size()));
  const double bw = gw * 0.8 / static_cast<double>(std::max<std::size_t>(1, runs.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double gx = L + gw * static_cast<double>(g) + gw * 0.1;
    for (std::size_t r = 0; r < groups[g].values.size(); ++r) {
      const double v = groups[g].values[r];
      if (!(v >= 0)) continue;
      const double h = v / ytop * ph;
      std::snprintf(buf, sizeof buf,
                    "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>%s %s: %s</title></rect>",
                    gx + bw * static_cast<double>(r), T + ph - h, bw * 0.92, h, color(static_cast<int>(r)),
                    html_escape(runs[r]).c_str(), html_escape(groups[g].label).c_str(), num(v).c_str());
      o << buf;
    }
    std::snprintf(buf, sizeof buf,
                  "<text transform=\"translate(%.1f,%.1f) rotate(-35)\" text-anchor=\"end\">%s</text>\n",
                  gx + gw * 0.4, T + ph + 12, html_escape(groups[g].label).c_str());
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n"
                "<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                L, T, pw, ph, T + ph / 2, html_escape(y_label).c_str());
  o << buf;
  if (runs.size() > 1)
    for (std::size_t r = 0; r < runs.size(); ++r) {
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"24\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" "
                    "y=\"33\">%s</text>\n",
                    L + 70.0 * static_cast<double>(r), color(static_cast<int>(r)),
                    L + 14 + 70.0 * static_cast<double>(r), html_escape(runs[r]).c_str());
      o << buf;
    }
  o << "</svg>\n";
  return o.str();
}

// The Llama layer GEMMs of every run as grouped bars: one chart per model, tokens and precision.
std::vector<std::string> layer_bar_charts(const std::vector<json>& docs) {
  std::vector<std::string> runs;
  for (std::size_t i = 0; i < docs.size(); ++i) runs.push_back("run" + std::to_string(i + 1));
  std::vector<std::string> order;
  std::map<std::string, std::vector<BarGroup>> charts;
  for (std::size_t i = 0; i < docs.size(); ++i)
    for (const auto& [key, s] : series_of(docs[i])) {
      if (s.id.family != "gemm" || axis_of(s.id, "model").empty() || s.metric->name != std::string("tflops"))
        continue;
      const std::string title =
          "GEMM at Llama layer shapes: " + axis_of(s.id, "model") + ", " + axis_of(s.id, "tokens") +
          " tokens, " + s.id.name +
          (axis_of(s.id, "fast_accum").empty() ? "" : " fast_accum:" + axis_of(s.id, "fast_accum"));
      const std::string label = axis_of(s.id, "op") + " " + axis_of(s.id, "pass");
      if (!charts.count(title)) order.push_back(title);
      auto& groups = charts[title];
      auto it =
          std::find_if(groups.begin(), groups.end(), [&](const BarGroup& g) { return g.label == label; });
      if (it == groups.end()) {
        groups.push_back({label, std::vector<double>(docs.size(), -1)});
        it = groups.end() - 1;
      }
      it->values[i] = series_value(docs[i], s, s.by_size.begin()->first).value;
    }
  std::vector<std::string> out;
  for (const auto& t : order) out.push_back(svg_bars(t, "TFLOPS", charts[t], runs));
  return out;
}

}  // namespace

Roofline roofline_of(const json& doc, const std::string& run_name) {
  Roofline r;
  r.run = run_name;
  const double l2 = gpus_of(doc).empty() ? 0 : gpus_of(doc)[0].value("l2_bytes", 0.0);
  for (const auto& [key, s] : series_of(doc)) {
    if (s.id.host) continue;
    if (s.id.family == "memory" && s.metric->name == std::string("bandwidth_gbps") &&
        s.id.size_axis == "bytes") {
      r.hbm_gbps = std::max(r.hbm_gbps, series_value(doc, s, s.by_size.rbegin()->first).value);
      const auto op = memory_op_from_string(s.id.name);
      const double arrays = op ? memory_op_arrays(*op) : 2;
      for (const auto& [size, _] : s.by_size)
        if (l2 > 0 && size * arrays <= l2 / 2)
          r.l2_gbps = std::max(r.l2_gbps, series_value(doc, s, size).value);
    }
    if ((s.id.family == "gemm" || s.id.family == "compute") && s.metric->name == std::string("tflops")) {
      for (const auto& [size, inst] : s.by_size) {
        const json& e = *inst.front().entry;
        const std::string peak = e.contains("work") ? e["work"].value("peak", std::string()) : "";
        if (peak.empty()) continue;
        const double v = series_value(doc, s, size).value;
        r.peak_tflops[peak] = std::max(r.peak_tflops[peak], v);
        if (s.id.family == "gemm" && !axis_of(s.id, "model").empty()) {
          const auto m = parse_finite(axis_of(s.id, "m")), n = parse_finite(axis_of(s.id, "n")),
                     k = parse_finite(axis_of(s.id, "k"));
          if (!m || !n || !k) continue;
          const auto [in, outb] = element_bytes(s.id.name);
          const double bytes = (*m * *k + *k * *n) * in + *m * *n * outb;
          r.points.push_back({s.id.name + " " + axis_of(s.id, "op") + " " + axis_of(s.id, "pass") + " (" +
                                  axis_of(s.id, "model") + ", " + axis_of(s.id, "tokens") + " tokens)",
                              peak, 2 * *m * *n * *k / bytes, v});
        }
      }
    }
  }
  if (r.l2_gbps < 1.1 * r.hbm_gbps) r.l2_gbps = 0;  // no L2 ceiling where nothing inside L2 ran faster
  return r;
}

std::string svg_roofline(const std::vector<Roofline>& runs) {
  constexpr double W = 760, H = 420, L = 64, R = 230, T = 30, B = 46;
  const double pw = W - L - R, ph = H - T - B;
  double ymax = 1, xmax = 1e3, ymin = 1e300;
  for (const auto& r : runs) {
    for (const auto& [p, v] : r.peak_tflops) {
      ymax = std::max(ymax, v);
      if (r.hbm_gbps > 0) xmax = std::max(xmax, 4 * v * 1e3 / r.hbm_gbps);
    }
    for (const auto& p : r.points) xmax = std::max(xmax, 2 * p.intensity), ymin = std::min(ymin, p.tflops);
    if (r.hbm_gbps > 0) ymin = std::min(ymin, r.hbm_gbps / 1e3);  // the roof at 1 FLOP/byte
  }
  const double lx0 = 0, lx1 = std::ceil(std::log10(xmax));
  const double ly1 = std::ceil(std::log10(ymax * 1.5)),
               ly0 = std::min(ly1 - 1, std::floor(std::log10(ymin > 0 && ymin < 1e300 ? ymin : 1)));
  auto px = [&](double x) { return L + (std::log10(x) - lx0) / (lx1 - lx0) * pw; };
  auto py = [&](double y) { return T + ph - (std::log10(y) - ly0) / (ly1 - ly0) * ph; };
  std::ostringstream o;
  char buf[640];
  o << svg_open(W, H, "Roofline from the measured ceilings (log-log)");
  for (double e = lx0; e <= lx1; ++e) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%.1f\" "
                  "y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                  px(std::pow(10, e)), T, px(std::pow(10, e)), T + ph, px(std::pow(10, e)), T + ph + 14,
                  std::pow(10, e));
    o << buf;
  }
  for (double e = ly0; e <= ly1; ++e) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%.1f\" "
                  "y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  L, py(std::pow(10, e)), L + pw, py(std::pow(10, e)), L - 6, py(std::pow(10, e)) + 4,
                  std::pow(10, e));
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">arithmetic intensity (FLOP per byte of "
                "A, B and D)</text>\n"
                "<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">TFLOPS</text>\n",
                L, T, pw, ph, L + pw / 2, H - 10, T + ph / 2);
  o << buf;
  o << "<clipPath id=\"roof-clip\"><rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\""
    << ph << "\"/></clipPath>\n"
    << "<g clip-path=\"url(#roof-clip)\">\n";
  int legend = 0;
  std::ostringstream leg;
  for (std::size_t ri = 0; ri < runs.size(); ++ri) {
    const Roofline& r = runs[ri];
    const char* col = color(static_cast<int>(ri));
    const double xa = std::pow(10, lx0), xb = std::pow(10, lx1);
    double top = 0;
    for (const auto& [p, v] : r.peak_tflops) top = std::max(top, v);
    auto slanted = [&](double gbps, const char* dash, const std::string& what) {
      const double ridge = top * 1e3 / gbps;
      std::snprintf(buf, sizeof buf,
                    "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"2\" stroke-dasharray=\"%s\"><title>%s %s %s GB/s</title></line>\n",
                    px(xa), py(gbps * xa / 1e3), px(ridge), py(top), col, dash, r.run.c_str(), what.c_str(),
                    num(gbps).c_str());
      o << buf;
    };
    if (r.hbm_gbps > 0 && top > 0) slanted(r.hbm_gbps, "none", "HBM");
    if (r.l2_gbps > 0 && top > 0) slanted(r.l2_gbps, "2 3", "L2");
    for (const auto& [p, v] : r.peak_tflops) {
      const double ridge = r.hbm_gbps > 0 ? v * 1e3 / r.hbm_gbps : xa;
      std::snprintf(buf, sizeof buf,
                    "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1.5\"><title>%s %s %s TFLOPS</title></line>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">%s %s</text>\n",
                    px(ridge), py(v), px(xb), py(v), col, r.run.c_str(), p.c_str(), num(v).c_str(),
                    L + pw - 4 - 120.0 * static_cast<double>(ri), py(v) - 3, col, p.c_str(), num(v).c_str());
      o << buf;
    }
    for (const auto& p : r.points) {
      std::snprintf(buf, sizeof buf,
                    "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\" "
                    "fill-opacity=\"0.75\" stroke=\"#333\" stroke-width=\"0.5\">"
                    "<title>%s %s: %.0f FLOP/B, %s TFLOPS</title></circle>\n",
                    px(p.intensity), py(p.tflops), col, r.run.c_str(), html_escape(p.label).c_str(),
                    p.intensity, num(p.tflops).c_str());
      o << buf;
    }
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">%s: HBM %s GB/s%s</text>\n",
                  L + pw + 10, T + 8 + 14.0 * legend, L + pw + 26, T + 8 + 14.0 * legend, col, L + pw + 30,
                  T + 12 + 14.0 * legend, r.run.c_str(), num(r.hbm_gbps).c_str(),
                  r.l2_gbps > 0 ? (", L2 " + num(r.l2_gbps)).c_str() : "");
    leg << buf;
    ++legend;
  }
  o << "</g>\n" << leg.str();
  std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">dots: Llama layer GEMMs</text>\n",
                L + pw + 10, T + 12 + 14.0 * legend);
  o << buf << "</svg>\n";
  return o.str();
}

std::vector<std::string> grouped_problems(const json& doc) {
  struct Group {
    int count = 0;
    std::string status, reason;
    std::set<std::string> benches, gpus;
    bool varied = false;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  for (const auto& b : doc.at("benchmarks")) {
    const std::string st = b.value("status", std::string());
    if (st == "ok") continue;
    const std::string reason = b.value("reason", std::string("(no reason recorded)"));
    // Reasons that differ only in their numbers ("needs GPUs 2 and 3") share a line.
    std::string key = st + "|";
    for (std::size_t i = 0; i < reason.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(reason[i]))) {
        key += '#';
        while (i + 1 < reason.size() && std::isdigit(static_cast<unsigned char>(reason[i + 1]))) ++i;
      } else {
        key += reason[i];
      }
    }
    if (!groups.count(key)) order.push_back(key);
    Group& g = groups[key];
    if (g.count && g.reason != reason) g.varied = true;
    if (!g.count) g.status = st, g.reason = reason;
    ++g.count;
    const auto id = split_id(b.value("id", std::string()));
    g.benches.insert(id ? id->family + "/" + (id->host ? "host/" : "") + id->name
                        : b.value("id", std::string()));
    if (b.contains("gpu_index")) g.gpus.insert(std::to_string(b["gpu_index"].get<int>()));
  }
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return groups[a].count > groups[b].count;
  });
  std::vector<std::string> out;
  for (const auto& k : order) {
    const Group& g = groups[k];
    std::string benches;
    int shown = 0;
    for (const auto& b : g.benches) {
      if (shown++ == 4) {
        benches += ", ...";
        break;
      }
      benches += (benches.empty() ? "" : ", ") + b;
    }
    out.push_back(g.status + " x" + std::to_string(g.count) + ": " + g.reason +
                  (g.varied ? " (and similar)" : "") + " [" + benches +
                  (g.gpus.size() > 1 ? "; " + std::to_string(g.gpus.size()) + " GPUs" : "") + "]");
  }
  return out;
}

namespace {

const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:24px;max-width:1340px;color:#222}
h1{font-size:22px;margin:0 0 8px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12px;margin:6px 0} td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right;white-space:nowrap} small{color:#666}
.fixture{color:#b00;font-weight:bold} .charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #eee} figure.empty{outline:3px solid #d00}
ul.problems{font-size:12px} .faster{color:#080} .slower{color:#b00}
</style>
)";

// Counts each chart's drawn marks in the browser: a mark with a non-empty box inside its SVG.
const char* kRenderCheck = R"(<script>
window.addEventListener('load', function () {
  var figs = document.querySelectorAll('figure.chart'), empty = 0;
  figs.forEach(function (f) {
    var svg = f.querySelector('svg'), w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height, drawn = 0;
    f.querySelectorAll('.mark').forEach(function (m) {
      var b = m.getBBox();
      if ((b.width > 0 || b.height > 0) && b.x <= w && b.y <= h && b.x + b.width >= 0 && b.y + b.height >= 0) drawn++;
    });
    var r = svg.getBoundingClientRect();
    if (r.width < 10 || r.height < 10) drawn = 0;
    f.setAttribute('data-drawn', drawn);
    if (!drawn) { empty++; f.classList.add('empty'); }
  });
  var p = document.getElementById('render-check');
  p.setAttribute('data-charts', figs.length);
  p.setAttribute('data-empty', empty);
  p.textContent = 'Rendered in this browser: ' + (figs.length - empty) + ' of ' + figs.length + ' charts have drawn content.';
});
</script>
)";

std::string figure(const std::string& svg) {
  return "<figure class=\"chart\">" + svg + "</figure>\n";
}

std::string provenance(const std::vector<json>& docs, const std::vector<std::string>& files) {
  std::ostringstream h;
  h << "<table><tr><th>run</th><th>file</th><th>GPUs</th><th>run id</th><th>started (UTC)</th><th>suite / "
       "backend</th>"
       "<th>git</th><th>driver / CUDA / NCCL</th><th>host</th><th>note</th></tr>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const json& d = docs[i];
    const json& run = d["run"];
    const json& sys = d["system"];
    h << "<tr><td><span style=\"color:" << color(static_cast<int>(i)) << "\">&#9632;</span> run" << i + 1
      << "</td><td>" << html_escape(files[i]) << "</td><td>" << html_escape(gpus_text(d)) << "</td><td>"
      << html_escape(run["id"].get<std::string>()) << "</td><td>"
      << html_escape(run["started_utc"].get<std::string>()) << "</td><td>"
      << html_escape(run["suite"].get<std::string>()) << " / "
      << html_escape(run["backend"].get<std::string>()) << "</td><td>"
      << html_escape(run["git_sha"].get<std::string>()) << "</td><td>"
      << html_escape(sys.value("driver_version", std::string("-")) + " / " +
                     sys.value("cuda_runtime_version", std::string("-")) + " / " +
                     sys.value("nccl_version", std::string("-")))
      << "</td><td>" << html_escape(sys.value("hostname", std::string())) << "</td><td>";
    if (is_fixture(d)) h << "<span class=\"fixture\">FIXTURE, not a measurement.</span> ";
    h << html_escape(run.value("note", std::string())) << "</td></tr>\n";
  }
  h << "</table>\n";
  return h.str();
}

std::string compare_table(const std::vector<json>& docs) {
  const auto rows = compare_runs(docs, {});
  std::ostringstream h;
  std::string family;
  for (const auto& r : rows) {
    if (r.family != family) {
      if (!family.empty()) h << "</table>\n";
      family = r.family;
      h << "<h3>" << html_escape(family) << "</h3>\n<table><tr><th>benchmark</th><th>compared at</th>";
      for (std::size_t i = 0; i < docs.size(); ++i) h << "<th>run" << i + 1 << "</th>";
      h << "</tr>\n";
    }
    h << "<tr><td>" << html_escape(r.benchmark) << "</td><td>" << html_escape(r.compared_at) << "</td>";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const RunCell& c = r.runs[i];
      if (!c.present) {
        h << "<td class=\"num\">-</td>";
        continue;
      }
      h << "<td class=\"num\">" << num(c.at.value) << " " << html_escape(metric_unit(r.metric));
      const std::string sz = size_text(r.id, c.at.size);
      if (!sz.empty()) h << " <small>@" << html_escape(sz) << "</small>";
      h << "<br><small>";
      if (c.ratio) h << num(*c.ratio) << "&times;";
      if (c.at.pct_of_peak) h << " &middot; " << num(*c.at.pct_of_peak) << "% of peak";
      if (i > 0 && c.verdict.verdict != Verdict::unknown)
        h << " &middot; <span class=\"" << to_string(c.verdict.verdict) << "\">"
          << to_string(c.verdict.verdict) << "</span>";
      h << "</small></td>";
    }
    h << "</tr>\n";
  }
  if (!family.empty()) h << "</table>\n";
  return h.str();
}

}  // namespace

int report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> inputs;
  std::string output;
  auto app = make_app(
      "gpuscale report",
      "One self-contained HTML page: the runs' provenance; per family the sweeps as charts (bandwidth and\n"
      "latency against size with the L2 size marked, GEMM TFLOPS against size per precision, the Llama\n"
      "layer GEMMs as bars, busbw against message size per collective, transfers); a roofline from the\n"
      "measured ceilings with the layer GEMMs on it; with several runs the same charts overlaid, one\n"
      "colour per run, and the compare table; skipped, errored and not-run benchmarks one line per reason.",
      "exit status: 0 the page was written, 1 it could not be written, 2 bad usage or input.\n\n"
      "examples:\n  gpuscale report h200.json -o h200.html\n"
      "  gpuscale report a100.json h100.json h200.json -o generations.html");
  app->add_option("RUN.json", inputs, "results documents (several: overlaid, with the compare table)")
      ->type_name("")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("-o,--output", output, "the HTML page to write")->type_name("REPORT.html")->required();
  if (const int code = parse_args(*app, args, out, err); code >= 0) return code;
  std::vector<json> docs;
  for (const auto& f : inputs) {
    try {
      docs.push_back(read_results_document(f));
    } catch (const std::exception& e) {
      err << "gpuscale report: " << e.what() << "\n";
      return 2;
    }
  }
  std::ostringstream h;
  std::string title = "gpuscale: ";
  for (std::size_t i = 0; i < docs.size(); ++i) title += (i ? " vs " : "") + gpus_text(docs[i]);
  const bool any_fixture = std::any_of(docs.begin(), docs.end(), [](const json& d) { return is_fixture(d); });
  h << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" << html_escape(title) << "</title>\n"
    << kStyle << "</head>\n<body>\n<h1>" << html_escape(title) << "</h1>\n";
  if (any_fixture)
    h << "<p class=\"fixture\">This page shows FIXTURE documents (marked below): computed stand-ins for "
         "testing and "
         "illustration, not measurements of any GPU.</p>\n";
  h << "<p>GB = 1e9 bytes; bandwidths count bytes read + written (transfers count the bytes crossing the "
       "link). "
       "Curves over several GPUs show their median.</p>\n"
    << provenance(docs, inputs);
  // Family charts: one family at a time, in kKinds order.
  const auto charts = charts_for_runs(docs);
  auto family_of = [](const Chart& c) {
    if (c.title.rfind("Memory", 0) == 0) return std::string("memory");
    if (c.title.rfind("GEMM", 0) == 0) return std::string("gemm");
    if (c.title.rfind("Collective", 0) == 0) return std::string("collective");
    return std::string("transfer");
  };
  const auto bars = layer_bar_charts(docs);
  const char* sections[][2] = {
      {"memory", "Memory: bandwidth and latency against size (the dashed line marks the L2 size)"},
      {"gemm", "GEMM: TFLOPS against size per precision, and the Llama layer shapes"},
      {"collective", "Collectives: busbw against message size"},
      {"transfer", "Transfers: host &harr; device and peer copies"}};
  for (const auto& [fam, heading] : sections) {
    std::ostringstream body;
    for (const Chart& c : charts)
      if (family_of(c) == fam) body << figure(svg_chart(c));
    if (std::string(fam) == "gemm")
      for (const auto& b : bars) body << figure(b);
    if (body.str().empty()) continue;
    h << "<h2>" << heading << "</h2>\n<div class=\"charts\">\n" << body.str() << "</div>\n";
  }
  std::vector<Roofline> roofs;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    Roofline r = roofline_of(docs[i], "run" + std::to_string(i + 1));
    if (r.hbm_gbps > 0 && !r.peak_tflops.empty()) roofs.push_back(std::move(r));
  }
  h << "<h2>Roofline</h2>\n";
  if (roofs.empty()) {
    h << "<p>No roofline: it needs a GPU run with memory bandwidth and GEMM or compute results.</p>\n";
  } else {
    h << "<p>Ceilings are what each run measured: HBM at the largest size (solid), L2 where sizes inside it "
         "ran faster "
         "(dotted), each precision's best rate (horizontal); the dots are the Llama layer GEMMs at their "
         "arithmetic "
         "intensity.</p>\n<div class=\"charts\">"
      << figure(svg_roofline(roofs)) << "</div>\n";
  }
  if (docs.size() > 1)
    h << "<h2>Compare (against run1)</h2>\n<p>Ratio to run1, % of each run's own SKU datasheet peak, and a "
         "verdict from both "
         "runs' samples (a difference beyond the runs' interquartile spread, Mann-Whitney U p &lt; 0.05 and "
         "non-overlapping 95% intervals of the medians).</p>\n"
      << compare_table(docs);
  h << "<h2>Not measured</h2>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto lines = grouped_problems(docs[i]);
    h << "<p>run" << i + 1 << ": "
      << (lines.empty() ? "every benchmark ran ok." : std::to_string(lines.size()) + " reason(s):")
      << "</p>\n";
    if (lines.empty()) continue;
    h << "<ul class=\"problems\">\n";
    for (const auto& l : lines) h << "<li>" << html_escape(l) << "</li>\n";
    h << "</ul>\n";
  }
  h << "<h2>Summary tables</h2>\n";
  for (std::size_t i = 0; i < docs.size(); ++i)
    h << "<details><summary>run" << i + 1 << " (" << html_escape(inputs[i]) << ")</summary><pre>"
      << html_escape(summary_table(docs[i])) << "</pre></details>\n";
  h << "<p id=\"render-check\"></p>\n" << kRenderCheck << "</body></html>\n";
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
