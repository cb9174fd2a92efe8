// The main() of every gpuscale bench binary: its own options, Google Benchmark's flags, the GPU
// probe (a binary on a machine without a usable GPU prints one line with the driver's reason and
// exits 2, while --benchmark_list_tests still works: registering touches no driver), the GPU
// context in Google Benchmark's JSON, and the --gpuscale_out results fragment.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/case.hpp"
#include "harness/options.hpp"
#include "harness/run.hpp"

namespace gpuscale::bench {

// What the GPU side of a binary provides; empty functions in a build without CUDA.
struct GpuBackend {
  // "" when GPU `device` can be used, else the driver's reason ("no CUDA-capable device is detected").
  std::function<std::string(int device)> probe;
  // Number of usable GPUs; 0 with `why` set when there are none.
  std::function<int(std::string& why)> count;
  // Reads the GPU's identity, versions and NVML state into the run (its GPU target, the sink's GPUs
  // and libraries) and returns Google Benchmark context lines (key, value).
  std::function<std::vector<std::pair<std::string, std::string>>(int device, Run& run)> describe;
};

struct BinarySpec {
  std::string name;         // "bench_memory"
  std::string description;  // one paragraph for --help
  std::string example;      // one example command line
  // Adds the cases of each backend to the registry (touching no driver: listing needs no GPU).
  std::function<void(Registry&)> register_gpu;   // may be empty (no CUDA build)
  std::function<void(Registry&)> register_host;  // may be empty (no host backend)
  GpuBackend gpu;
};

int bench_main(int argc, char** argv, const BinarySpec& spec);

}  // namespace gpuscale::bench
