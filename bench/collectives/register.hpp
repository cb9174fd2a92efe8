// Registration entry points of bench_collectives' two backends.
#pragma once

#include "harness/options.hpp"

namespace gpuscale::bench {

void register_host_collective_benchmarks(const Options& opt);  // MPI on host buffers
void register_gpu_collective_benchmarks(const Options& opt);   // NCCL; defined only in CUDA+NCCL builds
// Releases the NCCL communicators before MPI and the CUDA runtime go away (CUDA+NCCL builds).
void release_gpu_collectives();

}  // namespace gpuscale::bench
