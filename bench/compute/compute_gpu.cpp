// GPU compute family: peak FMA (FFMA, DFMA, HFMA2 FP16/BF16), tensor-core mma.sync (FP16, BF16,
// TF32, INT8, FP8 E4M3/E5M2) and sm_90a wgmma (BF16, FP16, FP8 E4M3) kernels from
// kernels/compute. TFLOPS (TOPS for INT8) come from the declared FLOP and the samples; % of the
// datasheet peak and the clock-normalised efficiency (achieved / (datasheet rate per clock x the
// SM clock measured during the run)) are derived in core. Every thread's result is checked
// against the value the kernel must produce before any number is reported.
//
//   bench_compute --benchmark_filter=wgmma
#include <cmath>
#include <memory>
#include <vector>

#include "compute/compute_cases.hpp"
#include "gpu/cuda_check.hpp"
#include "gpu/gpu_case.hpp"
#include "gpu/resources.hpp"
#include "kernels/compute/fma_peak.hpp"
#include "kernels/compute/mma_peak.hpp"
#include "kernels/compute/wgmma_peak.hpp"

namespace gpuscale::bench {
namespace {

cudaError_t launch_peak(const ComputeCase& c, int grid, float* out, cudaStream_t s) {
  using namespace gpuscale::kernels;
  switch (c.kernel) {
    case PeakKernel::fma:
      return launch_fma_peak(static_cast<FmaType>(c.type), grid, c.block, c.iterations, out, s);
    case PeakKernel::mma:
      return launch_mma_peak(static_cast<MmaType>(c.type), grid, c.block, c.iterations, out, s);
    case PeakKernel::wgmma:
      return launch_wgmma_peak(static_cast<WgmmaType>(c.type), grid, c.block, c.iterations, out, s);
  }
  return cudaErrorInvalidValue;
}

class PeakCase final : public GpuStreamCase {
 public:
  explicit PeakCase(ComputeCase c) : c_(std::move(c)) {}

  BenchmarkId id() const override { return c_.id(); }
  nlohmann::json parameters(const GpuTarget& gpu) const override {
    return compute_parameters(c_, gpu.info.sm_count);
  }
  Work work(const GpuTarget& gpu) const override {
    return compute_work(c_, gpu.info.sm_count, gpu.info.cc_major, gpu.info.cc_minor);
  }
  std::string unsupported(const GpuTarget& gpu) const override {
    return compute_unsupported_reason(c_, gpu.info.cc_major, gpu.info.cc_minor);
  }
  std::uint64_t device_bytes(const GpuTarget&) const override { return 0; }  // a few MB at most

  // One float per thread, NaN until the kernel writes it, so that an unwritten result shows.
  class Body final : public GpuStreamCase::Body {
   public:
    Body(const ComputeCase& c, int grid, cudaStream_t s)
        : c_(c), grid_(grid), out_(static_cast<std::size_t>(grid) * c.block) {
      GPUSCALE_CUDA_CHECK(cudaMemsetAsync(out_.get(), 0xff, out_.bytes(), s));
    }
    void launch(cudaStream_t s) override { GPUSCALE_CUDA_CHECK(launch_peak(c_, grid_, out_.get(), s)); }
    std::string check(CaseState& state, cudaStream_t) override {
      std::vector<float> host(out_.size());
      GPUSCALE_CUDA_CHECK(cudaMemcpy(host.data(), out_.get(), out_.bytes(), cudaMemcpyDeviceToHost));
      const double want = compute_expected(c_, c_.iterations);
      const double tol = compute_tolerance(c_);
      for (std::size_t i = 0; i < host.size(); ++i)
        if (!(std::abs(host[i] - want) <= tol))
          return "thread " + std::to_string(i) + " wrote " + std::to_string(host[i]) + ", expected " +
                 std::to_string(want) + " +- " + std::to_string(tol);
      const GpuTarget& gpu = state.gpu();
      if (compute_peak_for(c_, gpu.info.cc_major, gpu.info.cc_minor).empty())
        state.parameters()["note"] = "no datasheet peak for this instruction on this GPU (emulated)";
      return {};
    }

   private:
    const ComputeCase& c_;
    int grid_;
    DeviceBuffer<float> out_;
  };
  std::unique_ptr<GpuStreamCase::Body> setup(CaseState& state, cudaStream_t s) const override {
    return std::make_unique<Body>(c_, compute_grid(c_, state.gpu().info.sm_count), s);
  }

 private:
  ComputeCase c_;
};

}  // namespace

CaseList compute_gpu_cases() {
  CaseList cases;
  for (const ComputeCase& c : compute_cases()) cases.push_back(std::make_unique<PeakCase>(c));
  return cases;
}

}  // namespace gpuscale::bench
