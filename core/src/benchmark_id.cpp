#include "gpuscale/core/benchmark_id.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpuscale {
namespace {

bool valid_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '+';
  });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

bool is_family(std::string_view family) {
  return std::find(std::begin(kFamilies), std::end(kFamilies), family) != std::end(kFamilies);
}

std::string BenchmarkId::str() const {
  if (!is_family(family)) throw std::invalid_argument("unknown benchmark family '" + family + "'");
  if (!valid_token(name)) throw std::invalid_argument("invalid benchmark name '" + name + "'");
  std::string id = family;
  if (host) id += "/host";
  id += "/" + name;
  for (const auto& [axis, value] : axes) {
    if (!valid_token(axis) || !valid_token(value))
      throw std::invalid_argument("invalid axis '" + axis + ":" + value + "' in " + id);
    id += "/" + axis + ":" + value;
  }
  return id;
}

BenchmarkId BenchmarkId::parse(std::string_view id) {
  auto parts = split(id, '/');
  BenchmarkId out;
  if (parts.size() < 2) throw std::invalid_argument("benchmark id '" + std::string(id) + "' has no name");
  out.family = parts[0];
  if (!is_family(out.family))
    throw std::invalid_argument("benchmark id '" + std::string(id) + "': unknown family '" + out.family +
                                "'");
  std::size_t i = 1;
  if (parts[i] == "host") {
    out.host = true;
    ++i;
  }
  if (i >= parts.size() || !valid_token(parts[i]) || parts[i].find(':') != std::string_view::npos)
    throw std::invalid_argument("benchmark id '" + std::string(id) + "' has no name");
  out.name = parts[i++];
  for (; i < parts.size(); ++i) {
    const auto colon = parts[i].find(':');
    if (colon == std::string_view::npos)
      throw std::invalid_argument("benchmark id '" + std::string(id) + "': axis '" + std::string(parts[i]) +
                                  "' is not axis:value");
    std::string axis(parts[i].substr(0, colon)), value(parts[i].substr(colon + 1));
    if (!valid_token(axis) || !valid_token(value))
      throw std::invalid_argument("benchmark id '" + std::string(id) + "': invalid axis '" +
                                  std::string(parts[i]) + "'");
    out.axes.emplace_back(std::move(axis), std::move(value));
  }
  return out;
}

}  // namespace gpuscale
