// Registration entry point of bench_transfer (GPU only: it has no host backend).
#pragma once

#include "harness/options.hpp"

namespace gpuscale::bench {

void register_gpu_transfer_benchmarks(const Options& opt);  // defined only in CUDA builds

}  // namespace gpuscale::bench
