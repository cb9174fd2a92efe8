// Datasheet specifications of the GPUs gpuscale knows, keyed by a stable SKU key.
//
// Every figure carries the document it was read from (`source`). Peaks are dense (no sparsity),
// in TFLOPS (TOPS for INT8) at the boost clock `boost_clock_mhz`; a zero means "not published /
// not supported" and no percentage of peak is computed against it. The table is matched against
// the name the driver reports (exactly, never by a guess): an unknown name gives no spec.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gpuscale {

// Precisions / instruction classes that have a datasheet peak.
enum class Peak {
  fp64,         // FP64 non-tensor (DFMA)
  fp64_tensor,  // FP64 tensor core (DMMA)
  fp32,         // FP32 non-tensor (FFMA)
  fp16,         // FP16 non-tensor (HFMA2)
  bf16,         // BF16 non-tensor (HFMA2.BF16)
  tf32_tensor,
  fp16_tensor,  // FP16 inputs, FP32 accumulate
  bf16_tensor,  // BF16 inputs, FP32 accumulate
  fp8_tensor,   // FP8 E4M3/E5M2 inputs, FP32 accumulate
  int8_tensor,  // TOPS
};
inline constexpr int kPeakCount = 10;
std::string_view to_string(Peak p);
std::optional<Peak> peak_from_string(std::string_view s);

struct GpuSpec {
  std::string_view key;                        // stable SKU key, e.g. "h200-sxm-141gb"
  std::string_view marketing_name;             // e.g. "NVIDIA H200 SXM 141GB"
  std::vector<std::string_view> driver_names;  // names nvidia-smi / cudaGetDeviceProperties report
  std::string_view architecture;               // "ampere", "ada", "hopper", "blackwell"
  int compute_capability = 0;                  // 80, 89, 90, 100
  int sm_count = 0;
  std::uint64_t memory_bytes = 0;    // as marketed (GB = 1e9 B)
  double memory_bandwidth_gbps = 0;  // datasheet, GB/s = 1e9 B/s
  std::uint64_t l2_bytes = 0;
  double boost_clock_mhz = 0;           // the clock the peaks are quoted at
  double peak_tflops[kPeakCount] = {};  // dense, indexed by Peak
  double tdp_w = 0;
  double nvlink_gbps = 0;  // total bidirectional per GPU, 0 = none
  int pcie_generation = 0;
  std::string_view source;  // where the figures above come from

  double peak(Peak p) const { return peak_tflops[static_cast<int>(p)]; }
  // An SXM board (its key says so): the node's GPUs reach one another over NVLink, every link cabled.
  bool sxm() const { return key.find("-sxm-") != std::string_view::npos; }
  // Datasheet rate per SM clock cycle for the whole GPU, in FLOP/cycle: the denominator of the
  // clock-normalised efficiency (achieved / (rate per clock * measured clock)).
  double flops_per_clock(Peak p) const;
};

// All known SKUs, in a stable order.
std::span<const GpuSpec> spec_table();

// Exact lookup by SKU key ("h100-sxm-80gb").
const GpuSpec* find_spec_by_key(std::string_view key);

// Match a name as the driver reports it ("NVIDIA H100 80GB HBM3"). Matching ignores case and
// surrounding whitespace but nothing else; a name that is not in the table returns nullptr.
// `memory_bytes`, when non-zero, disambiguates SKUs that share a driver name.
const GpuSpec* match_spec(std::string_view driver_name, std::uint64_t memory_bytes = 0);

// Key for a driver name, or "unknown".
std::string sku_key_for(std::string_view driver_name, std::uint64_t memory_bytes = 0);

}  // namespace gpuscale
