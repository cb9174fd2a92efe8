// bench_compute: what the silicon can do at its peak, through hand-written register-resident
// kernels: FP32/FP64/FP16x2/BF16x2 FMA, tensor-core mma.sync (FP16, BF16, TF32, INT8, FP8) and,
// on Hopper, sm_90a wgmma (BF16, FP16, FP8). Reports TFLOPS (TOPS for INT8), % of the datasheet
// peak and the clock-normalised efficiency.
//
//   bench_compute --benchmark_filter=wgmma
#include "compute/compute_cases.hpp"
#include "harness/bench_main.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/gpu_backend.hpp"
#endif

int main(int argc, char** argv) {
  using namespace gpuscale::bench;
  BinarySpec spec;
  spec.name = "bench_compute";
  spec.description =
      "Peak compute: register-resident FMA loops (FP32, FP64, FP16x2, BF16x2), tensor cores through\n"
      "mma.sync (FP16, BF16, TF32, INT8; FP8 E4M3/E5M2 on sm_89+) and wgmma on sm_90a (BF16, FP16,\n"
      "FP8 E4M3). TFLOPS (TOPS for INT8), % of the datasheet peak, and the clock-normalised\n"
      "efficiency: achieved / (datasheet rate per clock x SM clock measured during the run).\n"
      "Each thread's result is checked; a kernel the GPU cannot run is skipped with the reason.";
  spec.example = "bench_compute --benchmark_filter=wgmma --benchmark_format=json";
#ifdef GPUSCALE_WITH_CUDA
  spec.register_gpu = [](Registry& r) { r.add(compute_gpu_cases()); };
  spec.gpu = gpu_backend();
#endif
  return bench_main(argc, argv, spec);
}
