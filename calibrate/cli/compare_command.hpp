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
};

// Pairs entries by id (ignoring GPU index for single-GPU documents) and compares their headline
// metrics; entries that are not ok in either document are left out.
std::vector<Comparison> compare_documents(const nlohmann::json& base, const nlohmann::json& now,
                                          double threshold_pct);

int compare_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
