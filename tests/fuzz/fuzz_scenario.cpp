// Fuzz target: a plan scenario, parsed and planned on a built-in datasheet profile (the "gpu" key
// of the input, when it names a built-in SKU, is honoured; a path is not read).
#include "fuzz_common.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/profile.hpp"
#include "gpuscale/planner/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return gpuscale::fuzz::run(data, size, [](nlohmann::json j) {
    if (!j.is_object()) return;
    // Files are not for the fuzzer: a model or gpu given as a path is replaced by a preset.
    if (j.contains("model") && j["model"].is_string() &&
        j["model"].get<std::string>().find('/') != std::string::npos)
      j["model"] = "llama-3.1-8b";
    if (!j.contains("gpu") || !j["gpu"].is_string() ||
        j["gpu"].get<std::string>().find('/') != std::string::npos)
      j["gpu"] = "h100-sxm-80gb";
    const auto s = gpuscale::planner::parse_scenario(j, "fuzz-input.json");
    gpuscale::planner::plan_to_json(gpuscale::planner::plan(s));
  });
}
