#include "gpu/gpu_backend.hpp"

#include <cublasLt.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#ifdef GPUSCALE_WITH_NCCL
#include <nccl.h>
#endif

#include "gpu/cuda_check.hpp"
#include "gpu/nvml.hpp"
#include "gpuscale/core/units.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {
namespace {

std::string version_string(int v, int major_div, int minor_div) {
  return std::to_string(v / major_div) + "." + std::to_string((v % major_div) / minor_div);
}

std::string uuid_string(const cudaUUID_t& u) {
  char buf[64];
  const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
  std::snprintf(buf, sizeof buf, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return buf;
}

std::string probe(int device) {
  int n = 0;
  if (const cudaError_t e = cudaGetDeviceCount(&n); e != cudaSuccess) return cudaGetErrorString(e);
  if (n == 0) return "no CUDA device found";
  if (device < 0 || device >= n)
    return "--device=" + std::to_string(device) + " but only " + std::to_string(n) + " GPU(s) exist";
  if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess) return cudaGetErrorString(e);
  if (const cudaError_t e = cudaFree(nullptr); e != cudaSuccess)  // creates the context
    return std::string("cannot create a CUDA context: ") + cudaGetErrorString(e);
  return {};
}

int count(std::string& why) {
  int n = 0;
  if (const cudaError_t e = cudaGetDeviceCount(&n); e != cudaSuccess) {
    why = cudaGetErrorString(e);
    return 0;
  }
  if (n == 0) why = "no CUDA device found";
  return n;
}

LibraryVersions library_versions() {
  LibraryVersions v;
  int rt = 0, drv = 0;
  if (cudaRuntimeGetVersion(&rt) == cudaSuccess) v.cuda_runtime_version = version_string(rt, 1000, 10);
  if (cudaDriverGetVersion(&drv) == cudaSuccess) v.cuda_driver_version = version_string(drv, 1000, 10);
  const std::size_t lt = cublasLtGetVersion();
  v.cublas_version =
      std::to_string(lt / 10000) + "." + std::to_string((lt % 10000) / 100) + "." + std::to_string(lt % 100);
#ifdef GPUSCALE_WITH_NCCL
  int nv = 0;
  if (ncclGetVersion(&nv) == ncclSuccess)
    v.nccl_version = std::to_string(nv / 10000) + "." + std::to_string((nv % 10000) / 100) + "." +
                     std::to_string(nv % 100);
#endif
  if (auto d = Nvml::get().driver_version()) v.driver_version = *d;
  return v;
}

}  // namespace

// Identity, NVML state and NUMA node of `device`.
GpuTarget read_gpu_target(int device) {
  GpuTarget target;
  target.device = device;
  cudaDeviceProp p{};
  GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  GpuInfo& g = target.info;
  g.index = device;
  g.name = p.name;
  g.uuid = uuid_string(p.uuid);
  const std::string bus = pci_bus_id(p);
  g.pci_bus_id = bus;
  g.sm_count = p.multiProcessorCount;
  g.cc_major = p.major;
  g.cc_minor = p.minor;
  g.memory_bytes = p.totalGlobalMem;
  g.l2_bytes = static_cast<std::uint64_t>(p.l2CacheSize);
  {
    int current = 0;
    GPUSCALE_CUDA_CHECK(cudaGetDevice(&current));
    GPUSCALE_CUDA_CHECK(cudaSetDevice(device));
    g.memory_free_bytes = free_device_memory();
    GPUSCALE_CUDA_CHECK(cudaSetDevice(current));
  }
  target.spec = match_spec(g.name, g.memory_bytes);
  g.sku = target.spec ? std::string(target.spec->key) : "unknown";

  Nvml& nvml = Nvml::get();
  target.nvml_index = nvml.device_for_pci_bus_id(bus);
  if (target.nvml_index >= 0) {
    const int n = target.nvml_index;
    if (auto v = nvml.max_sm_clock_mhz(n)) g.max_sm_clock_mhz = *v;
    if (auto v = nvml.max_memory_clock_mhz(n)) g.max_memory_clock_mhz = *v;
    if (auto v = nvml.power_limit_w(n)) g.power_limit_w = *v;
    g.ecc_enabled = nvml.ecc_enabled(n);
    g.mig_enabled = nvml.mig_enabled(n);
    g.pcie = nvml.pcie(n);
    g.health = nvml.health(n);
  }
  // The NUMA node the GPU hangs off, as the kernel reports it (-1 on single-node machines).
  std::string sys_bus = bus.substr(4);  // "0000:19:00.0" without the upper domain digits
  for (auto& c : sys_bus) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::ifstream numa("/sys/bus/pci/devices/" + sys_bus + "/numa_node");
  if (int node; numa >> node) g.numa_node = node;
  return target;
}

namespace {

std::vector<std::pair<std::string, std::string>> describe(int device, Run& run) {
  GPUSCALE_CUDA_CHECK(cudaSetDevice(device));
  GpuTarget target = read_gpu_target(device);
  const GpuInfo& g = target.info;
  Nvml& nvml = Nvml::get();

  ResultSink& sink = run.sink();
  sink.set_gpus({g});
  const LibraryVersions libs = library_versions();
  sink.set_libraries(libs);

  std::vector<std::pair<std::string, std::string>> lines = {
      {"gpu_name", g.name},
      {"gpu_uuid", g.uuid},
      {"gpu_sku", g.sku},
      {"gpu_pci_bus_id", g.pci_bus_id},
      {"gpu_compute_capability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor)},
      {"gpu_sm_count", std::to_string(g.sm_count)},
      {"gpu_memory", format_bytes(g.memory_bytes)},
      {"gpu_l2", format_bytes(g.l2_bytes)},
      {"cuda_runtime_version", libs.cuda_runtime_version},
      {"cuda_driver_version", libs.cuda_driver_version},
      {"cublas_version", libs.cublas_version},
      {"nvml", nvml.available() ? "available" : nvml.why_unavailable()}};
  if (!libs.driver_version.empty()) lines.emplace_back("driver_version", libs.driver_version);
  if (!libs.nccl_version.empty()) lines.emplace_back("nccl_version", libs.nccl_version);
  if (g.max_sm_clock_mhz)
    lines.emplace_back("gpu_max_sm_clock_mhz", std::to_string(static_cast<int>(*g.max_sm_clock_mhz)));
  run.set_gpu(std::move(target));
  return lines;
}

}  // namespace

std::size_t free_device_memory() {
  std::size_t free = 0, total = 0;
  GPUSCALE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

std::string does_not_fit(std::size_t bytes) {
  // Leave room for the context's own allocations, the L2 flush buffer and allocator rounding.
  const std::size_t free = free_device_memory();
  const std::size_t margin = 256 * kMiB;
  if (bytes + margin <= free) return {};
  return "needs " + format_bytes(bytes) + " of device memory, " + format_bytes(free) + " free";
}

std::string pci_bus_id(const cudaDeviceProp& p) {
  char bus[32];
  std::snprintf(bus, sizeof bus, "%08x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
  return bus;
}

GpuInfo describe_gpu(int device) {
  return read_gpu_target(device).info;
}

GpuBackend gpu_backend() {
  return GpuBackend{probe, count, describe};
}

}  // namespace gpuscale::bench
