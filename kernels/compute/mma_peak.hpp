// Peak tensor-core throughput through warp-level mma.sync (the Ampere/Ada path, also what Hopper
// runs when code does not use wgmma): FP16 and BF16 m16n8k16, TF32 m16n8k8, INT8 m16n8k32 (s32
// accumulators), FP8 E4M3/E5M2 m16n8k32 (sm_89+). Each warp keeps kMmaAccumulators independent
// accumulators in registers and issues `iterations` mma per accumulator; each thread writes the
// sum of its accumulator registers to out[thread] (as float).
// FP8 mma.sync is native (QMMA) on sm_89 only: ptxas for sm_90 and sm_100 turns it into
// conversions plus FP16 HMMA, so there it measures that emulation, not the FP8 peak (on Hopper the
// FP8 peak is wgmma_peak's QGMMA).
// FLOP = mma_peak_flops(type, grid * block / 32, iterations); each thread writes
// mma_peak_expected(type, iterations) exactly (compute/peak_host.hpp explains the data).
//
//   launch_mma_peak(MmaType::bf16, 4 * sm_count, 256, 1 << 14 | 1, out, stream);  // odd: nonzero result
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/compute/peak_host.hpp"

namespace gpuscale::kernels {

inline constexpr int kMmaMaxBlock = 1024;

// block must be a multiple of 32. Returns cudaErrorNotSupported when the current device's compute
// capability lacks the type (mma_supported()), without launching.
cudaError_t launch_mma_peak(MmaType type, int grid, int block, std::int64_t iterations, float* out,
                            cudaStream_t stream);

}  // namespace gpuscale::kernels
