// Files: read whole, parse JSON naming the file, and write atomically (temp file + rename), so a
// failed or interrupted write never leaves a partial file behind.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gpuscale {

// Whole file as a string; throws std::runtime_error "cannot read PATH: reason".
std::string read_file(const std::string& path);

// Deepest nesting read_json_file accepts (gpuscale's own documents use under 10 levels).
inline constexpr int kMaxJsonDepth = 64;

// JSON from a file; throws std::runtime_error "PATH: malformed JSON at line L, column C: ...",
// "PATH: a number out of range", "PATH: nesting deeper than 64 levels", or "cannot read PATH: ...".
nlohmann::json read_json_file(const std::string& path);

// What read_json_file does with the text of `path` (the same errors, naming `path`): for text that
// did not come from a file (the fuzz targets).
nlohmann::json parse_json_text(const std::string& text, const std::string& path);

// Writes `content` to a temp file beside `path`, flushes it to disk and renames it over `path`.
// On any failure the temp file is removed, `path` is untouched, and std::runtime_error names `path`.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace gpuscale
