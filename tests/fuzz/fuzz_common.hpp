// What every fuzz target shares: bytes in, a JSON value as read_json_file would give it, and the
// rule that the only acceptable failure is one of the loaders' own clear errors: a crash, a
// sanitizer finding or a raw nlohmann exception escaping is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "gpuscale/core/file_io.hpp"

namespace gpuscale::fuzz {

template <typename Body>
int run(const std::uint8_t* data, std::size_t size, Body&& body) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    body(parse_json_text(text, "fuzz-input.json"));
  } catch (const nlohmann::json::exception& e) {
    // A bare library message ("[json.exception.type_error.302] type must be number") names no file
    // and no field: a user cannot act on it. The loaders must say what is wrong, and where.
    std::fprintf(stderr, "unhelpful error escaped a loader: %s\n", e.what());
    std::abort();
  } catch (const std::exception&) {
    // A clear error is the right answer to a bad input; only crashes, sanitizer findings, hangs
    // and runaway memory are findings.
  }
  return 0;
}

}  // namespace gpuscale::fuzz
