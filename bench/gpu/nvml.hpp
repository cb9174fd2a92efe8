// NVML, loaded at run time (dlopen of libnvidia-ml.so.1), so that binaries start on machines
// without a driver and build without nvml.h. Only the calls gpuscale uses are declared; every
// query returns std::nullopt when NVML or the call is unavailable.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

class Nvml {
 public:
  // The process-wide NVML, initialised on first use (never from a static initializer).
  static Nvml& get();
  bool available() const { return ok_; }
  const std::string& why_unavailable() const { return why_; }

  std::optional<std::string> driver_version();
  // NVML device for a PCI bus id as CUDA reports it ("0000:19:00.0"); -1 when not found.
  int device_for_pci_bus_id(const std::string& bus_id);
  std::optional<unsigned> sm_clock_mhz(int dev);
  std::optional<unsigned> memory_clock_mhz(int dev);
  std::optional<unsigned> max_sm_clock_mhz(int dev);
  std::optional<unsigned> max_memory_clock_mhz(int dev);
  std::optional<unsigned> temperature_c(int dev);
  std::optional<double> power_w(int dev);
  std::optional<double> power_limit_w(int dev);
  std::optional<bool> ecc_enabled(int dev);
  std::optional<bool> mig_enabled(int dev);
  std::optional<PcieInfo> pcie(int dev);
  // Whether two GPUs reach each other over NVLink (nvmlDeviceGetP2PStatus, NVLINK index).
  std::optional<bool> p2p_nvlink(int dev_a, int dev_b);
  // Memory-error counters (ECC, row remapper) and NVLink link state; nullopt when NVML reports none.
  std::optional<GpuHealth> health(int dev);
  // NVML's clock event (throttle) reasons now, a bit mask (core's clock_event_names()).
  std::optional<std::uint64_t> clock_event_mask(int dev);

  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

 private:
  Nvml();
  struct Api;
  Api* api_ = nullptr;
  bool ok_ = false;
  std::string why_;
  std::vector<void*> handles_;  // nvmlDevice_t by NVML index
};

// Samples the SM and memory clocks, temperature, power and clock event reasons of one GPU every
// `period_ms` on a background thread between start() and stop(); stop() summarises them (min/median
// clocks, max temperature, median power, every reason seen but gpu_idle). Without NVML the summary has
// samples = 0.
class ClockMonitor {
 public:
  explicit ClockMonitor(int nvml_device, int period_ms = 10);
  ~ClockMonitor();
  ClockMonitor(const ClockMonitor&) = delete;
  ClockMonitor& operator=(const ClockMonitor&) = delete;
  void start();
  Environment stop();

 private:
  int dev_;
  int period_ms_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::vector<double> sm_, mem_, temp_, power_;
  std::uint64_t events_ = 0;  // clock event reasons seen at any sample, OR-ed
  bool events_read_ = false;  // the driver reported them at least once
};

}  // namespace gpuscale::bench
