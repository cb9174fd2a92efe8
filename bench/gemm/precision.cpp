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

constexpr PrecisionInfo kTable[] = {
    // precision, name, peak, input type, output type, compute type, input bytes, output bytes,
    // minimum compute capability, why skipped below it, input scale, u_out, u_in, u_acc
    {Precision::fp32, "fp32", "fp32", "fp32", "fp32", "32F", 4, 4, 0, "", 1, kU24, 0, kU24},
    {Precision::tf32, "tf32", "tf32_tensor", "fp32", "fp32", "32F_FAST_TF32", 4, 4, 80, "TF32 needs sm_80+", 1,
     kU24, kU10, kU24},
    {Precision::fp16, "fp16", "fp16_tensor", "fp16", "fp16", "32F", 2, 2, 70, "FP16 tensor cores need sm_70+", 1,
     kU11, 0, kU24},
    {Precision::bf16, "bf16", "bf16_tensor", "bf16", "bf16", "32F", 2, 2, 80, "BF16 needs sm_80+", 1, kU8, 0,
     kU24},
    {Precision::fp8_e4m3, "fp8_e4m3", "fp8_tensor", "e4m3", "bf16", "32F", 1, 2, 89, "FP8 needs sm_89+",
     kFp8InputScale, kU8, 0, kU13},
};

}  // namespace

std::span<const PrecisionInfo> precisions() { return kTable; }

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

double Tolerance::bound(double ref, double rw) const { return rel_ref * std::abs(ref) + rel_rw * rw; }

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
