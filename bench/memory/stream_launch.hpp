// Adapter between the memory benchmarks and the kernels in kernels/memory: one launch functor per
// (op, width), the read op's partial sums, and the pointer chase's setup and check.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <string>

#include "gpu/resources.hpp"
#include "gpuscale/core/memory_ops.hpp"
#include "memory/memory_cases.hpp"

namespace gpuscale::bench {

using StreamLaunch = std::function<void(cudaStream_t)>;

// Blocks of the (op, width) kernel that run at once on the whole GPU (its occupancy per SM x
// `sm_count`): one grid is one full wave, with no tail of blocks waiting for a second one.
int stream_grid(MemoryOp op, int width_bytes, int sm_count);

// Where the read op leaves its result: per-block partial sums (one per block of `grid`), summed on
// the host by finish().
struct StreamOutputs {
  explicit StreamOutputs(int grid);
  void finish(cudaStream_t s);  // fills read_sum
  DeviceBuffer<double> partials;
  int grid = 0;
  double read_sum = 0;
};

StreamLaunch make_stream_launch(MemoryOp op, int width_bytes, float* a, float* b, float* c, std::size_t n,
                                float scalar, float fill, int grid, StreamOutputs& out);

// A random cyclic pointer chase over `bytes` (one kChaseStrideBytes line per hop), built on the host;
// the chase does kChaseLoads dependent loads per launch (memory_cases.hpp: what the entry declares)
// and its end is predicted on the host.
class PointerChase {
 public:
  PointerChase(std::uint64_t bytes, cudaStream_t s);
  void launch(cudaStream_t s);
  std::string validate(cudaStream_t s);  // "" when the chase ended where it must
  std::uint64_t loads() const { return loads_; }

 private:
  DeviceBuffer<std::uint32_t> next_;
  DeviceBuffer<std::uint64_t> result_;
  std::uint64_t elements_ = 0;
  std::uint64_t loads_ = 0;
  std::uint32_t start_ = 0;
  std::uint64_t expected_end_ = 0;
};

}  // namespace gpuscale::bench
