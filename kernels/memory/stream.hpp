// BabelStream-style bandwidth kernels on float arrays: read, write, copy, scale, add, triad.
//
// Bytes moved by one launch = (arrays read + arrays written) x n x sizeof(float); each operation's
// benchmark case (bench/memory/ops/<op>.cpp) declares its arrays. Further stream kernels live in a
// file of their own beside this one (kernels/memory/<op>.cu), built on stream_device.cuh.
//
// Each thread moves `width_bytes` (4, 8 or 16: float, float2, float4) per access and keeps
// kStreamUnroll independent accesses in flight per grid-stride step. Any n is handled exactly:
// whole vectors first, then the n % (width_bytes / 4) trailing floats one by one. Pointers must be
// aligned to width_bytes (cudaMalloc gives 256 bytes) or the launcher returns cudaErrorInvalidValue.
// Grid = blocks per SM x the SM count the caller read from the device; block is a multiple of 32
// and at most kStreamBlock (the kernels are compiled with that launch bound). A few blocks per SM
// suffice for HBM: Little's law on H200 gives 4.8 TB/s x ~0.7 us ~ 3.4 MB in flight, ~26 KB per SM,
// and 4 blocks x 256 threads x kStreamUnroll x 16 B = 64 KB per SM. How many blocks fit at once
// depends on the kernel instance (registers: add<16> and triad<16> need more than 32 per thread on
// sm_90, so 6 blocks of 256 fit, not 8) and on the GPU: stream_blocks_per_sm() asks the occupancy
// calculator, so that one grid is exactly one wave: stream_<op>_blocks_per_sm().
//
//   launch_stream_copy(a, b, n, 16, 4 * sm_count, kStreamBlock, stream);
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace gpuscale::kernels {

inline constexpr int kStreamBlock = 256;  // threads per block the benchmarks use
inline constexpr int kStreamUnroll = 4;   // independent vector accesses per thread per step

constexpr bool stream_width_supported(int width_bytes) {
  return width_bytes == 4 || width_bytes == 8 || width_bytes == 16;
}

// read: sum += a[i]. Block j writes its partial sum (accumulated in double) to partials[j], so
// `partials` holds `grid` doubles; finish with launch_stream_read_finish() or stream_read_total().
cudaError_t launch_stream_read(const float* a, std::size_t n, double* partials, int width_bytes, int grid,
                               int block, cudaStream_t stream);
// Sums partials[0, count) into *total with one block (deterministic order).
cudaError_t launch_stream_read_finish(const double* partials, int count, double* total, cudaStream_t stream);
// The same sum on the host, for partials copied back.
inline double stream_read_total(const double* partials, int count) {
  double total = 0;
  for (int i = 0; i < count; ++i) total += partials[i];
  return total;
}
// write: a[i] = value
cudaError_t launch_stream_write(float* a, std::size_t n, float value, int width_bytes, int grid, int block,
                                cudaStream_t stream);
// copy: b[i] = a[i]
cudaError_t launch_stream_copy(const float* a, float* b, std::size_t n, int width_bytes, int grid, int block,
                               cudaStream_t stream);
// scale: b[i] = scalar * a[i]
cudaError_t launch_stream_scale(const float* a, float* b, float scalar, std::size_t n, int width_bytes,
                                int grid, int block, cudaStream_t stream);
// add: c[i] = a[i] + b[i]
cudaError_t launch_stream_add(const float* a, const float* b, float* c, std::size_t n, int width_bytes,
                              int grid, int block, cudaStream_t stream);
// triad: a[i] = b[i] + scalar * c[i]
cudaError_t launch_stream_triad(float* a, const float* b, const float* c, float scalar, std::size_t n,
                                int width_bytes, int grid, int block, cudaStream_t stream);

// Blocks of `block` threads of each kernel's instance for `width_bytes` that are resident on one SM
// at once on the current device (cudaOccupancyMaxActiveBlocksPerMultiprocessor: registers, shared
// memory and threads of that instance). cudaErrorInvalidValue for an unsupported width or block.
cudaError_t stream_read_blocks_per_sm(int width_bytes, int block, int* blocks);
cudaError_t stream_write_blocks_per_sm(int width_bytes, int block, int* blocks);
cudaError_t stream_copy_blocks_per_sm(int width_bytes, int block, int* blocks);
cudaError_t stream_scale_blocks_per_sm(int width_bytes, int block, int* blocks);
cudaError_t stream_add_blocks_per_sm(int width_bytes, int block, int* blocks);
cudaError_t stream_triad_blocks_per_sm(int width_bytes, int block, int* blocks);

}  // namespace gpuscale::kernels
