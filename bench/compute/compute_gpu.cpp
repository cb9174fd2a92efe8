// GPU compute family: peak FMA (FFMA, DFMA, HFMA2 FP16/BF16), tensor-core mma.sync (FP16, BF16,
// TF32, INT8, FP8 E4M3/E5M2) and sm_90a wgmma (BF16, FP16, FP8 E4M3) kernels from
// kernels/compute. TFLOPS (TOPS for INT8) come from the declared FLOP and the samples; % of the
// datasheet peak and the clock-normalised efficiency (achieved / (datasheet rate per clock x the
// SM clock measured during the run)) are derived in core. Every thread's result is checked
// against the value the kernel must produce before any number is reported.
//
//   bench_compute --benchmark_filter=wgmma
#include <cmath>
#include <vector>

#include "compute/compute_cases.hpp"
#include "compute/register.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/measure.hpp"
#include "gpu/resources.hpp"
#include "harness/report.hpp"
#include "kernels/compute/fma_peak.hpp"
#include "kernels/compute/mma_peak.hpp"
#include "kernels/compute/wgmma_peak.hpp"

namespace gpuscale::bench {
namespace {

cudaError_t launch(const ComputeCase& c, int grid, float* out, cudaStream_t s) {
  using namespace gpuscale::kernels;
  switch (c.kernel) {
    case PeakKernel::fma: return launch_fma_peak(static_cast<FmaType>(c.type), grid, c.block, c.iterations, out, s);
    case PeakKernel::mma: return launch_mma_peak(static_cast<MmaType>(c.type), grid, c.block, c.iterations, out, s);
    case PeakKernel::wgmma:
      return launch_wgmma_peak(static_cast<WgmmaType>(c.type), grid, c.block, c.iterations, out, s);
  }
  return cudaErrorInvalidValue;
}

void bench_case(benchmark::State& state, ComputeCase c, SamplingPolicy policy) {
  const GpuContext& gpu = current_gpu();
  const int sms = gpu.props.multiProcessorCount;
  const int grid = compute_grid(c, sms);
  const long long threads = static_cast<long long>(grid) * c.block;
  BenchmarkEntry e = compute_entry(c, sms);
  e.gpu_index = gpu.device;
  guarded(state, e, [&] {
    if (auto why = compute_unsupported_reason(c, gpu.props.major, gpu.props.minor); !why.empty())
      return finish_skipped(state, std::move(e), why);
    Stream stream;
    DeviceBuffer<float> out(threads);
    GPUSCALE_CUDA_CHECK(cudaMemsetAsync(out.get(), 0xff, out.bytes(), stream.get()));  // NaN: unwritten shows
    GpuSampler sampler(stream, [&](cudaStream_t s) { GPUSCALE_CUDA_CHECK(launch(c, grid, out.get(), s)); }, policy);
    measure_gpu(state, e, sampler, policy);

    std::vector<float> host(threads);
    GPUSCALE_CUDA_CHECK(cudaMemcpy(host.data(), out.get(), out.bytes(), cudaMemcpyDeviceToHost));
    const double want = compute_expected(c, c.iterations);
    const double tol = compute_tolerance(c);
    for (long long i = 0; i < threads; ++i) {
      if (!(std::abs(host[i] - want) <= tol)) {
        return finish_error(state, std::move(e),
                            "validation failed: thread " + std::to_string(i) + " wrote " + std::to_string(host[i]) +
                                ", expected " + std::to_string(want) + " +- " + std::to_string(tol));
      }
    }
    e.work = compute_work(c, sms, gpu.props.major, gpu.props.minor);
    if (e.work.peak.empty()) e.parameters["note"] = "no datasheet peak for this instruction on this GPU (emulated)";
    finish_ok(state, std::move(e));
  });
}

}  // namespace

void register_gpu_compute_benchmarks(const Options& opt) {
  for (const ComputeCase& c : compute_cases())
    register_benchmark(c.id(), bench_case, c, opt.policy);
}

}  // namespace gpuscale::bench
