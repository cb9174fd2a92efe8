// A small RFC 4180 CSV reader for the validation data (quoted fields, doubled quotes, newlines in
// quotes); each row as header -> field.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gpuscale::test {

inline std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field), field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(field), field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  std::vector<std::map<std::string, std::string>> out;
  if (rows.empty()) return out;
  const auto header = rows.front();
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() <= 1) continue;
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < header.size() && c < rows[r].size(); ++c) m[header[c]] = rows[r][c];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace gpuscale::test
