// The smallest results document `gpuscale run` writes: a stand-in system and run merged with
// `benchmarks` (cli::merge_fragments), for tests of what reads documents (quarantine, verdicts).
#pragma once

#include <nlohmann/json.hpp>
#include <utility>

#include "run_command.hpp"

namespace gpuscale::test {

inline nlohmann::json minimal_document(nlohmann::json benchmarks) {
  using nlohmann::json;
  const json system = {
      {"hostname", "h"}, {"cpu_model", "c"}, {"cpu_logical_cores", 1}, {"os", "o"}, {"kernel", "k"}};
  const json run = {{"id", "20261130T000000Z-0123abcd"},
                    {"started_utc", "2026-11-30T00:00:00Z"},
                    {"finished_utc", "2026-11-30T00:00:01Z"},
                    {"git_sha", "x"},
                    {"command_line", json::array()},
                    {"tool_version", "0"},
                    {"suite", "quick"},
                    {"backend", "gpu"}};
  return cli::merge_fragments({{{"system", system}, {"benchmarks", std::move(benchmarks)}}}, run);
}

}  // namespace gpuscale::test
