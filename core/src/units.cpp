#include "gpuscale/core/units.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gpuscale {

double bandwidth_gbps(double bytes, double seconds) {
  return seconds > 0 ? bytes / seconds / kGB : 0;
}

double tflops(double flops, double seconds) {
  return seconds > 0 ? flops / seconds / kTera : 0;
}

double pct_of(double achieved, double peak) {
  return peak > 0 ? 100.0 * achieved / peak : 0;
}

double clock_normalised_efficiency_pct(double achieved_tflops, double flops_per_clock, double clock_mhz) {
  if (flops_per_clock <= 0 || clock_mhz <= 0) return 0;
  return 100.0 * achieved_tflops * kTera / (flops_per_clock * clock_mhz * 1e6);
}

bool has_bus_factor(std::string_view op) {
  try {
    bus_factor(op, 1);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

double bus_factor(std::string_view op, int n) {
  if (n < 1) throw std::invalid_argument("bus_factor: rank count must be >= 1");
  const double dn = n;
  if (op == "all_reduce") return 2 * (dn - 1) / dn;
  if (op == "all_gather" || op == "reduce_scatter" || op == "alltoall") return (dn - 1) / dn;
  if (op == "broadcast" || op == "reduce" || op == "sendrecv") return 1;
  throw std::invalid_argument("bus_factor: unknown collective '" + std::string(op) + "'");
}

std::string format_fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f %s", v, kUnits[u]);
  else
    std::snprintf(buf, sizeof buf, "%.3g %s", v, kUnits[u]);
  return buf;
}

std::optional<double> parse_finite(std::string_view text) {
  const std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::uint64_t parse_bytes(std::string_view text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(s, &pos);
  } catch (const std::exception&) {
    throw std::invalid_argument("not a size: '" + std::string(text) + "'");
  }
  const std::string unit = s.substr(pos);
  double mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB" || unit == "K")
    mult = 1024.0;
  else if (unit == "MiB" || unit == "M")
    mult = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "G")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "KB")
    mult = 1e3;
  else if (unit == "MB")
    mult = 1e6;
  else if (unit == "GB")
    mult = 1e9;
  else
    throw std::invalid_argument("unknown size unit in '" + std::string(text) + "'");
  if (value < 0) throw std::invalid_argument("negative size: '" + std::string(text) + "'");
  return static_cast<std::uint64_t>(std::llround(value * mult));
}

}  // namespace gpuscale
