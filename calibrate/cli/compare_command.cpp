#include "compare_command.hpp"

#include <cstdio>
#include <map>
#include <ostream>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schemas.hpp"

namespace gpuscale::cli {
using nlohmann::json;

namespace {

std::map<std::string, const json*> ok_entries(const json& doc) {
  std::map<std::string, const json*> out;
  for (const auto& b : doc.at("benchmarks")) {
    // Compared as std::string: GCC 12 warns falsely (-Warray-bounds) on json == const char*.
    if (b.at("status").get<std::string>() != "ok") continue;
    std::string key = b.at("id").get<std::string>();
    if (b.contains("gpu_index")) key += " @gpu" + std::to_string(b["gpu_index"].get<int>());
    out[key] = &b;
  }
  return out;
}

const char* kUsage = R"(usage: gpuscale compare BASE.json NEW.json [--threshold-pct P] [--all]

Compares the headline metric (bandwidth, busbw, TFLOPS, latency) of every benchmark that ran ok in
both results documents. A change worse than P percent (default 5) is a regression.
  --all    list every pair (default: regressions and the largest changes)
exit status: 0 no regression, 1 regressions found, 2 bad input.

example:
  gpuscale compare last-week.json today.json --threshold-pct 3
)";

}  // namespace

std::vector<Comparison> compare_documents(const json& base, const json& now, double threshold_pct) {
  std::vector<Comparison> out;
  const auto a = ok_entries(base);
  const auto b = ok_entries(now);
  for (const auto& [key, ea] : a) {
    auto it = b.find(key);
    if (it == b.end()) continue;
    const json& ma = ea->value("metrics", json::object());
    const json& mb = it->second->value("metrics", json::object());
    for (const auto& h : kHeadlineMetrics) {
      if (!ma.contains(h.name) || !mb.contains(h.name)) continue;
      Comparison c{key, h.name, ma[h.name].get<double>(), mb[h.name].get<double>()};
      if (c.base > 0) {
        const double rel = (c.now - c.base) / c.base * 100;
        c.change_pct = h.higher_is_better ? rel : -rel;
      }
      c.regression = c.change_pct < -threshold_pct;
      out.push_back(c);
      break;
    }
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
      } else if (args[i] == "--threshold-pct") {
        if (i + 1 >= args.size()) throw std::invalid_argument("--threshold-pct needs a value");
        threshold = std::stod(args[++i]);
        if (threshold < 0) throw std::invalid_argument("--threshold-pct must be >= 0");
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
  int regressions = 0;
  char line[512];
  std::snprintf(line, sizeof line, "%-60s %-15s %12s %12s %9s\n", "benchmark", "metric", "base", "new", "change");
  out << line;
  for (const auto& r : rows) {
    regressions += r.regression;
    if (!all && !r.regression && std::abs(r.change_pct) < threshold) continue;
    std::snprintf(line, sizeof line, "%-60s %-15s %12.2f %12.2f %+8.1f%%%s\n", r.id.substr(0, 60).c_str(),
                  r.metric.c_str(), r.base, r.now, r.change_pct, r.regression ? "  REGRESSION" : "");
    out << line;
  }
  out << rows.size() << " benchmarks compared, " << regressions << " regression(s) beyond " << threshold << "%\n";
  return regressions ? 1 : 0;
}

}  // namespace gpuscale::cli
