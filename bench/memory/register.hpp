// Registration entry points of bench_memory's two backends.
#pragma once

#include "harness/options.hpp"

namespace gpuscale::bench {

void register_host_memory_benchmarks(const Options& opt);
void register_gpu_memory_benchmarks(const Options& opt);  // defined only in CUDA builds

}  // namespace gpuscale::bench
