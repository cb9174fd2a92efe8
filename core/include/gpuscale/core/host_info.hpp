// What the host is: the `system` part of a results document that needs no GPU library.
#pragma once

#include <cstdint>
#include <string>

namespace gpuscale {

struct HostInfo {
  std::string hostname;
  std::string cpu_model;
  int cpu_logical_cores = 0;
  std::string os;      // /etc/os-release PRETTY_NAME
  std::string kernel;  // uname -sr
  std::uint64_t memory_bytes = 0;
};

HostInfo read_host_info();

// "2026-11-29T03:40:00Z" for now (or for `unix_seconds`).
std::string utc_now_iso8601();
std::string utc_iso8601(std::int64_t unix_seconds);

// A run id: UTC start time and 8 random hex digits, "20261129T034000Z-1a2b3c4d".
std::string make_run_id();

// The tool's version and the git SHA it was built from.
std::string tool_version();
std::string build_git_sha();

}  // namespace gpuscale
