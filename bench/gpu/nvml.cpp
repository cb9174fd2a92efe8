#include "gpu/nvml.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "gpuscale/core/stats.hpp"

namespace gpuscale::bench {
namespace {

// The subset of the NVML C API used here, as published in nvml.h (NVML_API_VERSION 11/12).
using nvmlReturn_t = int;
using nvmlDevice_t = void*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kClockSm = 1;
constexpr int kClockMem = 2;
constexpr int kTemperatureGpu = 0;
constexpr int kP2pCapsIndexNvlink = 2;             // NVML_P2P_CAPS_INDEX_NVLINK
constexpr int kP2pStatusOk = 0;                    // NVML_P2P_STATUS_OK
constexpr int kMemoryErrorCorrected = 0;           // NVML_MEMORY_ERROR_TYPE_CORRECTED
constexpr int kMemoryErrorUncorrected = 1;         // NVML_MEMORY_ERROR_TYPE_UNCORRECTED
constexpr int kVolatileEcc = 0;                    // NVML_VOLATILE_ECC: since the driver was loaded
constexpr int kAggregateEcc = 1;                   // NVML_AGGREGATE_ECC: over the GPU's life
constexpr unsigned kNvlinkMaxLinks = 18;           // NVML_NVLINK_MAX_LINKS
constexpr int kFeatureEnabled = 1;                 // NVML_FEATURE_ENABLED
constexpr std::uint64_t kClockEventGpuIdle = 0x1;  // nvmlClocksEventReasonGpuIdle

template <typename F>
F load(void* lib, const char* name) {
  return reinterpret_cast<F>(::dlsym(lib, name));
}

}  // namespace

struct Nvml::Api {
  void* lib = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*device_count)(unsigned*) = nullptr;
  nvmlReturn_t (*handle_by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*handle_by_pci)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*ecc)(nvmlDevice_t, int*, int*) = nullptr;
  nvmlReturn_t (*mig)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;
  nvmlReturn_t (*pcie_gen)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*pcie_gen_max)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*pcie_width)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*pcie_width_max)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*p2p_status)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;
  nvmlReturn_t (*total_ecc)(nvmlDevice_t, int, int, unsigned long long*) = nullptr;
  nvmlReturn_t (*remapped_rows)(nvmlDevice_t, unsigned*, unsigned*, unsigned*, unsigned*) = nullptr;
  nvmlReturn_t (*nvlink_state)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*clock_events)(nvmlDevice_t, unsigned long long*) = nullptr;
};

Nvml& Nvml::get() {
  static Nvml nvml;
  return nvml;
}

Nvml::Nvml() : api_(new Api) {
  void* lib = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    why_ = "libnvidia-ml.so.1 not found (no NVIDIA driver?)";
    return;
  }
  Api& a = *api_;
  a.lib = lib;
  a.init = load<decltype(a.init)>(lib, "nvmlInit_v2");
  a.error_string = load<decltype(a.error_string)>(lib, "nvmlErrorString");
  a.device_count = load<decltype(a.device_count)>(lib, "nvmlDeviceGetCount_v2");
  a.handle_by_index = load<decltype(a.handle_by_index)>(lib, "nvmlDeviceGetHandleByIndex_v2");
  a.handle_by_pci = load<decltype(a.handle_by_pci)>(lib, "nvmlDeviceGetHandleByPciBusId_v2");
  a.driver_version = load<decltype(a.driver_version)>(lib, "nvmlSystemGetDriverVersion");
  a.clock = load<decltype(a.clock)>(lib, "nvmlDeviceGetClockInfo");
  a.max_clock = load<decltype(a.max_clock)>(lib, "nvmlDeviceGetMaxClockInfo");
  a.temperature = load<decltype(a.temperature)>(lib, "nvmlDeviceGetTemperature");
  a.power = load<decltype(a.power)>(lib, "nvmlDeviceGetPowerUsage");
  a.power_limit = load<decltype(a.power_limit)>(lib, "nvmlDeviceGetEnforcedPowerLimit");
  a.ecc = load<decltype(a.ecc)>(lib, "nvmlDeviceGetEccMode");
  a.mig = load<decltype(a.mig)>(lib, "nvmlDeviceGetMigMode");
  a.pcie_gen = load<decltype(a.pcie_gen)>(lib, "nvmlDeviceGetCurrPcieLinkGeneration");
  a.pcie_gen_max = load<decltype(a.pcie_gen_max)>(lib, "nvmlDeviceGetMaxPcieLinkGeneration");
  a.pcie_width = load<decltype(a.pcie_width)>(lib, "nvmlDeviceGetCurrPcieLinkWidth");
  a.pcie_width_max = load<decltype(a.pcie_width_max)>(lib, "nvmlDeviceGetMaxPcieLinkWidth");
  a.p2p_status = load<decltype(a.p2p_status)>(lib, "nvmlDeviceGetP2PStatus");
  a.total_ecc = load<decltype(a.total_ecc)>(lib, "nvmlDeviceGetTotalEccErrors");
  a.remapped_rows = load<decltype(a.remapped_rows)>(lib, "nvmlDeviceGetRemappedRows");
  a.nvlink_state = load<decltype(a.nvlink_state)>(lib, "nvmlDeviceGetNvLinkState");
  // Renamed in newer drivers; the older name stays exported (deprecated).
  a.clock_events = load<decltype(a.clock_events)>(lib, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!a.clock_events)
    a.clock_events = load<decltype(a.clock_events)>(lib, "nvmlDeviceGetCurrentClocksThrottleReasons");
  if (!a.init || !a.device_count || !a.handle_by_index) {
    why_ = "libnvidia-ml.so.1 lacks nvmlInit_v2 / nvmlDeviceGetCount_v2";
    return;
  }
  if (const nvmlReturn_t r = a.init(); r != kNvmlSuccess) {
    why_ = std::string("nvmlInit failed: ") + (a.error_string ? a.error_string(r) : std::to_string(r));
    return;
  }
  unsigned n = 0;
  if (a.device_count(&n) == kNvmlSuccess) {
    for (unsigned i = 0; i < n; ++i) {
      nvmlDevice_t d = nullptr;
      handles_.push_back(a.handle_by_index(i, &d) == kNvmlSuccess ? d : nullptr);
    }
  }
  ok_ = true;
}

std::optional<std::string> Nvml::driver_version() {
  char buf[96] = {};
  if (!ok_ || !api_->driver_version || api_->driver_version(buf, sizeof buf) != kNvmlSuccess)
    return std::nullopt;
  return std::string(buf);
}

int Nvml::device_for_pci_bus_id(const std::string& bus_id) {
  if (!ok_ || !api_->handle_by_pci) return -1;
  nvmlDevice_t d = nullptr;
  if (api_->handle_by_pci(bus_id.c_str(), &d) != kNvmlSuccess) return -1;
  auto it = std::find(handles_.begin(), handles_.end(), d);
  return it == handles_.end() ? -1 : static_cast<int>(it - handles_.begin());
}

namespace {
template <typename Fn, typename... Args>
std::optional<unsigned> query(bool ok, const std::vector<void*>& h, int dev, Fn fn, Args... args) {
  if (!ok || !fn || dev < 0 || dev >= static_cast<int>(h.size()) || !h[dev]) return std::nullopt;
  unsigned v = 0;
  if (fn(h[dev], args..., &v) != kNvmlSuccess) return std::nullopt;
  return v;
}
}  // namespace

std::optional<unsigned> Nvml::sm_clock_mhz(int dev) {
  return query(ok_, handles_, dev, api_->clock, kClockSm);
}
std::optional<unsigned> Nvml::memory_clock_mhz(int dev) {
  return query(ok_, handles_, dev, api_->clock, kClockMem);
}
std::optional<unsigned> Nvml::max_sm_clock_mhz(int dev) {
  return query(ok_, handles_, dev, api_->max_clock, kClockSm);
}
std::optional<unsigned> Nvml::max_memory_clock_mhz(int dev) {
  return query(ok_, handles_, dev, api_->max_clock, kClockMem);
}
std::optional<unsigned> Nvml::temperature_c(int dev) {
  return query(ok_, handles_, dev, api_->temperature, kTemperatureGpu);
}
std::optional<double> Nvml::power_w(int dev) {
  auto mw = query(ok_, handles_, dev, api_->power);
  return mw ? std::optional<double>(*mw / 1000.0) : std::nullopt;
}
std::optional<double> Nvml::power_limit_w(int dev) {
  auto mw = query(ok_, handles_, dev, api_->power_limit);
  return mw ? std::optional<double>(*mw / 1000.0) : std::nullopt;
}
std::optional<bool> Nvml::ecc_enabled(int dev) {
  if (!ok_ || !api_->ecc || dev < 0 || dev >= static_cast<int>(handles_.size()) || !handles_[dev])
    return std::nullopt;
  int current = 0, pending = 0;
  if (api_->ecc(handles_[dev], &current, &pending) != kNvmlSuccess) return std::nullopt;
  return current != 0;
}
std::optional<bool> Nvml::mig_enabled(int dev) {
  if (!ok_ || !api_->mig || dev < 0 || dev >= static_cast<int>(handles_.size()) || !handles_[dev])
    return std::nullopt;
  unsigned current = 0, pending = 0;
  if (api_->mig(handles_[dev], &current, &pending) != kNvmlSuccess) return std::nullopt;
  return current != 0;
}
std::optional<GpuHealth> Nvml::health(int dev) {
  if (!ok_ || dev < 0 || dev >= static_cast<int>(handles_.size()) || !handles_[dev]) return std::nullopt;
  nvmlDevice_t d = handles_[dev];
  GpuHealth h;
  if (api_->total_ecc) {
    auto count = [&](int type, int counter) -> std::optional<std::uint64_t> {
      unsigned long long n = 0;
      if (api_->total_ecc(d, type, counter, &n) != kNvmlSuccess) return std::nullopt;
      return static_cast<std::uint64_t>(n);
    };
    h.ecc_uncorrected_volatile = count(kMemoryErrorUncorrected, kVolatileEcc);
    h.ecc_corrected_volatile = count(kMemoryErrorCorrected, kVolatileEcc);
    h.ecc_uncorrected_aggregate = count(kMemoryErrorUncorrected, kAggregateEcc);
  }
  unsigned corrected = 0, uncorrected = 0, pending = 0, failed = 0;
  if (api_->remapped_rows &&
      api_->remapped_rows(d, &corrected, &uncorrected, &pending, &failed) == kNvmlSuccess) {
    h.remapped_rows_correctable = corrected;
    h.remapped_rows_uncorrectable = uncorrected;
    h.row_remap_pending = pending != 0;
    h.row_remap_failed = failed != 0;
  }
  if (api_->nvlink_state) {
    int links = 0, active = 0;
    for (unsigned link = 0; link < kNvlinkMaxLinks; ++link) {
      int state = 0;
      if (api_->nvlink_state(d, link, &state) != kNvmlSuccess) continue;  // no such link
      ++links;
      if (state == kFeatureEnabled) ++active;
    }
    if (links > 0) {
      h.nvlink_links = links;
      h.nvlink_links_active = active;
    }
  }
  if (h.empty()) return std::nullopt;
  return h;
}

std::optional<std::uint64_t> Nvml::clock_event_mask(int dev) {
  if (!ok_ || !api_->clock_events || dev < 0 || dev >= static_cast<int>(handles_.size()) || !handles_[dev])
    return std::nullopt;
  unsigned long long mask = 0;
  if (api_->clock_events(handles_[dev], &mask) != kNvmlSuccess) return std::nullopt;
  return static_cast<std::uint64_t>(mask);
}

std::optional<PcieInfo> Nvml::pcie(int dev) {
  auto g = query(ok_, handles_, dev, api_->pcie_gen);
  auto gm = query(ok_, handles_, dev, api_->pcie_gen_max);
  auto w = query(ok_, handles_, dev, api_->pcie_width);
  auto wm = query(ok_, handles_, dev, api_->pcie_width_max);
  if (!g || !gm || !w || !wm) return std::nullopt;
  return PcieInfo{static_cast<int>(*g), static_cast<int>(*gm), static_cast<int>(*w), static_cast<int>(*wm)};
}

ClockMonitor::ClockMonitor(int nvml_device, int period_ms) : dev_(nvml_device), period_ms_(period_ms) {}

ClockMonitor::~ClockMonitor() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void ClockMonitor::start() {
  sm_.clear();
  mem_.clear();
  temp_.clear();
  power_.clear();
  events_ = 0;
  events_read_ = false;
  if (dev_ < 0 || !Nvml::get().available()) return;
  running_ = true;
  thread_ = std::thread([this] {
    Nvml& n = Nvml::get();
    while (running_) {
      if (auto v = n.sm_clock_mhz(dev_)) sm_.push_back(*v);
      if (auto v = n.memory_clock_mhz(dev_)) mem_.push_back(*v);
      if (auto v = n.temperature_c(dev_)) temp_.push_back(*v);
      if (auto v = n.power_w(dev_)) power_.push_back(*v);
      if (auto v = n.clock_event_mask(dev_)) {
        events_ |= *v;
        events_read_ = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(period_ms_));
    }
  });
}

Environment ClockMonitor::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
  Environment env;
  env.samples = static_cast<int>(sm_.size());
  if (!sm_.empty()) {
    env.sm_clock_mhz_min = *std::min_element(sm_.begin(), sm_.end());
    env.sm_clock_mhz_median = median(sm_);
  }
  if (!mem_.empty()) env.memory_clock_mhz_median = median(mem_);
  if (!temp_.empty()) env.temperature_c_max = *std::max_element(temp_.begin(), temp_.end());
  if (!power_.empty()) env.power_w_median = median(power_);
  if (events_read_) env.clock_events = clock_event_names(events_ & ~kClockEventGpuIdle);
  return env;
}

std::optional<bool> Nvml::p2p_nvlink(int dev_a, int dev_b) {
  const int n = static_cast<int>(handles_.size());
  if (!ok_ || !api_->p2p_status || dev_a < 0 || dev_b < 0 || dev_a >= n || dev_b >= n || !handles_[dev_a] ||
      !handles_[dev_b])
    return std::nullopt;
  int status = -1;
  if (api_->p2p_status(handles_[dev_a], handles_[dev_b], kP2pCapsIndexNvlink, &status) != kNvmlSuccess)
    return std::nullopt;
  return status == kP2pStatusOk;
}

}  // namespace gpuscale::bench
