// The GPU memory benchmarks as data: which ones a suite registers, and for each its id, the
// parameters its entry carries and the work one sample declares. Host-only (no CUDA), so the GPU
// benchmark bodies and the tests without a GPU build every entry with the same code.
//
// Ids (in registration order, per size of the sweep, then the pointer chases):
//   memory/<op>/bytes:N/width:W   BabelStream op on float arrays of N bytes, W-byte accesses
//   memory/memcpy/bytes:N         cudaMemcpyAsync device-to-device of N bytes
//   memory/latency/bytes:N        pointer chase through an N-byte footprint
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpuscale/core/memory_ops.hpp"
#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

// Dependent loads of one pointer-chase launch: long enough that launch overhead is noise, short
// enough that an HBM-sized chase (~0.6 us per load) stays well under a second.
inline constexpr std::uint64_t kChaseLoads = 1u << 18;
inline constexpr int kChaseStrideBytes = 64;  // one 64-byte line per hop

enum class MemoryBench { stream, memcpy, latency };

struct MemoryCase {
  MemoryBench bench = MemoryBench::stream;
  MemoryOp op = MemoryOp::copy;  // stream only
  std::uint64_t bytes = 0;       // bytes per array (stream, memcpy) or the chase's footprint
  int width = 0;                 // stream only: bytes per access (4, 8, 16)
};

// Every case the GPU backend registers for `suite`, in registration order. Quick: 16-byte accesses
// for every op, 4 and 8 bytes for copy only; full: every width.
std::vector<MemoryCase> gpu_memory_cases(const std::string& suite);

std::string memory_id(const MemoryCase& c);

// A new entry for `c`: id, family, backend and the parameters known before it runs.
BenchmarkEntry memory_entry(const MemoryCase& c);

// The work of one sample: bytes read and written (core's table for the stream ops; a memcpy reads
// and writes `bytes`), or the dependent loads of one pointer chase.
Work memory_work(const MemoryCase& c);

}  // namespace gpuscale::bench
