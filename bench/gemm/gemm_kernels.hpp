// Device helpers of bench_gemm, outside every timed region: random inputs and the gather that brings
// the few rows, columns and elements the FP64 check needs back as float.
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>

namespace gpuscale::bench::gemm {

// dst[i] = normal(0,1) * scale, rounded to `type` (CUDA_R_32F, 16F, 16BF, 8F_E4M3; FP8 saturates
// to the largest finite value). A counter-based hash of (seed, i) feeds Box-Muller, so every
// element, and every rotation slot, holds different values, and the fill is reproducible.
void fill_normal(void* dst, cudaDataType_t type, std::size_t n, std::uint64_t seed, float scale,
                 cudaStream_t s);

// out[p * n_offsets + q] = (float) src[bases[p] + offsets[q]] for p < n_bases, q < n_offsets;
// `bases` and `offsets` are device arrays. Exact: every input type is a subset of float.
void gather_to_f32(const void* src, cudaDataType_t type, const std::int64_t* bases, std::int64_t n_bases,
                   const std::int64_t* offsets, std::int64_t n_offsets, float* out, cudaStream_t s);

}  // namespace gpuscale::bench::gemm
