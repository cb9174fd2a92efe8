// The cases of bench_compute as data (host-only, no CUDA): which peak kernel, which type, which
// datasheet peak it is compared with, launch shape and iteration count. Tested on the CPU.
#pragma once

#include <string>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"
#include "kernels/compute/peak_host.hpp"

namespace gpuscale::bench {

enum class PeakKernel { fma, mma, wgmma };

struct ComputeCase {
  PeakKernel kernel;
  int type;          // FmaType / MmaType / WgmmaType as int
  std::string name;  // "fp32", "bf16", ...
  std::string peak;  // spec-table peak name ("fp32", "bf16_tensor", ...)
  int blocks_per_sm;
  int block;
  long long iterations;  // per launch; odd for the tensor kernels (a skipped kernel cannot pass)

  BenchmarkId id() const;  // compute/<kernel>/type:<name>
  std::string kernel_name() const;
};

std::vector<ComputeCase> compute_cases();

// "" when a GPU of compute capability major.minor runs the case natively, else why it is skipped.
std::string compute_unsupported_reason(const ComputeCase& c, int cc_major, int cc_minor);

// The datasheet peak this case is compared with on a GPU of that capability; "" when the case
// measures something no datasheet figure describes (FP8 mma.sync on Hopper runs as an emulation).
std::string compute_peak_for(const ComputeCase& c, int cc_major, int cc_minor);

// Blocks of one launch on a GPU with `sm_count` SMs.
int compute_grid(const ComputeCase& c, int sm_count);

// The parameters of `c` known before it runs on a GPU with `sm_count` SMs (kernel, type, grid,
// block, iterations).
nlohmann::json compute_parameters(const ComputeCase& c, int sm_count);

// The work of one launch there: its FLOP (or OP) and the datasheet peak it is compared with on a GPU
// of compute capability cc_major.cc_minor (compute_peak_for: empty where no datasheet figure applies).
Work compute_work(const ComputeCase& c, int sm_count, int cc_major, int cc_minor);

// FLOP (or integer OP) of one launch, and the value each thread must write with its tolerance.
double compute_flops(const ComputeCase& c, long long threads, long long iterations);
double compute_expected(const ComputeCase& c, long long iterations);
double compute_tolerance(const ComputeCase& c);

// The GPU backend's cases, one per ComputeCase (CUDA builds only).
CaseList compute_gpu_cases();

}  // namespace gpuscale::bench
