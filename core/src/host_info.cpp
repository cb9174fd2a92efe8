#include "gpuscale/core/host_info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

#ifndef GPUSCALE_VERSION
#define GPUSCALE_VERSION "0.0.0"
#endif
#ifndef GPUSCALE_GIT_SHA
#define GPUSCALE_GIT_SHA "unknown"
#endif

namespace gpuscale {
namespace {

std::string value_after_colon(const std::string& line) {
  auto pos = line.find(':');
  if (pos == std::string::npos) return {};
  auto v = line.substr(pos + 1);
  v.erase(0, v.find_first_not_of(" \t"));
  return v;
}

}  // namespace

HostInfo read_host_info() {
  HostInfo h;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) h.hostname = name;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      h.cpu_model = value_after_colon(line);
      break;
    }
  }
  if (h.cpu_model.empty()) h.cpu_model = "unknown";
  h.cpu_logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  if (h.cpu_logical_cores < 1) h.cpu_logical_cores = 1;
  std::ifstream osr("/etc/os-release");
  for (std::string line; std::getline(osr, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      h.os = line.substr(12);
      if (h.os.size() >= 2 && h.os.front() == '"') h.os = h.os.substr(1, h.os.size() - 2);
    }
  }
  if (h.os.empty()) h.os = "unknown";
  struct utsname u {};
  h.kernel = ::uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) h.memory_bytes = static_cast<std::uint64_t>(pages) * page;
  return h;
}

std::string utc_iso8601(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string utc_now_iso8601() {
  return utc_iso8601(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string make_run_id() {
  std::string iso = utc_now_iso8601();  // 2026-11-29T03:40:00Z
  std::string compact;
  for (char c : iso)
    if (c != '-' && c != ':') compact += c;
  std::random_device rd;
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rd()));
  return compact + "-" + hex;
}

std::string tool_version() {
  return GPUSCALE_VERSION;
}
std::string build_git_sha() {
  return GPUSCALE_GIT_SHA;
}

}  // namespace gpuscale
