#include "compare_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>

#include "gpuscale/core/args.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::cli {
using nlohmann::json;

namespace {

std::string entry_key(const json& b) {
  std::string key = b.at("id").get<std::string>();
  if (b.contains("gpu_index")) key += " @gpu" + std::to_string(b["gpu_index"].get<int>());
  return key;
}

// Every entry by key; `ok_only` keeps the ok ones.
std::map<std::string, const json*> entries(const json& doc, bool ok_only) {
  std::map<std::string, const json*> out;
  for (const auto& b : doc.at("benchmarks")) {
    // Compared as std::string: GCC 12 warns falsely (-Warray-bounds) on json == const char*.
    if (ok_only && b.at("status").get<std::string>() != "ok") continue;
    out[entry_key(b)] = &b;
  }
  return out;
}

const char* kDescription =
    R"(Runs side by side, across nodes and GPU generations. Per family, each benchmark matched by id
without its size: HBM at the largest size every run has, GEMM at MAMF, at each Llama layer shape and
at the largest common square size, busbw at the largest common message (each run's own largest size
when they share none). For each run: its value (median over its GPUs), the ratio to RUN1, its % of
its own SKU's datasheet peak, and a verdict against RUN1 from both runs' samples: faster or slower
only when the medians differ by more than the runs' spread (the larger interquartile range),
Mann-Whitney U gives p < 0.05 and the 95% intervals of the two medians do not overlap; else same.)";

const char* kFooter =
    R"(Exit status, per benchmark id and GPU against RUN1: a change worse than P percent is a regression,
unless both entries carry samples and the change is inside their noise (same, as above);
a benchmark ok in RUN1 and missing, errored, not run or without RUN1's metric in a later run is
LOST (skipped too when the runs are of one SKU; of another SKU a skip is shown as not comparable).
exit status: 0 no regression and nothing lost, 1 regressions or lost benchmarks (or a later run
with no ok benchmark), 2 bad input (including runs of another schema_version).

examples:
  gpuscale compare last-week.json today.json --threshold-pct 3
  gpuscale compare a100.json h100.json h200.json --price a100-sxm-80gb=1.8,h100-sxm-80gb=2.5,h200-sxm-141gb=3.5
  gpuscale compare a100.json h200.json --format json > cmp.json)";

constexpr std::size_t kDefaultListed = 50;  // per-benchmark lines shown without --all

// Rank of a row inside its family: GEMM's MAMF first, then the layer shapes, then the square sweep.
int row_rank(const FamilyRow& r) {
  if (r.family != "gemm") return 0;
  if (r.id.name == "mamf") return 0;
  if (r.id.axes_label.find("model:") != std::string::npos) return 1;
  return 2;
}

int family_rank(const std::string& f) {
  static const char* kOrder[] = {"memory", "compute", "gemm", "collective", "transfer"};
  for (int i = 0; i < 5; ++i)
    if (f == kOrder[i]) return i;
  return 5;
}

const char* family_title(const std::string& f) {
  if (f == "memory")
    return "memory: bandwidth at the largest size every run has (beyond L2: the HBM plateau); latency at the "
           "largest footprint";
  if (f == "compute") return "compute: peak kernels";
  if (f == "gemm")
    return "gemm: MAMF per precision, each Llama layer shape, square GEMMs at the largest common size";
  if (f == "collective") return "collective: busbw at the largest message every run has";
  if (f == "transfer")
    return "transfer: bandwidth at the largest common size; peer copies: median over GPU pairs";
  return "other";
}

std::string num(double v) {
  char buf[64];
  const double a = std::abs(v);
  if (a >= 100)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 1)
    std::snprintf(buf, sizeof buf, "%.2f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string ratio_text(const std::optional<double>& r) {
  if (!r) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", *r);
  return buf;
}

std::string pct_text(const std::optional<double>& p) {
  if (!p) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", *p);
  return buf;
}

std::string verdict_text(const RunCell& c, std::size_t run_index) {
  if (run_index == 0) return "base";
  if (!c.present) return "-";
  if (c.verdict.verdict == Verdict::unknown)
    return c.verdict.why.empty() ? "-" : "n/a (" + c.verdict.why + ")";
  char buf[64];
  if (c.verdict.p_value < 0.001)
    std::snprintf(buf, sizeof buf, "%s (p<0.001)", to_string(c.verdict.verdict));
  else
    std::snprintf(buf, sizeof buf, "%s (p=%.2g)", to_string(c.verdict.verdict), c.verdict.p_value);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

// A number for JSON: null for a non-finite value (JSON has no NaN).
json jnum(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

struct Input {
  std::vector<std::string> files;
  std::vector<json> docs;
  std::vector<FamilyRow> rows;
  struct PerRun {
    std::vector<Comparison> rows;
    int regressions = 0, lost = 0, compared = 0, not_comparable = 0, within_noise = 0;
    bool no_ok = false;
  };
  std::vector<PerRun> per_run;  // index i: run i against run 0 (index 0 unused)
  std::map<std::string, double> prices;
  double threshold = 5;
  bool all = false;
};

std::string run_line(const Input& in, std::size_t i) {
  const json& d = in.docs[i];
  std::string s = "run" + std::to_string(i + 1) + ": " + in.files[i] + ", " + gpus_text(d) + ", run " +
                  d["run"]["id"].get<std::string>();
  if (auto it = in.prices.find(run_sku(d)); it != in.prices.end()) s += ", $" + num(it->second) + "/GPU-h";
  if (is_fixture(d))
    s += "  [FIXTURE, not a measurement]\n      note: " + d["run"].value("note", std::string());
  return s;
}

std::string per_run_summary(const Input& in, std::size_t i) {
  const auto& p = in.per_run[i];
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "run%zu vs run1: %d benchmarks compared, %d regression(s) beyond %g%%, %d lost (ok in the "
                "base, not in the new run)",
                i + 1, p.compared, p.regressions, in.threshold, p.lost);
  std::string s = buf;
  if (p.not_comparable)
    s += ", " + std::to_string(p.not_comparable) + " not comparable (skipped on run" + std::to_string(i + 1) +
         "'s SKU)";
  if (p.within_noise)
    s += ", " + std::to_string(p.within_noise) + " beyond the threshold but within the runs' noise";
  return s;
}

// The per-benchmark lines worth showing: regressions, lost and not comparable ones always, and with the
// same SKU the changes beyond the threshold; every pair with --all.
std::vector<const Comparison*> shown(const Input& in, std::size_t i) {
  std::vector<const Comparison*> out;
  const bool same_sku = run_sku(in.docs[0]) == run_sku(in.docs[i]);
  for (const auto& r : in.per_run[i].rows)
    if (in.all || r.lost || r.regression || r.not_comparable ||
        (same_sku && std::abs(r.change_pct) >= in.threshold))
      out.push_back(&r);
  return out;
}

void print_table(const Input& in, std::ostream& out) {
  for (std::size_t i = 0; i < in.docs.size(); ++i) out << run_line(in, i) << "\n";
  const bool priced = !in.prices.empty();
  char line[640];
  std::string family;
  int width = 44;  // the longest benchmark of the family, at most 80 characters
  for (const auto& r : in.rows) {
    if (r.family != family) {
      family = r.family;
      width = 9;
      for (const auto& o : in.rows)
        if (o.family == family)
          width = std::max(width, static_cast<int>(std::min<std::size_t>(80, o.benchmark.size())));
      out << "\n== " << family_title(family) << "\n";
      std::snprintf(line, sizeof line, "%-*s %-9s %-5s %14s %-10s %8s %8s  %-26s", width, "benchmark", "size",
                    "run", "value", "unit", "x run1", "% peak", "verdict vs run1");
      out << line;
      if (priced) out << "  per $/GPU-h   x run1";
      out << "\n";
    }
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const RunCell& c = r.runs[i];
      const std::string bench = i == 0 ? r.benchmark.substr(0, 80) : "";
      if (!c.present) {
        std::snprintf(line, sizeof line, "%-*s %-9s %-5s %14s\n", width, bench.c_str(), "",
                      ("run" + std::to_string(i + 1)).c_str(), "-");
        out << line;
        continue;
      }
      std::snprintf(line, sizeof line, "%-*s %-9s %-5s %14s %-10s %8s %8s  %-26s", width, bench.c_str(),
                    size_text(r.id, c.at.size).c_str(), ("run" + std::to_string(i + 1)).c_str(),
                    num(c.at.value).c_str(), metric_unit(r.metric).c_str(), ratio_text(c.ratio).c_str(),
                    pct_text(c.at.pct_of_peak).c_str(), verdict_text(c, i).c_str());
      out << line;
      if (priced && c.per_dollar)
        out << "  " << std::string(11 - std::min<std::size_t>(11, num(*c.per_dollar).size()), ' ')
            << num(*c.per_dollar) << "  "
            << std::string(7 - std::min<std::size_t>(7, ratio_text(c.per_dollar_ratio).size()), ' ')
            << ratio_text(c.per_dollar_ratio);
      out << "\n";
    }
  }
  for (std::size_t i = 1; i < in.docs.size(); ++i) {
    out << "\n== per benchmark and GPU, run" << i + 1 << " vs run1 (the exit status)\n";
    const auto list = shown(in, i);
    std::snprintf(line, sizeof line, "%-60s %-15s %12s %12s %9s\n", "benchmark", "metric", "base", "new",
                  "change");
    if (!list.empty()) out << line;
    std::size_t printed = 0;
    for (const Comparison* r : list) {
      if (!in.all && printed == kDefaultListed) {
        out << "... " << list.size() - printed << " more (--all lists every pair)\n";
        break;
      }
      ++printed;
      if (r->lost || r->not_comparable) {
        std::snprintf(line, sizeof line, "%-60s %-15s %12.2f %12s %9s  %s (%s)\n",
                      r->id.substr(0, 60).c_str(), r->metric.c_str(), r->base, "-", "-",
                      r->lost ? "LOST" : "not comparable", r->why.substr(0, 120).c_str());
      } else {
        std::snprintf(line, sizeof line, "%-60s %-15s %12.2f %12.2f %+8.1f%%%s\n",
                      r->id.substr(0, 60).c_str(), r->metric.c_str(), r->base, r->now, r->change_pct,
                      r->regression     ? "  REGRESSION"
                      : r->within_noise ? ("  (" + r->why + ")").c_str()
                                        : "");
      }
      out << line;
    }
    out << per_run_summary(in, i) << "\n";
  }
}

void print_markdown(const Input& in, std::ostream& out) {
  out << "| run | file | GPUs | run id | note |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < in.docs.size(); ++i) {
    const json& d = in.docs[i];
    out << "| run" << i + 1 << " | " << in.files[i] << " | " << gpus_text(d) << " | "
        << d["run"]["id"].get<std::string>() << " | "
        << (is_fixture(d) ? "**FIXTURE, not a measurement**" : "") << " |\n";
  }
  const bool priced = !in.prices.empty();
  std::string family;
  for (const auto& r : in.rows) {
    if (r.family != family) {
      family = r.family;
      out << "\n### " << family_title(family)
          << "\n\n| benchmark | size | run | value | × run1 | % of peak | verdict vs run1 |"
          << (priced ? " per $/GPU-h | × run1 |" : "") << "\n|---|---|---|---:|---:|---:|---|"
          << (priced ? "---:|---:|" : "") << "\n";
    }
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const RunCell& c = r.runs[i];
      out << "| " << (i == 0 ? "`" + r.benchmark + "`" : "") << " | "
          << (c.present ? size_text(r.id, c.at.size) : "") << " | run" << i + 1 << " | "
          << (c.present ? num(c.at.value) + " " + metric_unit(r.metric) : "-") << " | "
          << (c.present ? ratio_text(c.ratio) : "-") << " | "
          << (c.present ? pct_text(c.at.pct_of_peak) : "-") << " | " << verdict_text(c, i) << " |";
      if (priced)
        out << " " << (c.per_dollar ? num(*c.per_dollar) : "-") << " | " << ratio_text(c.per_dollar_ratio)
            << " |";
      out << "\n";
    }
  }
  for (std::size_t i = 1; i < in.docs.size(); ++i) {
    out << "\n**" << per_run_summary(in, i) << "**\n";
    const auto list = shown(in, i);
    if (list.empty()) continue;
    out << "\n| benchmark | metric | base | new | change |\n|---|---|---:|---:|---|\n";
    std::size_t printed = 0;
    for (const Comparison* r : list) {
      if (!in.all && printed++ == kDefaultListed) {
        out << "| … " << list.size() - kDefaultListed << " more (--all) | | | | |\n";
        break;
      }
      out << "| `" << r->id << "` | " << r->metric << " | " << num(r->base) << " | "
          << (r->lost || r->not_comparable ? "-" : num(r->now)) << " | ";
      if (r->lost)
        out << "LOST (" << r->why << ")";
      else if (r->not_comparable)
        out << "not comparable (" << r->why << ")";
      else
        out << (r->change_pct >= 0 ? "+" : "") << num(r->change_pct) << "%"
            << (r->regression ? " REGRESSION" : "");
      out << " |\n";
    }
  }
}

void print_csv(const Input& in, std::ostream& out) {
  out << "section,family,benchmark,metric,unit,size,run,file,sku,value,ratio_to_run1,pct_of_peak,verdict,p_"
         "value,"
         "per_dollar_gpu_hour,per_dollar_ratio,fixture\n";
  auto opt = [](const std::optional<double>& v) { return v ? num(*v) : std::string(); };
  for (const auto& r : in.rows)
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const RunCell& c = r.runs[i];
      if (!c.present) continue;
      out << "family," << r.family << "," << csv_field(r.benchmark) << "," << r.metric << ","
          << csv_field(metric_unit(r.metric)) << "," << csv_field(size_text(r.id, c.at.size)) << ",run"
          << i + 1 << "," << csv_field(in.files[i]) << "," << run_sku(in.docs[i]) << "," << num(c.at.value)
          << "," << opt(c.ratio) << "," << opt(c.at.pct_of_peak) << ","
          << (i == 0 ? "base" : to_string(c.verdict.verdict)) << ","
          << (i == 0 || c.verdict.verdict == Verdict::unknown ? "" : num(c.verdict.p_value)) << ","
          << opt(c.per_dollar) << "," << opt(c.per_dollar_ratio) << ","
          << (is_fixture(in.docs[i]) ? "yes" : "no") << "\n";
    }
  for (std::size_t i = 1; i < in.docs.size(); ++i)
    for (const Comparison* r : shown(in, i)) {
      const std::string fam = r->id.substr(0, r->id.find('/'));
      out << "benchmark," << fam << "," << csv_field(r->id) << "," << r->metric << ","
          << csv_field(metric_unit(r->metric)) << ",,run" << i + 1 << "," << csv_field(in.files[i]) << ","
          << run_sku(in.docs[i]) << "," << (r->lost || r->not_comparable ? "" : num(r->now)) << ","
          << (r->lost || r->not_comparable || r->base == 0 ? "" : num(r->now / r->base)) << ",,"
          << (r->lost             ? "LOST"
              : r->not_comparable ? "not_comparable"
              : r->regression     ? "REGRESSION"
                                  : "ok")
          << ",,,," << (is_fixture(in.docs[i]) ? "yes" : "no") << "\n";
    }
}

json to_json_output(const Input& in, int exit_code) {
  json j;
  j["threshold_pct"] = in.threshold;
  j["runs"] = json::array();
  for (std::size_t i = 0; i < in.docs.size(); ++i) {
    const json& d = in.docs[i];
    json r = {{"run", i + 1},
              {"file", in.files[i]},
              {"run_id", d["run"]["id"]},
              {"gpus", gpus_text(d)},
              {"sku", run_sku(d)},
              {"schema_version", d["schema_version"]},
              {"fixture", is_fixture(d)}};
    if (d["run"].contains("note")) r["note"] = d["run"]["note"];
    if (auto it = in.prices.find(run_sku(d)); it != in.prices.end()) r["price_per_gpu_hour"] = it->second;
    j["runs"].push_back(r);
  }
  j["families"] = json::array();
  for (const auto& r : in.rows) {
    if (j["families"].empty() || j["families"].back()["family"] != r.family)
      j["families"].push_back(
          {{"family", r.family}, {"title", family_title(r.family)}, {"rows", json::array()}});
    json row = {{"benchmark", r.benchmark},      {"metric", r.metric},
                {"unit", metric_unit(r.metric)}, {"higher_is_better", r.higher_is_better},
                {"compared_at", r.compared_at},  {"values", json::array()}};
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const RunCell& c = r.runs[i];
      json v = {{"run", i + 1}, {"present", c.present}};
      if (c.present) {
        v["value"] = jnum(c.at.value);
        v["instances"] = c.at.instances;
        if (!r.id.size_axis.empty()) v["size"] = c.at.size, v["size_text"] = size_text(r.id, c.at.size);
        if (c.at.pct_of_peak) v["pct_of_peak"] = jnum(*c.at.pct_of_peak), v["peak"] = c.at.peak_what;
        if (c.ratio) v["ratio_to_run1"] = jnum(*c.ratio);
        if (i > 0) {
          v["verdict"] = to_string(c.verdict.verdict);
          if (c.verdict.verdict != Verdict::unknown)
            v["p_value"] = jnum(c.verdict.p_value), v["change_pct"] = jnum(c.verdict.change_pct),
            v["spread_pct"] = jnum(c.verdict.spread_pct);
          else
            v["verdict_why"] = c.verdict.why;
        }
        v["samples"] = c.at.samples.size();
        v["median_interval"] = {jnum(median_interval(c.at.samples).lo),
                                jnum(median_interval(c.at.samples).hi)};
        if (c.per_dollar) v["per_dollar_gpu_hour"] = jnum(*c.per_dollar);
        if (c.per_dollar_ratio) v["per_dollar_ratio_to_run1"] = jnum(*c.per_dollar_ratio);
      }
      row["values"].push_back(v);
    }
    j["families"].back()["rows"].push_back(row);
  }
  j["per_benchmark"] = json::array();
  for (std::size_t i = 1; i < in.docs.size(); ++i) {
    const auto& p = in.per_run[i];
    json e = {{"run", i + 1},
              {"base_run", 1},
              {"compared", p.compared},
              {"regressions", p.regressions},
              {"lost", p.lost},
              {"not_comparable", p.not_comparable},
              {"within_noise", p.within_noise},
              {"no_ok_benchmark", p.no_ok},
              {"rows", json::array()}};
    for (const Comparison* r : shown(in, i)) {
      json c = {{"id", r->id},
                {"metric", r->metric},
                {"base", jnum(r->base)},
                {"regression", r->regression},
                {"within_noise", r->within_noise},
                {"lost", r->lost},
                {"not_comparable", r->not_comparable}};
      if (!r->lost && !r->not_comparable) c["now"] = jnum(r->now), c["change_pct"] = jnum(r->change_pct);
      if (!r->why.empty()) c["why"] = r->why;
      e["rows"].push_back(c);
    }
    j["per_benchmark"].push_back(e);
  }
  j["exit_code"] = exit_code;
  return j;
}

}  // namespace

std::vector<Comparison> compare_documents(const json& base, const json& now, double threshold_pct,
                                          bool skipped_is_lost) {
  std::vector<Comparison> out;
  const auto a = entries(base, true);
  const auto b = entries(now, false);
  for (const auto& [key, ea] : a) {
    const json& ma = ea->value("metrics", json::object());
    const HeadlineMetric* h = nullptr;
    for (const auto& m : kHeadlineMetrics)
      if (ma.contains(m.name)) {
        h = &m;
        break;
      }
    if (!h) continue;  // nothing to compare in the base either
    Comparison c;
    c.id = key;
    c.metric = h->name;
    c.base = ma[h->name].get<double>();
    auto it = b.find(key);
    if (it == b.end()) {
      c.lost = true;
      c.why = "missing";
    } else if (const std::string st = it->second->at("status").get<std::string>(); st != "ok") {
      c.why = st + (it->second->contains("reason") ? ": " + it->second->at("reason").get<std::string>() : "");
      if (st == "skipped" && !skipped_is_lost)
        c.not_comparable = true;
      else
        c.lost = true;
    } else if (const json& mb = it->second->value("metrics", json::object()); !mb.contains(h->name)) {
      c.lost = true;
      c.why = "no " + std::string(h->name);
    } else {
      c.now = mb[h->name].get<double>();
      if (c.base > 0) {
        const double rel = (c.now - c.base) / c.base * 100;
        c.change_pct = h->higher_is_better ? rel : -rel;
      }
      c.regression = c.change_pct < -threshold_pct;
      if (c.regression) {
        // Beyond the threshold but inside the runs' own spread (enough samples on both sides to tell):
        // noise, not a regression.
        const NoiseVerdict v =
            noise_verdict(metric_samples(*ea, *h), metric_samples(*it->second, *h), h->higher_is_better);
        if (v.verdict == Verdict::same) {
          c.regression = false;
          c.within_noise = true;
          char buf[96];
          std::snprintf(buf, sizeof buf, "within the runs' noise: spread %.1f%%, p=%.2g", v.spread_pct,
                        v.p_value);
          c.why = buf;
        }
      }
    }
    out.push_back(c);
  }
  return out;
}

std::vector<FamilyRow> compare_runs(const std::vector<json>& docs,
                                    const std::map<std::string, double>& prices) {
  std::vector<std::map<std::string, Series>> series;
  for (const auto& d : docs) series.push_back(series_of(d));
  std::vector<std::string> keys;
  for (const auto& s : series)
    for (const auto& [k, _] : s)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  std::vector<FamilyRow> rows;
  for (const auto& key : keys) {
    std::vector<const Series*> present(docs.size(), nullptr);
    const Series* first = nullptr;
    for (std::size_t i = 0; i < docs.size(); ++i)
      if (auto it = series[i].find(key); it != series[i].end()) {
        present[i] = &it->second;
        if (!first) first = present[i];
      }
    FamilyRow row;
    row.family = first->id.family;
    row.benchmark = first->id.label;
    row.id = first->id;
    row.metric = first->metric->name;
    row.higher_is_better = first->metric->higher_is_better;
    const auto common = largest_common_size(present);
    if (!row.id.size_axis.empty())
      row.compared_at = common ? "largest common size" : "each run's largest size";
    for (std::size_t i = 0; i < docs.size(); ++i) {
      RunCell c;
      if (present[i]) {
        c.present = true;
        const double size = common ? *common : present[i]->by_size.rbegin()->first;
        c.at = series_value(docs[i], *present[i], size);
        if (auto it = prices.find(run_sku(docs[i])); it != prices.end() && row.higher_is_better)
          c.per_dollar = c.at.value / it->second;
      }
      row.runs.push_back(std::move(c));
    }
    const RunCell& base = row.runs[0];
    for (std::size_t i = 0; i < row.runs.size(); ++i) {
      RunCell& c = row.runs[i];
      if (!c.present || !base.present) continue;
      if (base.at.value > 0) c.ratio = c.at.value / base.at.value;
      if (c.per_dollar && base.per_dollar && *base.per_dollar > 0)
        c.per_dollar_ratio = *c.per_dollar / *base.per_dollar;
      if (i > 0) c.verdict = noise_verdict(base.at.samples, c.at.samples, row.higher_is_better);
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const FamilyRow& a, const FamilyRow& b) {
    if (family_rank(a.family) != family_rank(b.family)) return family_rank(a.family) < family_rank(b.family);
    if (row_rank(a) != row_rank(b)) return row_rank(a) < row_rank(b);
    return a.benchmark < b.benchmark;
  });
  return rows;
}

std::map<std::string, double> parse_prices(const std::string& text) {
  std::map<std::string, double> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto eq = part.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--price: '" + part + "' is not SKU=USD_PER_GPU_HOUR");
    const std::string sku = part.substr(0, eq);
    if (!find_spec_by_key(sku)) {
      std::string known;
      for (const auto& s : spec_table()) known += (known.empty() ? "" : ", ") + std::string(s.key);
      throw std::invalid_argument("--price: '" + sku + "' is not a SKU of the spec table (" + known + ")");
    }
    const auto v = parse_finite(part.substr(eq + 1));
    if (!v || *v <= 0)
      throw std::invalid_argument("--price: '" + part.substr(eq + 1) + "' for " + sku +
                                  " is not a price > 0");
    out[sku] = *v;
  }
  if (out.empty()) throw std::invalid_argument("--price needs SKU=USD_PER_GPU_HOUR[,...]");
  return out;
}

int compare_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Input in;
  std::string format = "table";
  auto app = make_app("gpuscale compare", kDescription, kFooter);
  std::string prices;
  app->add_option("RUN.json", in.files, "results documents: RUN1 (the reference), RUN2, [RUN3 ...]")
      ->type_name("")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--threshold-pct", in.threshold, "a finite number >= 0 (default 5)")
      ->type_name("P")
      ->check(finite_number("a number >= 0", [](double v) { return v >= 0; }));
  app->add_option("--price", prices, "price per GPU-hour per spec-table SKU: adds throughput per dollar")
      ->type_name("SKU=USD,...");
  app->add_option("--format", format, "table (default), markdown, csv or json")
      ->type_name("F")
      ->check(one_of({"table", "markdown", "csv", "json"}, "table, markdown, csv or json"));
  app->add_flag("--all", in.all,
                "list every per-benchmark pair (default: regressions, lost, the largest changes)");
  if (const int code = parse_args(*app, args, out, err); code >= 0) return code;
  try {
    if (app->count("--price")) in.prices = parse_prices(prices);
    if (in.files.size() < 2) throw std::invalid_argument("needs two or more results documents");
  } catch (const std::exception& e) {
    usage_error(*app, e.what(), err);
    return 2;
  }
  // Versions first: runs of different schema versions are refused naming every file's version.
  std::vector<std::string> versions;
  bool other_version = false;
  for (const auto& f : in.files) {
    try {
      const json raw = read_json_file(f);
      const json v = raw.is_object() && raw.contains("schema_version") ? raw["schema_version"] : json("none");
      versions.push_back(f + " is schema_version " + v.dump());
      other_version |= v != kResultsSchemaVersion;
    } catch (const std::exception& e) {
      err << "gpuscale compare: " << e.what() << "\n";
      return 2;
    }
  }
  if (other_version) {
    err << "gpuscale compare: cannot compare: ";
    for (std::size_t i = 0; i < versions.size(); ++i) err << (i ? ", " : "") << versions[i];
    err << "; this gpuscale reads schema_version " << kResultsSchemaVersion
        << " (compare older runs with the gpuscale that wrote them)\n";
    return 2;
  }
  for (const auto& f : in.files) {
    try {
      in.docs.push_back(read_results_document(f));
    } catch (const std::exception& e) {
      err << "gpuscale compare: " << e.what() << "\n";
      return 2;
    }
  }
  in.rows = compare_runs(in.docs, in.prices);
  in.per_run.resize(in.docs.size());
  bool failed = false;
  for (std::size_t i = 1; i < in.docs.size(); ++i) {
    auto& p = in.per_run[i];
    const bool same_sku = run_sku(in.docs[0]) == run_sku(in.docs[i]);
    p.rows = compare_documents(in.docs[0], in.docs[i], in.threshold, same_sku);
    for (const auto& r : p.rows) {
      p.regressions += r.regression;
      p.lost += r.lost;
      p.not_comparable += r.not_comparable;
      p.within_noise += r.within_noise;
      p.compared += !r.lost && !r.not_comparable;
    }
    int ok_now = 0;
    for (const auto& b : in.docs[i]["benchmarks"]) ok_now += b["status"].get<std::string>() == "ok";
    p.no_ok = ok_now == 0;
    failed |= p.regressions || p.lost || p.no_ok;
  }
  const int code = failed ? 1 : 0;
  if (format == "json")
    out << to_json_output(in, code).dump(2) << "\n";
  else if (format == "markdown")
    print_markdown(in, out);
  else if (format == "csv")
    print_csv(in, out);
  else
    print_table(in, out);
  for (std::size_t i = 1; i < in.docs.size(); ++i)
    if (in.per_run[i].no_ok) err << "gpuscale compare: " << in.files[i] << " has no benchmark that ran ok\n";
  return code;
}

}  // namespace gpuscale::cli
