// Units and derived-metric formulas, in one place. GB = 1e9 bytes, GiB = 2^30 bytes.
// A bandwidth counts every byte read plus every byte written (a copy of N bytes moves 2N).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpuscale {

inline constexpr double kGB = 1e9;
inline constexpr double kTera = 1e12;
inline constexpr std::uint64_t kKiB = 1ull << 10;
inline constexpr std::uint64_t kMiB = 1ull << 20;
inline constexpr std::uint64_t kGiB = 1ull << 30;

// Bytes per second in GB/s.
double bandwidth_gbps(double bytes, double seconds);
// FLOP per second in TFLOPS (also TOPS for integer work).
double tflops(double flops, double seconds);
// achieved / peak in percent; 0 when the peak is unknown (0).
double pct_of(double achieved, double peak);
// Clock-normalised efficiency in percent: achieved / (datasheet rate per clock x measured clock).
// 0 when the rate per clock or the clock is unknown.
double clock_normalised_efficiency_pct(double achieved_tflops, double flops_per_clock, double clock_mhz);

// Collective bus-bandwidth factor (nccl-tests' conventions, doc/PERFORMANCE.md):
// all_reduce 2(n-1)/n; all_gather, reduce_scatter, alltoall (n-1)/n; broadcast, reduce, sendrecv 1.
// busbw = algbw x factor, algbw = bytes / time. Throws std::invalid_argument on an unknown op or n < 1.
double bus_factor(std::string_view collective, int ranks);
// Whether bus_factor() knows the collective (it throws std::invalid_argument for one it does not).
bool has_bus_factor(std::string_view collective);

// The whole of `text` as a finite number ("3", "2.5e3"); nullopt for "", "3abc", "nan", "inf",
// "1e400" or anything else. For flags and id axes: never read "3abc" as 3.
std::optional<double> parse_finite(std::string_view text);

// "1 MiB", "4 GiB", "1.5 KiB", "512 B": binary units for sizes.
std::string format_bytes(std::uint64_t bytes);

// `x` with `decimals` digits after the point ("%.*f"): format_fixed(2.345, 1) == "2.3".
std::string format_fixed(double x, int decimals);
// Parse "1MiB", "4 GiB", "512", "2KiB", "1GB" (decimal) into bytes; throws std::invalid_argument.
std::uint64_t parse_bytes(std::string_view text);

}  // namespace gpuscale
