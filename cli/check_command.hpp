// `gpuscale check RUN.json [--expect PROFILE.json|REFERENCE.json]`: node acceptance from the results
// document alone (no GPU needed), for a script right after renting a node.
//
// For each GPU of the run, one line per item, `pass`, `warn`, `fail` or `n/a` (not recorded), with
// the figure and what was expected:
//   - against the expected range of its SKU: a reference run of that SKU or a profile given with
//     --expect, else the built-in datasheet profile (spec-table peak x published achieved fraction,
//     its source named): HBM at the plateau, MAMF per precision, host<->device copies, collective
//     busbw at the largest message. Below expected x (1 - T%) warns, below x (1 - 2T%) fails;
//   - against the other GPUs of the node: slower than the peers' median beyond their spread
//     (max(5%, 3 robust standard deviations of the peers)) fails;
//   - the recorded state: PCIe link width (and generation, judged with the measured copies), power
//     limit against the SKU's TDP and the peers, max SM clock, ECC and MIG mode, memory errors (ECC
//     counters and the row remapper: uncorrected errors now, a failed or pending remap fail), NVLink
//     links active (all, and as many as the peers), throttling and the driver's clock event reasons
//     while benchmarks ran (a hardware slowdown fails), errored benchmarks, NVLink between peers
//     where the SKU has it;
//   - what the document does not record (an older run, a driver that does not report it) is
//     listed as n/a, never guessed.
// Exit 1 on any fail, 0 otherwise, 2 on bad input.
//
//   gpuscale check node.json
//   gpuscale check node.json --expect known-good-h200.json --format json
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/planner/profile.hpp"

namespace gpuscale::cli {

struct CheckItem {
  std::string status;                               // pass | warn | fail | n/a
  std::string subject;                              // "gpu3", "node", "gpu0->gpu3"
  std::string item;                                 // "pcie link", "memory vs expected", ...
  std::string figure;                               // what the run recorded or measured
  std::string expected;                             // what it was held against
  std::string detail;                               // why, and the source of the expectation
  nlohmann::json checks = nlohmann::json::array();  // the individual comparisons behind an aggregate line
};

struct CheckOptions {
  std::optional<nlohmann::json> reference;  // a results document of the same SKU
  std::string reference_file;
  std::optional<planner::Profile> profile;  // a profile (measured or datasheet)
  std::string profile_file;
  std::optional<double>
      tolerance_pct;  // default: 5 against a reference or a measured profile, 10 against the datasheet
};

// Every item of the check, GPU by GPU, then the node.
std::vector<CheckItem> check_document(const nlohmann::json& doc, const CheckOptions& options);

int check_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale::cli
