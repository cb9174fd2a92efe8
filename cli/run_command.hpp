// `gpuscale run`: runs the bench binaries (one per family) on every local GPU, or on the host
// backend when there is no usable GPU, and writes the one results document atomically.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpuscale::cli {

int run_command(const std::vector<std::string>& args, const std::string& self_path, std::ostream& out,
                std::ostream& err);

// Merges the fragments the bench binaries wrote into one results document (without validating).
nlohmann::json merge_fragments(const std::vector<nlohmann::json>& fragments, const nlohmann::json& run);

// not_run entries for every listed id that `fragment` (may be null) has no entry for, with
// `reason`; ids that are not gpuscale ids are left out.
nlohmann::json not_run_entries(const std::vector<std::string>& listed, const nlohmann::json& fragment,
                               const std::string& backend, int device, const std::string& reason);

// Validates `document` against the results schema. Each benchmark entry with a problem becomes an
// error entry whose reason names the JSON pointer (its numbers are dropped; an entry whose id or
// family is itself invalid is removed). Returns every problem found (empty when valid).
std::vector<std::string> quarantine_invalid_entries(nlohmann::json& document);

// Google Benchmark's listed name without its suffixes (/iterations:1/manual_time).
std::string id_from_listed_name(std::string name);

// The short table printed after a run: one line per benchmark group (an id without its size
// axis), showing the largest size's headline metric.
std::string summary_table(const nlohmann::json& document);

}  // namespace gpuscale::cli
