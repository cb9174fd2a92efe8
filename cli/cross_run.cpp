#include "cross_run.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <set>
#include <stdexcept>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/stats.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::cli {
using nlohmann::json;

// --- noise -----------------------------------------------------------------------------------

namespace {

// P(B <= k) for B ~ Binomial(n, 1/2).
double binomial_half_cdf(std::size_t n, std::size_t k) {
  double term = std::pow(0.5, static_cast<double>(n)), sum = 0;  // C(n, 0) / 2^n
  for (std::size_t i = 0; i <= k && i <= n; ++i) {
    sum += term;
    term = term * static_cast<double>(n - i) / static_cast<double>(i + 1);
  }
  return std::min(sum, 1.0);
}

}  // namespace

MedianInterval median_interval(std::vector<double> v, double confidence) {
  MedianInterval m;
  m.n = v.size();
  if (v.empty()) return m;
  std::sort(v.begin(), v.end());
  m.median = median(v);
  m.lo = v.front();
  m.hi = v.back();
  m.coverage = 1 - 2 * binomial_half_cdf(m.n, 0);
  // The largest r (1-based) whose interval [x_(r), x_(n+1-r)] still covers the median with
  // probability 1 - 2 P(B <= r - 1) >= confidence.
  for (std::size_t r = 2; 2 * r <= m.n + 1; ++r) {
    const double cov = 1 - 2 * binomial_half_cdf(m.n, r - 1);
    if (cov < confidence) break;
    m.lo = v[r - 1];
    m.hi = v[m.n - r];
    m.coverage = cov;
  }
  return m;
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return 1;
  // U of a: pairs where a wins, ties count one half.
  double u = 0;
  bool ties = false;
  for (double x : a)
    for (double y : b) {
      if (x > y)
        u += 1;
      else if (x == y)
        u += 0.5, ties = true;
    }
  // Ties inside one sample also break the exact distribution.
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  std::vector<double> tie_sizes;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    if (j - i > 1) ties = true, tie_sizes.push_back(static_cast<double>(j - i));
    i = j;
  }
  const double mu = static_cast<double>(n1 * n2) / 2;
  if (!ties && n1 * n2 <= 400) {
    // Exact: count[i][j][k] arrangements of i a's and j b's with U = k, rolled over i.
    const std::size_t umax = n1 * n2;
    std::vector<std::vector<double>> prev(n2 + 1, std::vector<double>(umax + 1, 0)), cur = prev;
    for (std::size_t j = 0; j <= n2; ++j) prev[j][0] = 1;  // no a's: U = 0
    for (std::size_t i = 1; i <= n1; ++i) {
      for (auto& row : cur) std::fill(row.begin(), row.end(), 0);
      cur[0][0] = 1;
      for (std::size_t j = 1; j <= n2; ++j)
        for (std::size_t k = 0; k <= i * j; ++k)
          cur[j][k] = (k >= j ? prev[j][k - j] : 0) + cur[j - 1][k];  // largest is an a (beats j b's) or a b
      std::swap(prev, cur);
    }
    const auto& dist = prev[n2];
    double total = 0, le = 0, ge = 0;
    for (std::size_t k = 0; k <= umax; ++k) {
      total += dist[k];
      if (static_cast<double>(k) <= u) le += dist[k];
      if (static_cast<double>(k) >= u) ge += dist[k];
    }
    return std::min(1.0, 2 * std::min(le, ge) / total);
  }
  const double n = static_cast<double>(n1 + n2);
  double tie_term = 0;
  for (double t : tie_sizes) tie_term += t * t * t - t;
  const double var = static_cast<double>(n1 * n2) / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return 1;
  const double z = std::max(0.0, std::abs(u - mu) - 0.5) / std::sqrt(var);
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::same:
      return "same";
    case Verdict::faster:
      return "faster";
    case Verdict::slower:
      return "slower";
    case Verdict::unknown:
      return "n/a";
  }
  return "n/a";
}

NoiseVerdict noise_verdict(const std::vector<double>& base, const std::vector<double>& now,
                           bool higher_is_better) {
  NoiseVerdict r;
  r.base = median_interval(base);
  r.now = median_interval(now);
  if (base.size() < kMinSamplesForVerdict || now.size() < kMinSamplesForVerdict) {
    r.why = "too few samples (" + std::to_string(base.size()) + " and " + std::to_string(now.size()) +
            "; needs " + std::to_string(kMinSamplesForVerdict) + " each)";
    return r;
  }
  r.p_value = mann_whitney_p(now, base);
  const bool apart = r.now.lo > r.base.hi || r.now.hi < r.base.lo;
  const double iqr =
      std::max(quantile(base, 0.75) - quantile(base, 0.25), quantile(now, 0.75) - quantile(now, 0.25));
  if (r.base.median != 0) {
    r.change_pct = 100 * (r.now.median - r.base.median) / std::abs(r.base.median);
    r.spread_pct = 100 * iqr / std::abs(r.base.median);
  }
  const bool beyond_spread = std::abs(r.now.median - r.base.median) > iqr;
  if (r.p_value >= kVerdictAlpha || !apart || !beyond_spread) {
    r.verdict = Verdict::same;
    return r;
  }
  const bool higher = r.now.median > r.base.median;
  r.verdict = higher == higher_is_better ? Verdict::faster : Verdict::slower;
  return r;
}

// --- one entry -------------------------------------------------------------------------------

const HeadlineMetric* headline_metric(const json& entry) {
  const auto it = entry.find("metrics");
  if (it == entry.end() || !it->is_object()) return nullptr;
  for (const auto& m : kHeadlineMetrics)
    if (it->contains(m.name) && (*it)[m.name].is_number()) return &m;
  return nullptr;
}

std::vector<double> metric_samples(const json& entry, const HeadlineMetric& m) {
  const double value = entry["metrics"][m.name].get<double>();
  std::vector<double> raw;
  if (entry.contains("samples_s"))
    for (const auto& s : entry["samples_s"])
      if (s.is_number() && s.get<double>() > 0 && std::isfinite(s.get<double>()))
        raw.push_back(s.get<double>());
  if (raw.empty() || !std::isfinite(value)) return {value};
  const std::vector<double> kept = drop_outliers(raw);
  const double med = entry.contains("stats") ? entry["stats"].value("median_s", 0.0) : median(kept);
  if (!(med > 0)) return {value};
  std::vector<double> out;
  out.reserve(kept.size());
  for (double t : kept) out.push_back(m.higher_is_better ? value * med / t : value * t / med);
  return out;
}

std::string metric_unit(const std::string& metric) {
  if (metric == "bandwidth_gbps") return "GB/s";
  if (metric == "busbw_gbps") return "GB/s busbw";
  if (metric == "tflops") return "TFLOPS";
  if (metric == "tops") return "TOPS";
  if (metric == "latency_ns") return "ns";
  return metric;
}

std::optional<SplitId> split_id(const std::string& text) {
  BenchmarkId id;
  try {
    id = BenchmarkId::parse(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  SplitId s;
  s.family = id.family;
  s.host = id.host;
  s.name = id.name;
  std::map<std::string, std::string> axes(id.axes.begin(), id.axes.end());
  const bool square = id.family == "gemm" && axes.count("m") && axes.count("n") && axes.count("k") &&
                      axes["m"] == axes["n"] && axes["m"] == axes["k"] && !axes.count("model");
  for (const auto& [k, v] : id.axes) {
    if (k == "bytes" || (square && (k == "m" || k == "n" || k == "k"))) {
      // A size that is not a positive finite number (bytes:0, bytes:inf, bytes:abc) cannot be placed
      // on a size axis: the entry is left out.
      const auto num = parse_finite(square ? axes["m"] : v);
      if (!num || *num <= 0) return std::nullopt;
      s.size = *num;
      s.size_axis = square ? "m=n=k" : "bytes";
      continue;
    }
    if (id.name == "d2d_peer" && (k == "src" || k == "dst")) {
      s.instance += (s.instance.empty() ? "" : "/") + k + ":" + v;
      continue;
    }
    s.axes_label += (s.axes_label.empty() ? "" : "/") + k + ":" + v;
  }
  s.label = (id.host ? "host/" : "") + id.name + (s.axes_label.empty() ? "" : "/" + s.axes_label);
  s.series = id.family + "/" + s.label;
  return s;
}

const json& gpus_of(const json& doc) {
  static const json none = json::array();
  const auto it = doc.find("gpus");
  return it != doc.end() && it->is_array() ? *it : none;
}

const GpuSpec* spec_of_entry(const json& doc, const json& entry) {
  const json& gpus = gpus_of(doc);
  if (gpus.empty()) return nullptr;
  const json* g = &gpus[0];
  if (entry.contains("gpu_index"))
    for (const auto& c : gpus)
      if (c.value("index", -1) == entry["gpu_index"].get<int>()) {
        g = &c;
        break;
      }
  return find_spec_by_key(g->value("sku", std::string("unknown")));
}

double pcie_gbps(int generation, int width) {
  static const double kGts[] = {0, 2.5, 5, 8, 16, 32, 64};  // GT/s per lane, Gen1..Gen6
  if (generation < 1 || generation > 6 || width <= 0) return 0;
  const double encoding = generation <= 2 ? 8.0 / 10 : 128.0 / 130;
  return kGts[generation] * width * encoding / 8;  // GT/s x lanes x payload fraction / 8 bits = GB/s
}

double datasheet_peak(const json& entry, const GpuSpec* spec, std::string* what) {
  auto say = [&](const std::string& s) {
    if (what) *what = s;
  };
  say("");
  if (!spec || entry.value("backend", std::string("gpu")) != "gpu") return 0;
  const HeadlineMetric* m = headline_metric(entry);
  if (!m) return 0;
  const std::string metric = m->name, family = entry.value("family", std::string());
  const auto id = split_id(entry.value("id", std::string()));
  if (!id) return 0;
  const double pcie = pcie_gbps(spec->pcie_generation, 16);
  const std::string pcie_what = "PCIe Gen" + std::to_string(spec->pcie_generation) + " x16 per direction";
  if (family == "memory" && metric == "bandwidth_gbps") {
    say("HBM datasheet");
    return spec->memory_bandwidth_gbps;
  }
  if ((family == "gemm" || family == "compute") && (metric == "tflops" || metric == "tops")) {
    const std::string peak = entry.contains("work") ? entry["work"].value("peak", std::string()) : "";
    const auto p = peak_from_string(peak);
    if (!p || spec->peak(*p) <= 0) return 0;
    say(peak + " datasheet");
    return spec->peak(*p);
  }
  if (family == "collective" && metric == "busbw_gbps") {
    if (spec->nvlink_gbps > 0) {
      say("NVLink one way");
      return spec->nvlink_gbps / 2;
    }
    say(pcie_what);
    return pcie;
  }
  if (family == "transfer" && metric == "bandwidth_gbps") {
    if (id->name == "d2d_peer") {
      const std::string link =
          entry.contains("parameters") ? entry["parameters"].value("link", std::string()) : "";
      if (link == "nvlink" && spec->nvlink_gbps > 0) {
        say("NVLink one way");
        return spec->nvlink_gbps / 2;
      }
      say(pcie_what);
      return pcie;
    }
    if (id->name == "bidir") {
      say(pcie_what + ", both directions");
      return 2 * pcie;
    }
    say(pcie_what);
    return pcie;
  }
  return 0;
}

// --- series of a document ---------------------------------------------------------------------

std::map<std::string, Series> series_of(const json& doc) {
  std::map<std::string, Series> out;
  for (const auto& b : doc.at("benchmarks")) {
    if (b.value("status", std::string()) != "ok") continue;
    const HeadlineMetric* m = headline_metric(b);
    if (!m) continue;
    const double v = b["metrics"][m->name].get<double>();
    if (!std::isfinite(v) || v < 0) continue;
    const auto id = split_id(b.value("id", std::string()));
    if (!id) continue;
    const std::string key = id->series + " [" + m->name + "]";
    Series& s = out[key];
    if (s.key.empty()) {
      s.key = key;
      s.id = *id;
      s.metric = m;
    }
    std::string inst = id->instance;
    if (inst.empty())
      inst = b.contains("gpu_index") ? "gpu" + std::to_string(b["gpu_index"].get<int>()) : "node";
    s.by_size[id->size].push_back({inst, &b});
  }
  return out;
}

SeriesValue series_value(const json& doc, const Series& s, double size) {
  SeriesValue r;
  r.size = size;
  const auto it = s.by_size.find(size);
  if (it == s.by_size.end()) return r;
  std::vector<double> pcts;
  bool every_peak = true;
  for (const Instance& inst : it->second) {
    const json& e = *inst.entry;
    const double v = e["metrics"][s.metric->name].get<double>();
    r.per_instance.push_back(v);
    const auto smp = metric_samples(e, *s.metric);
    r.samples.insert(r.samples.end(), smp.begin(), smp.end());
    std::string what;
    const double peak = datasheet_peak(e, spec_of_entry(doc, e), &what);
    if (peak > 0) {
      pcts.push_back(pct_of(v, peak));
      r.peak_what = what;
    } else {
      every_peak = false;
    }
  }
  r.instances = static_cast<int>(r.per_instance.size());
  r.value = median(r.per_instance);
  if (every_peak && !pcts.empty()) r.pct_of_peak = median(pcts);
  return r;
}

std::optional<double> largest_common_size(const std::vector<const Series*>& series) {
  std::optional<std::set<double>> common;
  for (const Series* s : series) {
    if (!s) continue;
    std::set<double> sizes;
    for (const auto& [size, _] : s->by_size) sizes.insert(size);
    if (!common) {
      common = sizes;
    } else {
      std::set<double> both;
      std::set_intersection(common->begin(), common->end(), sizes.begin(), sizes.end(),
                            std::inserter(both, both.begin()));
      common = both;
    }
  }
  if (!common || common->empty()) return std::nullopt;
  return *common->rbegin();
}

std::string size_text(const SplitId& id, double size) {
  if (id.size_axis == "bytes") return format_bytes(static_cast<std::uint64_t>(size));
  if (id.size_axis == "m=n=k") {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.0f^3", size);
    return buf;
  }
  return "";
}

std::string gpus_text(const json& doc) {
  const json& gpus = gpus_of(doc);
  if (gpus.empty()) return "host backend (no GPU)";
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& g : gpus) {
    const std::string name =
        g.value("name", std::string("?")) + " (" + g.value("sku", std::string("unknown")) + ")";
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == name; });
    if (it == counts.end())
      counts.emplace_back(name, 1);
    else
      ++it->second;
  }
  std::string out;
  for (const auto& [name, n] : counts) out += (out.empty() ? "" : ", ") + std::to_string(n) + "x " + name;
  return out;
}

std::string run_sku(const json& doc) {
  const json& gpus = gpus_of(doc);
  return gpus.empty() ? "host" : gpus[0].value("sku", std::string("unknown"));
}

bool is_fixture(const json& doc) {
  std::string note = doc.at("run").value("note", std::string());
  std::transform(note.begin(), note.end(), note.begin(), [](unsigned char c) { return std::tolower(c); });
  return note.find("fixture") != std::string::npos;
}

json read_results_document(const std::string& path) {
  json doc = read_json_file(path);
  if (!doc.is_object() || !doc.contains("schema_version"))
    throw std::runtime_error(path + ": not a results document (no schema_version)");
  if (doc["schema_version"] != kResultsSchemaVersion)
    throw std::runtime_error(path + ": schema_version " + doc["schema_version"].dump() +
                             "; this gpuscale reads schema_version " + std::to_string(kResultsSchemaVersion));
  if (const auto problems = validate_json(results_schema(), doc); !problems.empty())
    throw std::runtime_error(path + ": not a results document: " + problems.front());
  return doc;
}

}  // namespace gpuscale::cli
