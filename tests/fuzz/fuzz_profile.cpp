// Fuzz target: a GPU profile (gpuscale calibrate's output, or a user's edit of it).
#include "fuzz_common.hpp"
#include "gpuscale/planner/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return gpuscale::fuzz::run(data, size, [](const nlohmann::json& j) {
    const auto p = gpuscale::planner::profile_from_json(j, "fuzz-input.json");
    gpuscale::planner::profile_to_json(p);
  });
}
