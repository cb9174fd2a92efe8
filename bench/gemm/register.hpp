// Registration entry point of bench_gemm (CUDA builds only; a host build registers nothing).
#pragma once

#include "harness/options.hpp"

namespace gpuscale::bench {

void register_gpu_gemm_benchmarks(const Options& opt);

}  // namespace gpuscale::bench
