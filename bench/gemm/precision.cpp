#include "gemm/precision.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gpuscale::bench::gemm {
namespace {

constexpr double kU8 = 0x1p-8;    // BF16: 8 significant bits
constexpr double kU10 = 0x1p-10;  // TF32 truncation: 10 stored mantissa bits
constexpr double kU11 = 0x1p-11;  // FP16: 11 significant bits
constexpr double kU13 = 0x1p-13;  // FP8 tensor-core accumulation keeps about 14 bits; one bit of margin
constexpr double kU24 = 0x1p-24;  // FP32

// FP8 inputs are normal(0,1) x 32: E4M3's largest finite value, 448, is 14 standard deviations out,
// and values near 1/32 still have normal (not subnormal) encodings.
constexpr double kFp8InputScale = 32;

// clang-format off
constexpr PrecisionInfo kTable[] = {
    {.precision = Precision::fp32, .name = "fp32", .peak = "fp32",
     .input_type = "fp32", .output_type = "fp32", .compute = "32F",
     .input_bytes = 4, .output_bytes = 4, .min_compute_capability = 0, .min_cc_reason = "",
     .input_scale = 1, .u_out = kU24, .u_in = 0, .u_acc = kU24},
    {.precision = Precision::tf32, .name = "tf32", .peak = "tf32_tensor",
     .input_type = "fp32", .output_type = "fp32", .compute = "32F_FAST_TF32",
     .input_bytes = 4, .output_bytes = 4, .min_compute_capability = 80, .min_cc_reason = "TF32 needs sm_80+",
     .input_scale = 1, .u_out = kU24, .u_in = kU10, .u_acc = kU24},
    {.precision = Precision::fp16, .name = "fp16", .peak = "fp16_tensor",
     .input_type = "fp16", .output_type = "fp16", .compute = "32F",
     .input_bytes = 2, .output_bytes = 2, .min_compute_capability = 70,
     .min_cc_reason = "FP16 tensor cores need sm_70+",
     .input_scale = 1, .u_out = kU11, .u_in = 0, .u_acc = kU24},
    {.precision = Precision::bf16, .name = "bf16", .peak = "bf16_tensor",
     .input_type = "bf16", .output_type = "bf16", .compute = "32F",
     .input_bytes = 2, .output_bytes = 2, .min_compute_capability = 80, .min_cc_reason = "BF16 needs sm_80+",
     .input_scale = 1, .u_out = kU8, .u_in = 0, .u_acc = kU24},
    {.precision = Precision::fp8_e4m3, .name = "fp8_e4m3", .peak = "fp8_tensor",
     .input_type = "e4m3", .output_type = "bf16", .compute = "32F",
     .input_bytes = 1, .output_bytes = 2, .min_compute_capability = 89, .min_cc_reason = "FP8 needs sm_89+",
     .input_scale = kFp8InputScale, .u_out = kU8, .u_in = 0, .u_acc = kU13},
};
// clang-format on

}  // namespace

std::span<const PrecisionInfo> precisions() {
  return kTable;
}

const PrecisionInfo& info(Precision p) {
  for (const auto& i : kTable)
    if (i.precision == p) return i;
  throw std::logic_error("unknown GEMM precision");
}

std::optional<Precision> precision_from_name(std::string_view name) {
  for (const auto& i : kTable)
    if (i.name == name) return i.precision;
  return std::nullopt;
}

std::string data_pattern(Precision p) {
  const double s = info(p).input_scale;
  if (s == 1) return "normal(0,1)";
  const std::string factor = std::to_string(static_cast<int>(s));
  return "normal(0,1) x " + factor + ", per-tensor scale 1/" + factor;
}

double Tolerance::bound(double ref, double rw) const {
  return rel_ref * std::abs(ref) + rel_rw * rw;
}

Tolerance tolerance(Precision p, int64_t k, bool fp8_fast_accum) {
  if (k < 1) throw std::invalid_argument("tolerance: K must be >= 1");
  const PrecisionInfo& i = info(p);
  int64_t additions = k;
  if (p == Precision::fp8_e4m3 && !fp8_fast_accum) additions = std::min<int64_t>(k, kFp8PromotionBlock);
  Tolerance t;
  t.rel_ref = 2 * (i.u_out + i.u_in);
  t.rel_rw = 2 * i.u_out + 8 * i.u_in + 8 * i.u_acc * std::sqrt(static_cast<double>(additions));
  return t;
}

}  // namespace gpuscale::bench::gemm
