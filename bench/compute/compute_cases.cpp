#include "compute/compute_cases.hpp"

#include "gpuscale/core/benchmark_id.hpp"

namespace gpuscale::bench {

using namespace gpuscale::kernels;

std::string ComputeCase::kernel_name() const {
  switch (kernel) {
    case PeakKernel::fma:
      return "fma";
    case PeakKernel::mma:
      return "mma";
    case PeakKernel::wgmma:
      return "wgmma";
  }
  return "?";
}

BenchmarkId ComputeCase::id() const {
  return {"compute", false, kernel_name(), {{"type", name}}};
}

std::vector<ComputeCase> compute_cases() {
  std::vector<ComputeCase> out;
  // FMA: a full SM of threads (8 x 256), 2^14 steps: about 1-2 ms per launch on an H100.
  const char* fma_peaks[] = {"fp32", "fp64", "fp16", "bf16"};
  for (const auto& t : kFmaTypes)
    out.push_back({PeakKernel::fma, static_cast<int>(t.type), std::string(t.name),
                   fma_peaks[static_cast<int>(t.type)], 8, 256,
                   t.type == FmaType::fp64 ? (1 << 13) : (1 << 14)});
  const char* mma_peaks[] = {"fp16_tensor", "bf16_tensor", "tf32_tensor",
                             "int8_tensor", "fp8_tensor",  "fp8_tensor"};
  for (const auto& t : kMmaTypes)
    out.push_back({PeakKernel::mma, static_cast<int>(t.type), std::string(t.name),
                   mma_peaks[static_cast<int>(t.type)], 4, 256, (1 << 12) | 1});
  // wgmma: one block of 3 warpgroups per SM (the most whose 64x256 accumulators fit) keeps the
  // next wgmma queued behind the running one.
  const char* wgmma_peaks[] = {"bf16_tensor", "fp16_tensor", "fp8_tensor"};
  for (const auto& t : kWgmmaTypes)
    out.push_back({PeakKernel::wgmma, static_cast<int>(t.type), std::string(t.name),
                   wgmma_peaks[static_cast<int>(t.type)], 1, kWgmmaMaxBlock,
                   t.type == WgmmaType::fp8_e4m3 ? (1 << 13) | 1 : (1 << 14) | 1});
  return out;
}

std::string compute_unsupported_reason(const ComputeCase& c, int major, int minor) {
  switch (c.kernel) {
    case PeakKernel::fma:
      return {};
    case PeakKernel::mma: {
      const auto t = static_cast<MmaType>(c.type);
      if (mma_supported(t, major, minor)) return {};
      return "mma.sync " + c.name + " needs compute capability " +
             std::to_string(mma_type_info(t).min_cc / 10) + "." +
             std::to_string(mma_type_info(t).min_cc % 10) + "; this GPU is " + std::to_string(major) + "." +
             std::to_string(minor);
    }
    case PeakKernel::wgmma:
      if (wgmma_supported(major, minor)) return {};
      return "wgmma exists on Hopper (sm_90a) only; this GPU is " + std::to_string(major) + "." +
             std::to_string(minor);
  }
  return "unknown kernel";
}

std::string compute_peak_for(const ComputeCase& c, int major, int minor) {
  if (c.kernel == PeakKernel::mma) {
    const auto t = static_cast<MmaType>(c.type);
    const bool fp8 = t == MmaType::fp8_e4m3 || t == MmaType::fp8_e5m2;
    if (fp8 && !(major == 8 && minor == 9)) return {};  // QMMA is native on sm_89 only
  }
  return c.peak;
}

int compute_grid(const ComputeCase& c, int sm_count) {
  return sm_count * c.blocks_per_sm;
}

nlohmann::json compute_parameters(const ComputeCase& c, int sm_count) {
  return {{"kernel", c.kernel_name()},
          {"type", c.name},
          {"grid", compute_grid(c, sm_count)},
          {"block", c.block},
          {"iterations", c.iterations}};
}

Work compute_work(const ComputeCase& c, int sm_count, int cc_major, int cc_minor) {
  const long long threads = static_cast<long long>(compute_grid(c, sm_count)) * c.block;
  Work w;
  w.flops = compute_flops(c, threads, c.iterations);
  w.peak = compute_peak_for(c, cc_major, cc_minor);
  return w;
}

double compute_flops(const ComputeCase& c, long long threads, long long iterations) {
  switch (c.kernel) {
    case PeakKernel::fma:
      return fma_peak_flops(static_cast<FmaType>(c.type), threads, iterations);
    case PeakKernel::mma:
      return mma_peak_flops(static_cast<MmaType>(c.type), threads / kWarpSize, iterations);
    case PeakKernel::wgmma:
      return wgmma_peak_flops(static_cast<WgmmaType>(c.type), threads / kWarpgroupThreads, iterations);
  }
  return 0;
}

double compute_expected(const ComputeCase& c, long long iterations) {
  switch (c.kernel) {
    case PeakKernel::fma:
      return fma_peak_expected(static_cast<FmaType>(c.type), iterations);
    case PeakKernel::mma:
      return mma_peak_expected(static_cast<MmaType>(c.type), iterations);
    case PeakKernel::wgmma:
      return wgmma_peak_expected(static_cast<WgmmaType>(c.type), iterations);
  }
  return 0;
}

double compute_tolerance(const ComputeCase& c) {
  return c.kernel == PeakKernel::fma ? fma_peak_tolerance(static_cast<FmaType>(c.type)) : 0.0;
}

}  // namespace gpuscale::bench
