// Array sizes of the memory sweep. The GPU sweep runs from 1 MiB (inside L2) to several GiB (HBM)
// so the L2 -> HBM transition is visible; sizes that do not fit in free memory are recorded as
// skipped at run time. The host sweep: 1 MiB (in cache) upward by x8 (quick) or x2 (full), ending
// well past the last-level cache of today's CPUs (512 MiB per array quick, 1 GiB full), so that the
// largest sizes measure memory, not cache.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpuscale/core/units.hpp"

namespace gpuscale::bench {

inline std::vector<std::uint64_t> memory_sweep_bytes(const std::string& suite, bool host) {
  std::vector<std::uint64_t> sizes;
  if (host) {
    const std::uint64_t last = suite == "full" ? kGiB : 512 * kMiB;
    for (std::uint64_t s = kMiB; s <= last; s *= (suite == "full" ? 2 : 8)) sizes.push_back(s);
    return sizes;
  }
  const std::uint64_t step = suite == "full" ? 2 : 4;
  const std::uint64_t last = suite == "full" ? 16 * kGiB : 4 * kGiB;
  for (std::uint64_t s = kMiB; s <= last; s *= step) sizes.push_back(s);
  return sizes;
}

}  // namespace gpuscale::bench

namespace gpuscale::bench {

// Pointer-chase footprints: inside L1 (16 KiB), inside L2 (4 MiB), and well past L2 (HBM).
inline std::vector<std::uint64_t> latency_sweep_bytes(const std::string& suite) {
  if (suite == "full") return {16 * kKiB, 128 * kKiB, kMiB, 4 * kMiB, 16 * kMiB, 256 * kMiB, kGiB};
  return {16 * kKiB, 4 * kMiB, 256 * kMiB};
}

}  // namespace gpuscale::bench
