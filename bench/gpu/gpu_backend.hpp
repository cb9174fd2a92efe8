// The GPU a bench binary measures: probing (is there a usable GPU, and if not, the driver's
// reason), its identity and provenance (device properties, NVML state, library versions), read into
// the Run's GPU target (device index, NVML index, SM count, compute capability, L2 size, SKU) that
// every case reads through its CaseState.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "gpuscale/core/results.hpp"
#include "harness/bench_main.hpp"
#include "harness/run.hpp"

namespace gpuscale::bench {

// Everything the describe step reads about GPU `device`: its target (identity, NVML index, SKU).
// Leaves the current device as it was.
GpuTarget read_gpu_target(int device);

// "00000000:19:00.0": the PCI bus id as NVML takes it (nvmlDeviceGetHandleByPciBusId_v2).
std::string pci_bus_id(const cudaDeviceProp& p);

// The identity of any visible GPU (what the document's gpus[] holds), e.g. every GPU one process
// drives in a multi-GPU collective run. Leaves the current device as it was.
GpuInfo describe_gpu(int device);

// Free device memory right now, in bytes.
std::size_t free_device_memory();

// The reason a size cannot run, or "" when `bytes` fit in free memory with a safety margin.
std::string does_not_fit(std::size_t bytes);

GpuBackend gpu_backend();

}  // namespace gpuscale::bench
