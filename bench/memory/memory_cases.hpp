// The memory family's cases (harness/case.hpp), in registration order: for every size of the sweep,
// every stream operation (bench/memory/ops/, listed in ops.def) and then cudaMemcpyAsync; then the
// pointer chases.
//
// Ids:
//   memory/<op>/bytes:N/width:W   stream op on float arrays of N bytes, W-byte accesses (GPU)
//   memory/memcpy/bytes:N         cudaMemcpyAsync device-to-device of N bytes (GPU)
//   memory/latency/bytes:N        pointer chase through an N-byte footprint (GPU)
//   memory/host/<op>/bytes:N      stream op with every CPU thread (host backend)
// Quick GPU suite: 16-byte accesses for every op, every width for the ops that ask for it (copy);
// full: every width.
#pragma once

#include <cstdint>
#include <string>

#include "harness/case.hpp"

namespace gpuscale::bench {

// Dependent loads of one pointer-chase launch: long enough that launch overhead is noise, short
// enough that an HBM-sized chase (~0.6 us per load) stays well under a second.
inline constexpr std::uint64_t kChaseLoads = 1u << 18;
inline constexpr int kChaseStrideBytes = 64;  // one 64-byte line per hop

// The GPU backend's cases for `suite` (CUDA builds only).
CaseList memory_gpu_cases(const std::string& suite);
// The host backend's cases for `suite`.
CaseList memory_host_cases(const std::string& suite);

}  // namespace gpuscale::bench
