// The precisions bench_gemm measures and what each one means for cuBLASLt, the datasheet peak it
// is compared with, its input data, and how far its result may stray from an FP64 reference.
// Host-only: no CUDA header, so the host build and the unit tests see the same table.
//
// Every GEMM is D = alpha * op(A) * op(B) (+ beta * C, beta = 0) in cuBLAS's column-major terms,
// with the "TN" layout: A stored k x m and transposed, B stored k x n, D m x n. TN is the layout FP8
// requires, and the K-major operands are the fast case for every tensor-core precision.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gpuscale::bench::gemm {

enum class Precision {
  fp32,      // FP32 in/out, FP32 FFMA (CUBLAS_COMPUTE_32F)
  tf32,      // FP32 in/out, TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32)
  fp16,      // FP16 in/out, FP32 accumulate
  bf16,      // BF16 in/out, FP32 accumulate
  fp8_e4m3,  // FP8 E4M3 in with per-tensor scales, BF16 out, FP32 accumulate (fast accumulation optional)
};

struct PrecisionInfo {
  Precision precision;
  std::string_view name;         // id token: "bf16"
  std::string_view peak;         // spec-table peak: "bf16_tensor"
  std::string_view input_type;   // of A and B: "bf16", "e4m3"
  std::string_view output_type;  // of C and D
  std::string_view compute;      // cuBLAS compute type: "32F", "32F_FAST_TF32"
  int input_bytes;               // bytes per element of A and B
  int output_bytes;              // bytes per element of C and D
  int min_compute_capability;    // 89 = sm_89; below it the benchmark is skipped
  std::string_view min_cc_reason;
  double input_scale;  // inputs are normal(0,1) * input_scale; cuBLASLt scales by 1/input_scale
  // Rounding units that bound the error against an exact product (see tolerance()).
  double u_out;  // unit roundoff of the output type
  double u_in;   // rounding of the inputs inside the unit (TF32: 10-bit mantissa)
  double u_acc;  // unit roundoff of the accumulator
};

std::span<const PrecisionInfo> precisions();
const PrecisionInfo& info(Precision p);
std::optional<Precision> precision_from_name(std::string_view name);
inline std::string_view to_string(Precision p) {
  return info(p).name;
}

// "normal(0,1)" or "normal(0,1) x 32, scale 1/32": the data pattern a benchmark records.
std::string data_pattern(Precision p);

// How far a GEMM output element may be from the FP64 product of the same (already rounded) inputs.
//
//   |d - ref| <= 2 (u_out + u_in) |ref| + (2 u_out + 8 u_in + 8 u_acc sqrt(min(K, acc_block))) rw
//   rw = sqrt(sum_t (a_t b_t)^2)
//
// rw is the size of a random walk of the K products, the natural scale of the result (|ref| is
// about rw for random inputs, and can be near zero). The terms: rounding the result to the output
// type (relative to |ref|, and to rw for split-K partial sums rounded to the output type); TF32's
// input rounding inside the tensor core (truncation, so also a bias relative to |ref|); and the
// accumulator's rounding, which grows like sqrt of the number of additions it sees: K for FP32
// accumulators, K for FP8 with fast accumulation (no promotion to FP32), and only the promotion
// interval (acc_block = 128) for FP8 without it. The factors 2 and 8 are safety margins of several
// standard deviations; a wrong transposition or stale buffer is off by about rw, 100x above them.
struct Tolerance {
  double rel_ref;  // multiplies |ref|
  double rel_rw;   // multiplies rw
  double bound(double ref, double rw) const;
};
inline constexpr int64_t kFp8PromotionBlock = 128;
Tolerance tolerance(Precision p, int64_t k, bool fp8_fast_accum);

}  // namespace gpuscale::bench::gemm
