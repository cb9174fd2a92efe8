#include "gpuscale/core/schema_validator.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

namespace gpuscale {
namespace {

using nlohmann::json;

const std::set<std::string>& annotation_keywords() {
  static const std::set<std::string> k = {"$schema", "$id",     "$defs",    "title",   "description",
                                          "format",  "default", "examples", "$comment"};
  return k;
}

constexpr std::size_t kMaxUniqueItems = 1024;

// The first item of `a` equal to an earlier one: (its index, the earlier index).
std::optional<std::pair<std::size_t, std::size_t>> first_repeat(const json& a) {
  for (std::size_t i = 1; i < a.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (a[i] == a[k]) return std::make_pair(i, k);
  return std::nullopt;
}

const std::set<std::string>& checked_keywords() {
  static const std::set<std::string> k = {"type",
                                          "properties",
                                          "required",
                                          "additionalProperties",
                                          "propertyNames",
                                          "items",
                                          "minItems",
                                          "maxItems",
                                          "uniqueItems",
                                          "enum",
                                          "const",
                                          "minimum",
                                          "exclusiveMinimum",
                                          "maximum",
                                          "minLength",
                                          "pattern",
                                          "$ref"};
  return k;
}

std::string type_name(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool has_type(const json& v, const std::string& t) {
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer() || v.is_number_unsigned()) return true;
    return v.is_number_float() &&
           v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>()));
  }
  return type_name(v) == t;
}

// A value for an error message: scalars as JSON (long strings cut), arrays and objects by their size,
// never recursively: a 10,000-deep value must not take the stack with it.
std::string describe(const json& v) {
  if (v.is_array()) return "an array of " + std::to_string(v.size()) + " items";
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " fields";
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > 80)
      return json(s.substr(0, 60)).dump() + "... (" + std::to_string(s.size()) + " characters)";
  }
  return v.dump();
}

// Longer strings are not matched against a pattern: std::regex recurses once per character and a
// 30 KB string takes the stack. Every string gpuscale's schemas constrain by a pattern is far shorter.
constexpr std::size_t kMaxPatternInput = 4096;
// The errors one document reports, at most: a million bad items must not make a million lines.
constexpr std::size_t kMaxErrors = 100;

std::string escape_pointer_token(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  void check(const json& schema, const json& v, const std::string& ptr) {
    if (errors.size() >= kMaxErrors) {
      truncated_ = true;
      return;
    }
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) fail(ptr, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) throw std::invalid_argument("schema at " + ptr + " is not an object");
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (!checked_keywords().count(it.key()) && !annotation_keywords().count(it.key()))
        throw std::invalid_argument("schema uses unsupported keyword '" + it.key() + "'");
    }
    if (v.is_number_float() && !std::isfinite(v.get<double>())) return;  // reported once, by validate_json
    if (auto r = schema.find("$ref"); r != schema.end()) check(resolve(r->get<std::string>()), v, ptr);
    if (auto t = schema.find("type"); t != schema.end()) {
      bool ok = false;
      std::string want;
      if (t->is_array()) {
        for (const auto& e : *t) {
          ok = ok || has_type(v, e.get<std::string>());
          want += (want.empty() ? "" : " or ") + e.get<std::string>();
        }
      } else {
        want = t->get<std::string>();
        ok = has_type(v, want);
      }
      if (!ok) {
        fail(ptr, "expected " + want + ", got " + type_name(v));
        return;  // the rest of this schema would only repeat the type mismatch
      }
    }
    if (auto c = schema.find("const"); c != schema.end() && *c != v)
      fail(ptr, "expected " + c->dump() + ", got " + describe(v));
    if (auto e = schema.find("enum"); e != schema.end()) {
      bool found = false;
      for (const auto& x : *e) found = found || x == v;
      if (!found) fail(ptr, "value " + describe(v) + " is not one of " + e->dump());
    }
    if (v.is_number()) {
      const double x = v.get<double>();
      if (auto m = schema.find("minimum"); m != schema.end() && x < m->get<double>())
        fail(ptr, "value " + v.dump() + " is below the minimum " + m->dump());
      if (auto m = schema.find("exclusiveMinimum"); m != schema.end() && x <= m->get<double>())
        fail(ptr, "value " + v.dump() + " must be above " + m->dump());
      if (auto m = schema.find("maximum"); m != schema.end() && x > m->get<double>())
        fail(ptr, "value " + v.dump() + " is above the maximum " + m->dump());
    }
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (auto m = schema.find("minLength"); m != schema.end() && s.size() < m->get<std::size_t>())
        fail(ptr, "string shorter than " + m->dump());
      if (auto p = schema.find("pattern"); p != schema.end()) {
        if (s.size() > kMaxPatternInput)
          fail(ptr, "a string of " + std::to_string(s.size()) + " characters is too long for " +
                        p->get<std::string>() + " (at most " + std::to_string(kMaxPatternInput) + ")");
        else if (!std::regex_search(s, compiled(p->get<std::string>())))
          fail(ptr, describe(v) + " does not match " + p->get<std::string>());
      }
    }
    if (v.is_array()) {
      if (auto m = schema.find("minItems"); m != schema.end() && v.size() < m->get<std::size_t>())
        fail(ptr, "fewer than " + m->dump() + " items");
      if (auto m = schema.find("maxItems"); m != schema.end() && v.size() > m->get<std::size_t>())
        fail(ptr, "more than " + m->dump() + " items");
      if (auto u = schema.find("uniqueItems"); u != schema.end() && u->is_boolean() && u->get<bool>()) {
        if (v.size() > kMaxUniqueItems)  // pairwise comparison: bounded so that hostile input stays cheap
          fail(ptr, "more than " + std::to_string(kMaxUniqueItems) + " items to compare for uniqueness");
        else if (const auto dup = first_repeat(v))
          fail(ptr + "/" + std::to_string(dup->first), "repeats item " + std::to_string(dup->second));
      }
      if (auto items = schema.find("items"); items != schema.end())
        for (std::size_t i = 0; i < v.size(); ++i) check(*items, v[i], ptr + "/" + std::to_string(i));
    }
    if (v.is_object()) check_object(schema, v, ptr);
  }

  std::vector<std::string> errors;
  bool truncated_ = false;

 private:
  const std::regex& compiled(const std::string& pattern) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) it = regexes_.emplace(pattern, std::regex(pattern)).first;
    return it->second;
  }
  std::map<std::string, std::regex> regexes_;

  void check_object(const json& schema, const json& v, const std::string& ptr) {
    if (auto req = schema.find("required"); req != schema.end())
      for (const auto& k : *req)
        if (!v.contains(k.get<std::string>()))
          fail(ptr + "/" + escape_pointer_token(k.get<std::string>()), "required field is missing");
    const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
    const auto addl = schema.find("additionalProperties");
    const auto names = schema.find("propertyNames");
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string child = ptr + "/" + escape_pointer_token(it.key());
      if (names != schema.end()) check(*names, json(it.key()), child + " (name)");
      if (props && props->contains(it.key())) {
        check((*props)[it.key()], it.value(), child);
      } else if (addl != schema.end()) {
        if (addl->is_boolean() && !addl->get<bool>())
          fail(child, "unknown field (not in the schema)");
        else
          check(*addl, it.value(), child);
      }
    }
  }

  const json& resolve(const std::string& ref) {
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) != 0) throw std::invalid_argument("unsupported $ref '" + ref + "'");
    const auto& defs = root_.at("$defs");
    const auto name = ref.substr(prefix.size());
    if (!defs.contains(name)) throw std::invalid_argument("unresolved $ref '" + ref + "'");
    return defs.at(name);
  }

  void fail(const std::string& ptr, const std::string& msg) {
    if (errors.size() >= kMaxErrors) {
      truncated_ = true;
      return;
    }
    errors.push_back((ptr.empty() ? std::string("/") : ptr) + ": " + msg);
  }

  const json& root_;
};

}  // namespace

std::string first_non_finite(const json& value, const std::string& pointer) {
  // Depth first with an explicit stack: a 10,000-deep value must not take the call stack.
  struct Frame {
    const json* v;
    std::size_t index;          // next array item
    json::const_iterator next;  // next object field
    std::string token;          // this value's pointer token under its parent
  };
  std::vector<Frame> stack;
  stack.push_back({&value, 0, value.cbegin(), ""});
  while (!stack.empty()) {
    Frame& f = stack.back();
    const json& v = *f.v;
    if (v.is_number_float() && !std::isfinite(v.get<double>())) {
      std::string where = pointer;
      for (std::size_t i = 1; i < stack.size(); ++i) where += "/" + stack[i].token;
      return where.empty() ? "/" : where;
    }
    if (v.is_array() && f.index < v.size()) {
      const json* child = &v[f.index];
      std::string token = std::to_string(f.index++);
      stack.push_back({child, 0, child->cbegin(), std::move(token)});
    } else if (v.is_object() && f.next != v.cend()) {
      const json* child = &f.next.value();
      std::string token = escape_pointer_token(f.next.key());
      ++f.next;
      stack.push_back({child, 0, child->cbegin(), std::move(token)});
    } else {
      stack.pop_back();
    }
  }
  return {};
}

std::vector<std::string> validate_json(const json& schema, const json& doc) {
  Validator v(schema);
  // JSON text cannot hold NaN or infinity, but a document built in memory can (NaN would be written
  // as null): wherever one is, whatever the schema says of that place, it is a problem.
  if (const auto bad = first_non_finite(doc); !bad.empty()) v.errors.push_back(bad + ": not a finite number");
  v.check(schema, doc, "");
  if (v.truncated_)
    v.errors.push_back("/: more problems not listed (the first " + std::to_string(kMaxErrors) +
                       " are above)");
  return std::move(v.errors);
}

}  // namespace gpuscale
