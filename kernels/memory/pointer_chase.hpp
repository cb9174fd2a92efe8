// Memory latency by pointer chasing: one thread does `loads` dependent 4-byte loads through the
// chain of pointer_chase_host.hpp, so each load waits for the previous one.
// Latency per load = kernel time / loads (the harness subtracts nothing: use loads >> 1e4 so the
// launch is negligible). Buffers under the L1 (~256 KiB/SM) measure L1, under the L2 measure L2,
// larger ones HBM (with TLB misses once the buffer spans many pages). Each hop includes one
// integer multiply-add for the address (a few cycles) beside the load latency.
//
//   auto plan = make_pointer_chase(bytes, 64);   // copy plan.words to `words` on the device
//   launch_pointer_chase(words, plan.start, 1 << 20, PointerChaseCache::l1, result, stream);
//   // result[0] == pointer_chase_end(plan.words, plan.start, 1 << 20), result[1] == 1 << 20
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/memory/pointer_chase_host.hpp"

namespace gpuscale::kernels {

enum class PointerChaseCache {
  l1,  // the default cached load (the compiler emits the read-only LDG.E.CONSTANT): L1 and L2
  l2,  // ld.global.cg: L2 only, to see L2 latency with buffers that would fit the L1
};

// One block of one thread. result[0] = the word index the chase ended on, result[1] = the loads
// done; both are written so the chain cannot be optimized away and the run can be checked.
cudaError_t launch_pointer_chase(const std::uint32_t* words, std::uint32_t start, std::uint64_t loads,
                                 PointerChaseCache cache, std::uint64_t* result, cudaStream_t stream);

}  // namespace gpuscale::kernels
