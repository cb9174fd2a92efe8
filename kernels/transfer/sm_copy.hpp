// SM-driven copy for transfer benchmarks: a grid-stride kernel moves the bytes with 16-byte loads and
// stores, instead of the copy engines (cudaMemcpyAsync). Used host->device and device->host over
// mapped pinned memory and device->device between peers, where it shows what the link gives when
// SMs issue the traffic (nvbandwidth's "SM copy").
//
// Pointers must be readable/writable from the current device: device memory, pinned host memory
// through its device pointer (cudaHostGetDevicePointer), or a peer GPU's memory with peer access
// enabled. When both pointers are 16-byte aligned and bytes is a multiple of 16 the whole copy is
// vectorised; otherwise it falls back to a byte loop (correct, slower).
// Grid = blocks (the caller sizes it from the SM count it read); block = kSmCopyBlock threads.
//
//   launch_sm_copy(dst, src, bytes, 4 * sm_count, stream);
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace gpuscale::kernels {

inline constexpr int kSmCopyBlock = 512;  // threads per block
inline constexpr int kSmCopyUnroll = 4;   // independent 16-byte accesses in flight per thread

// Enqueues the copy on `stream`; returns the launch error (cudaErrorInvalidValue for grid < 1).
cudaError_t launch_sm_copy(void* dst, const void* src, std::size_t bytes, int grid, cudaStream_t stream);

}  // namespace gpuscale::kernels
