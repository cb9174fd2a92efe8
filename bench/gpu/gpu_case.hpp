// The GPU kinds of case (harness/case.hpp) and the harness that runs them: the GPU is the one the
// run describes (CaseState::gpu()), failures are guarded (out of memory: skipped; anything else:
// error), NVML watches the clocks while samples are taken, and the output is checked after timing.
//
// GpuStreamCase: work queued on one stream the harness owns. Two untimed launches, one timed launch
//   to size the batch, then samples of CUDA events around the batch, which is captured once into a
//   CUDA graph when one launch is shorter than SamplingPolicy::min_sample_s (gpu/timing.hpp).
//     unsupported()   "" or why this GPU cannot run it                           -> skipped
//     device_bytes()  device memory it allocates, checked against free memory    -> skipped
//     setup()         buffers and inputs (a Body), parameters known once set up
//     Body::launch()  one launch on the stream (captured into the graph when batched)
//     Body::check()   after timing: "" or what is wrong                          -> error
// GpuCopyCase: copies that cannot be captured into a graph (pageable host memory) or that run on two
//   streams at once: CUDA events around a batch of copies sized from one timed copy.
//
//   class Copy final : public GpuStreamCase { ... };  registry.add(std::make_unique<Copy>(...));
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gpu/resources.hpp"
#include "harness/case.hpp"

namespace gpuscale::bench {

class GpuStreamCase : public Case {
 public:
  class Body {
   public:
    virtual ~Body() = default;
    virtual void launch(cudaStream_t s) = 0;
    // After timing: "" when the output is right, else what is wrong (the harness prefixes
    // "validation failed: "). May add parameters the run found out (state.parameters()).
    virtual std::string check(CaseState& state, cudaStream_t s) = 0;
    // The work of one launch when only the setup knew it (a search's choice); else the case's work().
    virtual std::optional<Work> work() const { return std::nullopt; }
  };

  std::optional<int> gpu_index(const GpuTarget& gpu) const override { return gpu.device; }
  virtual std::string unsupported(const GpuTarget&) const { return {}; }
  // Device bytes it allocates; 0: nothing to check.
  virtual std::uint64_t device_bytes(const GpuTarget& gpu) const = 0;
  // Allocates and fills on `s`; may end the benchmark (state.skip/fail) and return null.
  virtual std::unique_ptr<Body> setup(CaseState& state, cudaStream_t s) const = 0;
  // The sampling policy it runs under (GEMMs take longer samples).
  virtual SamplingPolicy policy(const SamplingPolicy& p) const { return p; }

  void run(CaseState& state) const final;
};

class GpuCopyCase : public Case {
 public:
  using Enqueue = std::function<void(cudaStream_t)>;
  // What one copy is: `first` on stream `a`, and `second` on stream `b` at the same time when b is set.
  struct Copies {
    const Stream* a = nullptr;
    Enqueue first;
    const Stream* b = nullptr;
    Enqueue second;
    int nvml_index = -1;  // the GPU NVML watches (-1: none)
  };
  class Body {
   public:
    virtual ~Body() = default;
    virtual Copies copies() = 0;
    // After timing: "" when every destination is right, else what is wrong.
    virtual std::string check(CaseState& state) = 0;
  };

  std::optional<int> gpu_index(const GpuTarget& gpu) const override { return gpu.device; }
  // Allocates and fills; may end the benchmark (state.skip/fail) and return null.
  virtual std::unique_ptr<Body> setup(CaseState& state) const = 0;

  void run(CaseState& state) const final;
};

}  // namespace gpuscale::bench
