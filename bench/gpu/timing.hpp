// GPU timing: CUDA events around each sample. Work shorter than SamplingPolicy::min_sample_s is
// batched: the launches of one sample are captured once into a CUDA graph and replayed, so launch
// overhead does not dominate short kernels. Optionally the L2 is flushed before every sample
// (outside the timed region), for working sets that would otherwise sit in cache.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <functional>

#include "gpu/resources.hpp"
#include "harness/sampling.hpp"

namespace gpuscale::bench {

// Evicts the L2 by writing a buffer twice its size.
class L2Flusher {
 public:
  explicit L2Flusher(std::size_t l2_bytes);
  void flush(cudaStream_t s);

 private:
  DeviceBuffer<unsigned char> buffer_;
  int value_ = 0;
};

class GpuSampler {
 public:
  using Launch = std::function<void(cudaStream_t)>;
  // Measures `launch` once to size the batch; `flusher` (may be null) forces one launch per sample.
  GpuSampler(const Stream& stream, Launch launch, const SamplingPolicy& policy, L2Flusher* flusher = nullptr);
  // One sample: seconds per launch.
  double sample();
  int batch() const { return batch_; }

 private:
  // `batch_` launches captured into one graph. On a throw from a launch the capture is ended and
  // its graph destroyed before the exception goes on, so the stream stays usable.
  GraphExec capture_batch(cudaStream_t s);

  const Stream& stream_;
  Launch launch_;
  L2Flusher* flusher_;
  Event start_, stop_;
  GraphExec graph_;
  int batch_ = 1;
};

}  // namespace gpuscale::bench
