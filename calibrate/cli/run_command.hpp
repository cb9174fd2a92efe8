// `gpuscale run`: runs the bench binaries (one per family) on every local GPU, or on the host
// backend when there is no usable GPU, and writes the one results document atomically.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuscale::cli {

int run_command(const std::vector<std::string>& args, const std::string& self_path, std::ostream& out,
                std::ostream& err);

// Merges the fragments the bench binaries wrote into one results document (without validating).
nlohmann::json merge_fragments(const std::vector<nlohmann::json>& fragments, const nlohmann::json& run);

// The short table printed after a run: one line per benchmark group (an id without its size
// axis), showing the largest size's headline metric.
std::string summary_table(const nlohmann::json& document);

}  // namespace gpuscale::cli
