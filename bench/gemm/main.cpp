// bench_gemm: cuBLASLt GEMMs in FP32, TF32, FP16, BF16 and FP8 E4M3 (per-tensor scales, BF16 out,
// fast accumulation on and off) over a square sweep and the GEMMs of one transformer layer (forward,
// dX, dW) of Llama-2 7B/13B/70B and Llama-3 8B/70B, plus MAMF, the maximum achievable matmul FLOPS
// found by a time-boxed search over M, N, K. tflops = 2 m n k / median time.
//
//   bench_gemm --benchmark_filter='gemm/bf16/m:8192/.*' --gpuscale_progress
//   bench_gemm --suite=full --gpuscale_out=gemm.json
#include "harness/bench_main.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gemm/suite.hpp"
#include "gpu/gpu_backend.hpp"
#endif

int main(int argc, char** argv) {
  using namespace gpuscale::bench;
  BinarySpec spec;
  spec.name = "bench_gemm";
  spec.description =
      "cuBLASLt GEMMs: FP32, TF32, FP16, BF16 and FP8 E4M3 (per-tensor scales, BF16 output, fast\n"
      "accumulation on and off), all in the TN layout (A transposed, column-major), on random normal\n"
      "data rotated over at least 3x the L2. Shapes: square 1024/4096/8192 (256 .. 16384 with\n"
      "--suite=full) and one transformer layer's GEMMs (qkv, out, gate_up, down; fwd, dx, dw) of\n"
      "Llama-3 8B at 4096 tokens (every Llama-2 7B/13B/70B and Llama-3 8B/70B layer at 2048 .. 16384\n"
      "tokens with --suite=full). gemm/mamf/... searches M, N, K for the maximum achievable matmul\n"
      "FLOPS within a time budget (5 s, 60 s with --suite=full) and reports the best shape.\n"
      "Ids: gemm/<precision>/m:M/n:N/k:K[/fast_accum:on|off][/algo:autotune],\n"
      "     gemm/<precision>/model:<model>/op:<op>/pass:<pass>/tokens:T/m:M/n:N/k:K[/fast_accum:on|off],\n"
      "     gemm/mamf/precision:<precision>[/fast_accum:on|off].\n"
      "Each entry records cuBLASLt's algorithm (id, tile, stages, workspace); algo:autotune entries time\n"
      "the heuristic's top 8 and keep the fastest. Every output is checked against an FP64 reference\n"
      "after timing (all elements of small GEMMs, 16x16 sampled ones of large); a mismatch is an error.\n"
      "TFLOPS = 2 m n k / time; % of peak against the precision's dense tensor-core datasheet peak.";
  spec.example =
      "bench_gemm --benchmark_filter='gemm/(bf16|mamf)/.*' --gpuscale_progress --gpuscale_out=gemm.json";
#ifdef GPUSCALE_WITH_CUDA
  spec.register_gpu = [](Registry& r) { r.add(gemm::gemm_gpu_cases(r.suite())); };
  spec.gpu = gpu_backend();
#endif
  return bench_main(argc, argv, spec);
}
