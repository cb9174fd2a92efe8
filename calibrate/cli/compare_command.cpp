#include "compare_command.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schemas.hpp"
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

const char* kUsage = R"(usage: gpuscale compare BASE.json NEW.json [--threshold-pct P] [--all]

Compares the headline metric (bandwidth, busbw, TFLOPS, latency) of every benchmark that ran ok in
the base. A change worse than P percent (default 5) is a regression; a benchmark that was ok in
the base and is missing, skipped, errored or not run in the new document, or lacks the base's
metric there, is LOST and fails the comparison whatever P.
  --threshold-pct P   a finite number >= 0 (both --threshold-pct P and --threshold-pct=P)
  --all               list every pair (default: regressions, lost ones and the largest changes)
exit status: 0 no regression and nothing lost, 1 regressions or lost benchmarks (or a new
document with no ok benchmark), 2 bad input.

example:
  gpuscale compare last-week.json today.json --threshold-pct 3
)";

}  // namespace

std::vector<Comparison> compare_documents(const json& base, const json& now, double threshold_pct) {
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
    Comparison c{key, h->name, ma[h->name].get<double>(), 0};
    auto it = b.find(key);
    if (it == b.end()) {
      c.lost = true;
      c.why = "missing";
    } else if (const std::string st = it->second->at("status").get<std::string>(); st != "ok") {
      c.lost = true;
      c.why = st + (it->second->contains("reason") ? ": " + it->second->at("reason").get<std::string>() : "");
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
    }
    out.push_back(c);
  }
  return out;
}

int compare_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  double threshold = 5;
  bool all = false;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "-h" || args[i] == "--help") {
        out << kUsage;
        return 0;
      } else if (args[i] == "--threshold-pct" || args[i].rfind("--threshold-pct=", 0) == 0) {
        std::string text;
        if (args[i] != "--threshold-pct") text = args[i].substr(16);
        else if (i + 1 < args.size()) text = args[++i];
        else throw std::invalid_argument("--threshold-pct needs a value");
        const auto v = parse_finite(text);
        if (!v || *v < 0) throw std::invalid_argument("--threshold-pct: '" + text + "' is not a number >= 0");
        threshold = *v;
      } else if (args[i] == "--all") {
        all = true;
      } else if (args[i].rfind("-", 0) == 0) {
        throw std::invalid_argument("unknown option '" + args[i] + "'");
      } else {
        files.push_back(args[i]);
      }
    }
    if (files.size() != 2) throw std::invalid_argument("needs exactly two results documents");
  } catch (const std::exception& e) {
    err << "gpuscale compare: " << e.what() << " (see gpuscale compare --help)\n";
    return 2;
  }
  json docs[2];
  for (int i = 0; i < 2; ++i) {
    try {
      docs[i] = read_json_file(files[i]);
    } catch (const std::exception& e) {
      err << "gpuscale compare: " << e.what() << "\n";
      return 2;
    }
    const auto problems = validate_json(results_schema(), docs[i]);
    if (!problems.empty()) {
      err << "gpuscale compare: " << files[i] << ": not a results document: " << problems.front() << "\n";
      return 2;
    }
  }
  const auto rows = compare_documents(docs[0], docs[1], threshold);
  auto gpu_of = [](const json& d) {
    return d["gpus"].empty() ? std::string("host") : d["gpus"][0]["name"].get<std::string>() + " (" +
                                                         d["gpus"][0]["sku"].get<std::string>() + ")";
  };
  out << "base: " << files[0] << ", " << gpu_of(docs[0]) << ", run " << docs[0]["run"]["id"].get<std::string>() << "\n"
      << "new:  " << files[1] << ", " << gpu_of(docs[1]) << ", run " << docs[1]["run"]["id"].get<std::string>() << "\n";
  int regressions = 0, lost = 0, compared = 0;
  char line[512];
  std::snprintf(line, sizeof line, "%-60s %-15s %12s %12s %9s\n", "benchmark", "metric", "base", "new", "change");
  out << line;
  for (const auto& r : rows) {
    regressions += r.regression;
    lost += r.lost;
    compared += !r.lost;
    if (r.lost) {
      std::snprintf(line, sizeof line, "%-60s %-15s %12.2f %12s %9s  LOST (%s)\n", r.id.substr(0, 60).c_str(),
                    r.metric.c_str(), r.base, "-", "-", r.why.substr(0, 120).c_str());
      out << line;
      continue;
    }
    if (!all && !r.regression && std::abs(r.change_pct) < threshold) continue;
    std::snprintf(line, sizeof line, "%-60s %-15s %12.2f %12.2f %+8.1f%%%s\n", r.id.substr(0, 60).c_str(),
                  r.metric.c_str(), r.base, r.now, r.change_pct, r.regression ? "  REGRESSION" : "");
    out << line;
  }
  out << compared << " benchmarks compared, " << regressions << " regression(s) beyond " << threshold << "%, "
      << lost << " lost (ok in the base, not in the new run)\n";
  int ok_now = 0;
  for (const auto& b : docs[1]["benchmarks"]) ok_now += b["status"].get<std::string>() == "ok";
  if (ok_now == 0) {
    err << "gpuscale compare: " << files[1] << " has no benchmark that ran ok\n";
    return 1;
  }
  return regressions || lost ? 1 : 0;
}

}  // namespace gpuscale::cli
