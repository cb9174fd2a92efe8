// The datasheet spec table. Figures are dense (no sparsity) peaks in TFLOPS (TOPS for INT8); each
// entry names its sources. `tensor_clock_mhz` in the comments below is the clock at which the
// datasheet's tensor figure equals SMs x per-SM tensor rate: vendors quote Hopper's tensor peaks
// below the maximum boost clock, so the rate per clock is derived from the architecture's per-SM
// rates rather than by dividing a peak by the boost clock.
#include "gpuscale/core/spec_table.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace gpuscale {
namespace {

constexpr std::uint64_t GB = 1'000'000'000ull;
constexpr std::uint64_t MiB = 1ull << 20;

// Per-SM dense rates in FLOP (OP for INT8) per clock, indexed like Peak. From the architecture
// whitepapers (NVIDIA A100 Tensor Core GPU Architecture 2020, NVIDIA Ada GPU Architecture 2023,
// NVIDIA H100 Tensor Core GPU Architecture 2022); zero where the architecture has no such unit.
//                                      fp64 fp64t fp32 fp16 bf16 tf32  fp16t bf16t fp8t  int8t
constexpr double kAmpereGa100[kPeakCount] = {64, 128, 128, 512, 256, 1024, 2048, 2048, 0, 4096};
constexpr double kAdaPro[kPeakCount] = {4, 0, 256, 256, 256, 512, 1024, 1024, 2048, 2048};
// GeForce Ada runs FP16/BF16/FP8 tensor math with FP32 accumulate at half the professional rate.
constexpr double kAdaGeForce[kPeakCount] = {4, 0, 256, 256, 256, 512, 512, 512, 1024, 2048};
constexpr double kHopperGh100[kPeakCount] = {128, 256, 256, 512, 512, 2048, 4096, 4096, 8192, 8192};

struct SpecRow {
  GpuSpec spec;
  const double* per_sm_rate;  // nullptr where the per-SM rates are not published
};

std::vector<SpecRow> make_table() {
  std::vector<SpecRow> rows;
  auto add = [&](GpuSpec s, const double* rate) { rows.push_back({std::move(s), rate}); };
  constexpr std::string_view kA100 =
      "NVIDIA A100 Tensor Core GPU datasheet (1758950-r4, 2021); SMs, L2 and per-SM rates: NVIDIA "
      "A100 Tensor Core GPU Architecture whitepaper (2020)";
  constexpr std::string_view kH100 =
      "NVIDIA H100 Tensor Core GPU datasheet (2023); SMs, L2 and per-SM rates: NVIDIA H100 Tensor "
      "Core GPU Architecture whitepaper (2022)";
  // A100: boost 1410 MHz; 9.7 FP64, 19.5 FP64 tensor, 19.5 FP32, 78 FP16, 39 BF16, 156 TF32,
  // 312 FP16/BF16 tensor, 624 INT8.
  auto a100 = [&](std::string_view key, std::string_view marketing, std::string_view driver_name,
                  std::uint64_t mem, double bw, double tdp) {
    add({key,
         marketing,
         {driver_name},
         "ampere",
         80,
         108,
         mem,
         bw,
         40 * MiB,
         1410,
         {9.7, 19.5, 19.5, 78, 39, 156, 312, 312, 0, 624},
         tdp,
         600,
         4,
         kA100},
        kAmpereGa100);
  };
  a100("a100-sxm-40gb", "NVIDIA A100 SXM4 40GB", "NVIDIA A100-SXM4-40GB", 40 * GB, 1555, 400);
  a100("a100-sxm-80gb", "NVIDIA A100 SXM4 80GB", "NVIDIA A100-SXM4-80GB", 80 * GB, 2039, 400);
  a100("a100-pcie-40gb", "NVIDIA A100 PCIe 40GB", "NVIDIA A100-PCIE-40GB", 40 * GB, 1555, 250);
  a100("a100-pcie-80gb", "NVIDIA A100 PCIe 80GB", "NVIDIA A100 80GB PCIe", 80 * GB, 1935, 300);

  // H100 SXM5: 132 SMs, boost 1980 MHz (tensor figures correspond to 1830 MHz).
  add({"h100-sxm-80gb",
       "NVIDIA H100 SXM5 80GB",
       {"NVIDIA H100 80GB HBM3"},
       "hopper",
       90,
       132,
       80 * GB,
       3350,
       50 * MiB,
       1980,
       {34, 67, 67, 133.8, 133.8, 494.7, 989.4, 989.4, 1978.9, 1978.9},
       700,
       900,
       5,
       kH100},
      kHopperGh100);
  // H100 PCIe: 114 SMs, boost 1755 MHz (tensor figures correspond to 1620 MHz).
  add({"h100-pcie-80gb",
       "NVIDIA H100 PCIe 80GB",
       {"NVIDIA H100 PCIe"},
       "hopper",
       90,
       114,
       80 * GB,
       2000,
       50 * MiB,
       1755,
       {26, 51, 51, 102.4, 102.4, 378, 756, 756, 1513, 1513},
       350,
       600,
       5,
       kH100},
      kHopperGh100);
  // H100 NVL: 132 SMs, 94 GB, boost 1785 MHz; the datasheet quotes sparse tensor figures, halved here.
  add({"h100-nvl-94gb",
       "NVIDIA H100 NVL 94GB",
       {"NVIDIA H100 NVL"},
       "hopper",
       90,
       132,
       94 * GB,
       3900,
       50 * MiB,
       1785,
       {30, 60, 60, 0, 0, 417.5, 835.5, 835.5, 1670.5, 1670.5},
       400,
       600,
       5,
       kH100},
      kHopperGh100);
  // H200 SXM: H100 SXM5 compute with 141 GB HBM3e at 4.8 TB/s.
  add({"h200-sxm-141gb",
       "NVIDIA H200 SXM 141GB",
       {"NVIDIA H200"},
       "hopper",
       90,
       132,
       141 * GB,
       4800,
       50 * MiB,
       1980,
       {34, 67, 67, 133.8, 133.8, 494.7, 989.4, 989.4, 1978.9, 1978.9},
       700,
       900,
       5,
       "NVIDIA H200 Tensor Core GPU datasheet (2024); SMs, L2 and per-SM rates: NVIDIA H100 Tensor "
       "Core GPU Architecture whitepaper (2022)"},
      kHopperGh100);

  constexpr std::string_view kAda = "NVIDIA Ada GPU Architecture whitepaper (v2.1, 2023), appendix tables";
  add({"l40s-48gb",
       "NVIDIA L40S 48GB",
       {"NVIDIA L40S"},
       "ada",
       89,
       142,
       48 * GB,
       864,
       96 * MiB,
       2520,
       {1.4, 0, 91.6, 91.6, 91.6, 183, 362.05, 362.05, 733, 733},
       350,
       0,
       4,
       "NVIDIA L40S GPU datasheet (2023); SMs and L2: NVIDIA Ada GPU Architecture whitepaper"},
      kAdaPro);
  add({"rtx-4090-24gb",
       "NVIDIA GeForce RTX 4090",
       {"NVIDIA GeForce RTX 4090"},
       "ada",
       89,
       128,
       24 * GB,
       1008,
       72 * MiB,
       2520,
       {1.3, 0, 82.6, 82.6, 82.6, 82.6, 165.2, 165.2, 330.3, 660.6},
       450,
       0,
       4,
       kAda},
      kAdaGeForce);
  add({"rtx-6000-ada-48gb",
       "NVIDIA RTX 6000 Ada Generation",
       {"NVIDIA RTX 6000 Ada Generation"},
       "ada",
       89,
       142,
       48 * GB,
       960,
       96 * MiB,
       2505,
       {1.4, 0, 91.1, 91.1, 91.1, 182.1, 364.2, 364.2, 728.5, 728.5},
       300,
       0,
       4,
       "NVIDIA RTX 6000 Ada Generation datasheet (2023); SMs and L2: NVIDIA Ada whitepaper"},
      kAdaPro);
  // B200: per-GPU figures from the 8-GPU DGX B200 datasheet divided by 8, sparse figures halved.
  // Clocks and per-SM rates are not published there: no clock-normalised efficiency for B200.
  add({"b200-180gb",
       "NVIDIA B200 180GB",
       {"NVIDIA B200"},
       "blackwell",
       100,
       148,
       180 * GB,
       8000,
       0,
       0,
       {37, 37, 0, 0, 0, 1125, 2250, 2250, 4500, 4500},
       1000,
       1800,
       5,
       "NVIDIA DGX B200 datasheet (2024): 72 PFLOPS FP8 / 1,440 GB / 64 TB/s for 8 GPUs, sparse"},
      nullptr);

  return rows;
}

const std::vector<SpecRow>& rows() {
  static const std::vector<SpecRow> table = make_table();
  return table;
}

const std::vector<GpuSpec>& specs() {
  static const std::vector<GpuSpec> list = [] {
    std::vector<GpuSpec> out;
    for (const auto& r : rows()) out.push_back(r.spec);
    return out;
  }();
  return list;
}

std::string trim_lower(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

constexpr std::array<std::string_view, kPeakCount> kPeakNames = {
    "fp64",        "fp64_tensor", "fp32",        "fp16",       "bf16",
    "tf32_tensor", "fp16_tensor", "bf16_tensor", "fp8_tensor", "int8_tensor"};

}  // namespace

std::string_view to_string(Peak p) {
  return kPeakNames[static_cast<int>(p)];
}

std::optional<Peak> peak_from_string(std::string_view s) {
  for (int i = 0; i < kPeakCount; ++i)
    if (kPeakNames[i] == s) return static_cast<Peak>(i);
  return std::nullopt;
}

double GpuSpec::flops_per_clock(Peak p) const {
  for (const auto& r : rows())
    if (r.spec.key == key && r.per_sm_rate) return r.per_sm_rate[static_cast<int>(p)] * sm_count;
  return 0;
}

std::span<const GpuSpec> spec_table() {
  return specs();
}

const GpuSpec* find_spec_by_key(std::string_view key) {
  for (const auto& s : specs())
    if (s.key == key) return &s;
  return nullptr;
}

const GpuSpec* match_spec(std::string_view driver_name, std::uint64_t memory_bytes) {
  const std::string want = trim_lower(driver_name);
  const GpuSpec* best = nullptr;
  for (const auto& s : specs()) {
    for (auto n : s.driver_names) {
      if (trim_lower(n) != want) continue;
      if (!best) {
        best = &s;
      } else if (memory_bytes) {  // two SKUs share the name: the closer memory size wins
        auto dist = [&](const GpuSpec* g) {
          return g->memory_bytes > memory_bytes ? g->memory_bytes - memory_bytes
                                                : memory_bytes - g->memory_bytes;
        };
        if (dist(&s) < dist(best)) best = &s;
      }
    }
  }
  return best;
}

std::string sku_key_for(std::string_view driver_name, std::uint64_t memory_bytes) {
  const GpuSpec* s = match_spec(driver_name, memory_bytes);
  return s ? std::string(s->key) : std::string("unknown");
}

}  // namespace gpuscale
