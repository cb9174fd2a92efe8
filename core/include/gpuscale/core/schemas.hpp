// The JSON Schemas of gpuscale's documents, compiled into the library.
#pragma once

#include <nlohmann/json.hpp>

namespace gpuscale {

// results/schema/results.schema.json
const nlohmann::json& results_schema();

}  // namespace gpuscale
