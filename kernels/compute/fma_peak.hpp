// Peak FMA throughput of the CUDA cores: FP32 (FFMA), FP64 (DFMA), FP16x2 and BF16x2 (HFMA2).
// Every thread runs kFmaChains independent register-resident chains x <- a*x + b for `iterations`
// steps and writes the sum of its chains to out[thread]. FLOP = fma_peak_flops(), the value each
// thread writes = fma_peak_expected() within fma_peak_tolerance() (compute/peak_host.hpp).
//
//   launch_fma_peak(FmaType::fp32, 4 * sm_count, 256, 1 << 16, out, stream);  // out: grid*block floats
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/compute/peak_host.hpp"

namespace gpuscale::kernels {

inline constexpr int kFmaMaxBlock = 1024;

cudaError_t launch_fma_peak(FmaType type, int grid, int block, std::int64_t iterations, float* out,
                            cudaStream_t stream);

}  // namespace gpuscale::kernels
