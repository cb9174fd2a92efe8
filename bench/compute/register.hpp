#pragma once

#include "harness/options.hpp"

namespace gpuscale::bench {

void register_gpu_compute_benchmarks(const Options& opt);  // defined only in CUDA builds

}  // namespace gpuscale::bench
