// Fuzz target: a Hugging Face config.json (or the inline architecture object) into a model.
#include "fuzz_common.hpp"
#include "gpuscale/planner/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return gpuscale::fuzz::run(data, size, [](const nlohmann::json& j) {
    const auto m = gpuscale::planner::model_from_json(j, "fuzz-input.json");
    gpuscale::planner::count_params(m);
    gpuscale::planner::model_to_json(m);
  });
}
