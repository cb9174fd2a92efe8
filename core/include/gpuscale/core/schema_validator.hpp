// A JSON Schema validator for the subset of draft 2020-12 that gpuscale's schemas use:
// type, properties, required, additionalProperties, propertyNames, items, minItems, enum, const,
// minimum, maximum, minLength, pattern, and local $ref ("#/$defs/name"). Annotations (title,
// description, $schema, $id, format, default, examples) are ignored. Any other keyword is an
// error in the schema itself, so a schema cannot silently rely on something unchecked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpuscale {

// Every violation as "JSON-pointer: message" (e.g. "/benchmarks/3/stats/median_s: expected
// number, got string"); empty when the document is valid.
// A number that is not finite (NaN, inf) fails wherever it is, whatever the schema says of it.
std::vector<std::string> validate_json(const nlohmann::json& schema, const nlohmann::json& doc);

// The JSON pointer of the first NaN or infinity in `value` (built in memory: JSON text has none),
// or "" when every number is finite. For outputs: a plan or a profile is never written with one.
std::string first_non_finite(const nlohmann::json& value, const std::string& pointer = "");

}  // namespace gpuscale
