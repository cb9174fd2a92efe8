// One run of a bench binary, passed explicitly to everything that needs it (as nvbench passes
// `state&`): the binary's options, the ResultSink its entries go to, and the GPU it measures.
//
// Lifetime: bench_main creates the Run before registering any case and keeps it until the fragment
// is written for the last time. The GPU target is set once by the backend's describe step, before
// any benchmark runs, and only read afterwards; the sink guards itself.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "gpuscale/core/results.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {

// The GPU a binary measures, as cases read it: host-only facts (no CUDA type), so that declarations
// (parameters, work) can be built and tested without a GPU.
struct GpuTarget {
  int device = 0;
  int nvml_index = -1;            // -1 without NVML
  GpuInfo info;                   // identity, SMs, compute capability, L2, clocks, NUMA node
  const GpuSpec* spec = nullptr;  // spec-table SKU; nullptr for a GPU the table does not know
};

class Run {
 public:
  Run(std::string binary, Options options) : binary_(std::move(binary)), options_(std::move(options)) {}
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const std::string& binary() const { return binary_; }
  const Options& options() const { return options_; }
  ResultSink& sink() { return sink_; }
  const ResultSink& sink() const { return sink_; }

  void set_gpu(GpuTarget g) { gpu_ = std::move(g); }
  bool has_gpu() const { return gpu_.has_value(); }
  const GpuTarget& gpu() const {
    if (!gpu_) throw std::logic_error("the GPU was used before the binary described it");
    return *gpu_;
  }

  // This run's results fragment, written atomically to options().out.
  nlohmann::json fragment() const { return fragment_json(sink_, binary_, options_.backend, options_.suite); }
  void write_fragment() const;

 private:
  std::string binary_;
  Options options_;
  ResultSink sink_;
  std::optional<GpuTarget> gpu_;
};

}  // namespace gpuscale::bench
