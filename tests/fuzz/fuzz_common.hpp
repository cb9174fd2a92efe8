// What every fuzz target shares: bytes in, a JSON value as read_json_file would give it, and the
// rule that the only acceptable failure is a std::exception (the loaders' clear errors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "gpuscale/core/file_io.hpp"

namespace gpuscale::fuzz {

template <typename Body>
int run(const std::uint8_t* data, std::size_t size, Body&& body) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    body(parse_json_text(text, "fuzz-input.json"));
  } catch (const std::exception&) {
    // A clear error is the right answer to a bad input; only crashes, sanitizer findings, hangs
    // and runaway memory are findings.
  }
  return 0;
}

}  // namespace gpuscale::fuzz
