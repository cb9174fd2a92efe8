// Peak tensor-core throughput of Hopper through sm_90a warpgroup MMA (wgmma.mma_async): BF16 and
// FP16 m64n256k16 and FP8 E4M3 m64n256k32, FP32 accumulators, A and B read from shared memory
// through matrix descriptors (filled once; nothing is reloaded in the loop). Each warpgroup (128
// threads) issues `iterations` back-to-back wgmma into one 64x256 accumulator and waits only at
// the end; run 2-3 warpgroups per SM (block 256 or 384, grid = SM count, or more blocks) so the
// tensor cores always have the next wgmma queued. Each thread writes the sum of its 128
// accumulator registers to out[thread].
// FLOP = wgmma_peak_flops(type, grid * block / 128, iterations); each thread writes
// wgmma_peak_expected(type, iterations) exactly (compute/peak_host.hpp explains the data).
// Goal on H200: >= 90% of 4096 dense BF16 FLOP/clk/SM x SMs x the SM clock during the run.
//
//   launch_wgmma_peak(WgmmaType::bf16, sm_count, 256, 1 << 16 | 1, out, stream);
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/compute/peak_host.hpp"

namespace gpuscale::kernels {

// block must be a multiple of 128 and at most kWgmmaMaxBlock. Returns cudaErrorNotSupported
// without launching unless the current device is compute capability 9.0 (wgmma_supported()).
cudaError_t launch_wgmma_peak(WgmmaType type, int grid, int block, std::int64_t iterations, float* out,
                              cudaStream_t stream);

}  // namespace gpuscale::kernels
