// The memory-bandwidth operations (BabelStream's set) as data: how many arrays each reads and
// writes per element. Bytes moved by one pass = (reads + writes) x elements x element size; every
// backend (GPU kernels, host threads) computes its bandwidth from this table alone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gpuscale {

enum class MemoryOp { read, write, copy, scale, add, triad };

struct MemoryOpInfo {
  MemoryOp op;
  std::string_view name;
  int arrays_read;
  int arrays_written;
  std::string_view formula;
};

inline constexpr std::array<MemoryOpInfo, 6> kMemoryOps = {{
    {MemoryOp::read, "read", 1, 0, "sum += a[i]"},
    {MemoryOp::write, "write", 0, 1, "a[i] = x"},
    {MemoryOp::copy, "copy", 1, 1, "b[i] = a[i]"},
    {MemoryOp::scale, "scale", 1, 1, "b[i] = s * a[i]"},
    {MemoryOp::add, "add", 2, 1, "c[i] = a[i] + b[i]"},
    {MemoryOp::triad, "triad", 2, 1, "a[i] = b[i] + s * c[i]"},
}};

constexpr const MemoryOpInfo& memory_op_info(MemoryOp op) {
  return kMemoryOps[static_cast<int>(op)];
}

inline std::optional<MemoryOp> memory_op_from_string(std::string_view s) {
  for (const auto& i : kMemoryOps)
    if (i.name == s) return i.op;
  return std::nullopt;
}

// Arrays a benchmark of `op` allocates (distinct buffers it touches).
constexpr int memory_op_arrays(MemoryOp op) {
  const auto& i = memory_op_info(op);
  return op == MemoryOp::triad ? 3 : i.arrays_read + i.arrays_written;
}

struct MemoryTraffic {
  double bytes_read;
  double bytes_written;
};
constexpr MemoryTraffic memory_traffic(MemoryOp op, std::uint64_t elements, std::uint64_t element_bytes) {
  const auto& i = memory_op_info(op);
  const double per_array = static_cast<double>(elements) * static_cast<double>(element_bytes);
  return {i.arrays_read * per_array, i.arrays_written * per_array};
}

}  // namespace gpuscale
