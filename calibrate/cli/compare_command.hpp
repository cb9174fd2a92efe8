// `gpuscale compare BASE.json NEW.json`: the headline metric of every benchmark both documents
// ran, side by side, with the ratio; a drop beyond --threshold-pct is a regression (exit 1), so
// the command doubles as a node health check against a known-good run.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuscale::cli {

struct Comparison {
  std::string id;
  std::string metric;       // bandwidth_gbps, tflops, busbw_gbps, latency_ns, ...
  double base = 0, now = 0;
  double change_pct = 0;    // + is better (for latency, lower is better and the sign is flipped)
  bool regression = false;
  // Ok in the base but missing, skipped, errored or not run in the new document, or without the
  // base's metric there: a failure whatever the threshold. `why` says which.
  bool lost = false;
  std::string why;
};

// Pairs entries by id (and GPU index) and compares their headline metrics. An entry that was ok in
// the base and is not ok (or absent, or lacks the metric) in the new document is a `lost` row;
// entries the base did not run ok are left out.
std::vector<Comparison> compare_documents(const nlohmann::json& base, const nlohmann::json& now,
                                          double threshold_pct);

int compare_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
