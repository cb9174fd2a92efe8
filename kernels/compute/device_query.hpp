// The compute capability of the current device, for launchers that refuse what it cannot run.
#pragma once

#include <cuda_runtime.h>

namespace gpuscale::kernels {

inline cudaError_t current_compute_capability(int& major, int& minor) {
  int device = 0;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
      e != cudaSuccess)
    return e;
  return cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
}

}  // namespace gpuscale::kernels
