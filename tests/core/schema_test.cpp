#include <gtest/gtest.h>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"

namespace gpuscale {

using nlohmann::json;

static bool mentions(const std::vector<std::string>& errors, const std::string& needle) {
  for (const auto& e : errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

TEST(SchemaValidator, TypesRequiredAndPointers) {
  const json schema = json::parse(R"({
    "type": "object", "required": ["a", "b"], "additionalProperties": false,
    "properties": {
      "a": {"type": "integer", "minimum": 1},
      "b": {"type": "array", "items": {"$ref": "#/$defs/item"}},
      "c": {"enum": ["x", "y"]}
    },
    "$defs": {"item": {"type": "object", "properties": {"v": {"type": "number"}}}}
  })");
  EXPECT_TRUE(validate_json(schema, json::parse(R"({"a": 2, "b": [{"v": 1.5}]})")).empty());
  auto errors = validate_json(schema, json::parse(R"({"a": 0, "b": [{"v": "no"}], "c": "z", "d": 1})"));
  EXPECT_TRUE(mentions(errors, "/a: value 0 is below the minimum 1"));
  EXPECT_TRUE(mentions(errors, "/b/0/v: expected number, got string"));
  EXPECT_TRUE(mentions(errors, "/c: value \"z\" is not one of"));
  EXPECT_TRUE(mentions(errors, "/d: unknown field"));
  EXPECT_EQ(errors.size(), 4u);
  EXPECT_TRUE(mentions(validate_json(schema, json::parse(R"({"a": 1})")), "/b: required field is missing"));
}

TEST(SchemaValidator, ExclusiveMinimum) {
  const json schema = json::parse(R"({"type": "number", "exclusiveMinimum": 0, "maximum": 1})");
  EXPECT_TRUE(validate_json(schema, json(0.5)).empty());
  EXPECT_TRUE(validate_json(schema, json(1)).empty());
  EXPECT_TRUE(mentions(validate_json(schema, json(0)), "value 0 must be above 0"));
  EXPECT_TRUE(mentions(validate_json(schema, json(-1)), "must be above 0"));
  EXPECT_TRUE(mentions(validate_json(schema, json(1.5)), "above the maximum 1"));
}

TEST(SchemaValidator, PatternsAndPropertyNames) {
  const json schema = json::parse(R"({
    "type": "object", "propertyNames": {"pattern": "_gbps$"},
    "additionalProperties": {"type": "number"}})");
  EXPECT_TRUE(validate_json(schema, json::parse(R"({"bandwidth_gbps": 1})")).empty());
  EXPECT_TRUE(mentions(validate_json(schema, json::parse(R"({"bandwidth": 1})")), "does not match"));
}

TEST(SchemaValidator, ArrayBoundsAndUniqueItems) {
  const json schema = json::parse(R"({"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true})");
  EXPECT_TRUE(validate_json(schema, json::parse("[1, 2, 3]")).empty());
  EXPECT_TRUE(mentions(validate_json(schema, json::parse("[]")), "fewer than 1 items"));
  EXPECT_TRUE(mentions(validate_json(schema, json::parse("[1, 2, 3, 4]")), "more than 3 items"));
  EXPECT_TRUE(mentions(validate_json(schema, json::parse(R"(["a", "b", "a"])")), "/2: repeats item 0"));
  // Pairwise comparison is bounded: a huge array is refused, not compared for minutes.
  const json unbounded = json::parse(R"({"type": "array", "uniqueItems": true})");
  EXPECT_TRUE(
      mentions(validate_json(unbounded, json(std::vector<int>(100000, 7))), "to compare for uniqueness"));
}

TEST(SchemaValidator, UnsupportedKeywordIsASchemaError) {
  EXPECT_THROW(validate_json(json::parse(R"({"oneOf": []})"), json(1)), std::invalid_argument);
}

TEST(SchemaValidator, ProjectSchemasUseOnlySupportedKeywords) {
  for (const char* name : {"/results.schema.json", "/profile.schema.json"}) {
    const json schema = read_json_file(std::string(GPUSCALE_SCHEMA_DIR) + name);
    EXPECT_NO_THROW(validate_json(schema, json::object())) << name;
    EXPECT_FALSE(validate_json(schema, json::object()).empty()) << name;
  }
}

}  // namespace gpuscale
