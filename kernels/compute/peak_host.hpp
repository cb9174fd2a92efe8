// Host side of the compute peak kernels (no CUDA): the type tables, the FLOP count of a launch and
// the value every thread must write, so the harness checks a run and tests check the formulas on
// machines without a GPU.
//
// How each kernel keeps its result exact and checkable (details at each section):
// - fma_peak: every chain iterates x <- a*x + b with a = b = 1/2, which contracts towards 1.
// - mma_peak / wgmma_peak: A = 1, and B alternates between +1 and -1, so each accumulator goes
//   0, k, 0, k, ... and ends at k (odd iteration count) or 0 (even). The values never grow, so
//   they stay exact whatever the precision of the tensor cores' internal accumulation (Hopper's
//   FP8 path keeps fewer bits than FP32), at any iteration count. Use odd counts: then a kernel
//   that skipped its work cannot pass.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace gpuscale::kernels {

// ---------------------------------------------------------------------------------------------
// FMA peak: per thread kFmaChains independent chains, `iterations` FMA instructions per chain.
// Chain c (lane l of a packed pair) starts at x0 = (c + l/2) / kFmaChains and ends at
//   x = 1 + (x0 - 1) * 2^-iterations           (exact arithmetic; the hardware rounds each step,
//                                              which the tolerance covers: the error contracts too)
// Each thread writes the sum of all chains (and both lanes) as a float.
enum class FmaType { fp32, fp64, fp16x2, bf16x2 };

struct FmaTypeInfo {
  FmaType type;
  std::string_view name;
  int lanes;                  // values per register: 2 for the packed x2 types
  int flops_per_instruction;  // 2 per lane: a multiply and an add
  int mantissa_bits;          // significand bits including the implicit one
};

inline constexpr std::array<FmaTypeInfo, 4> kFmaTypes = {{
    {FmaType::fp32, "fp32", 1, 2, 24},      // FFMA
    {FmaType::fp64, "fp64", 1, 2, 53},      // DFMA
    {FmaType::fp16x2, "fp16x2", 2, 4, 11},  // HFMA2
    {FmaType::bf16x2, "bf16x2", 2, 4, 8},   // HFMA2.BF16
}};

inline constexpr int kFmaChains = 16;  // independent accumulators per thread
inline constexpr double kFmaA = 0.5;   // x <- kFmaA * x + kFmaB
inline constexpr double kFmaB = 0.5;

constexpr const FmaTypeInfo& fma_type_info(FmaType t) {
  return kFmaTypes[static_cast<int>(t)];
}

// FLOP of one launch: threads x iterations x chains x FLOP per instruction.
constexpr double fma_peak_flops(FmaType t, std::int64_t threads, std::int64_t iterations) {
  return static_cast<double>(threads) * static_cast<double>(iterations) * kFmaChains *
         fma_type_info(t).flops_per_instruction;
}

constexpr double fma_chain_start(int chain, int lane) {
  return (chain + 0.5 * lane) / kFmaChains;
}

// The value each thread writes.
inline double fma_peak_expected(FmaType t, std::int64_t iterations) {
  const double shrink = std::ldexp(1.0, -static_cast<int>(iterations < 2000 ? iterations : 2000));
  double sum = 0;
  for (int c = 0; c < kFmaChains; ++c)
    for (int l = 0; l < fma_type_info(t).lanes; ++l) sum += 1.0 + (fma_chain_start(c, l) - 1.0) * shrink;
  return sum;
}

// |written - expected| allowed: 2 units in the last place of 1.0 per chain (each rounding error
// is halved by the next step, so they sum to at most 2 ulp), plus the float sum of the chains.
inline double fma_peak_tolerance(FmaType t) {
  const auto& i = fma_type_info(t);
  const double ulp = std::ldexp(1.0, 1 - i.mantissa_bits);
  return kFmaChains * i.lanes * (2.0 * ulp + std::ldexp(1.0, -20));
}

// ---------------------------------------------------------------------------------------------
// mma.sync peak: per warp kMmaAccumulators independent m16n8 accumulators (4 registers per thread
// each), `iterations` mma instructions per accumulator.
enum class MmaType { fp16, bf16, tf32, int8, fp8_e4m3, fp8_e5m2 };

struct MmaTypeInfo {
  MmaType type;
  std::string_view name;
  int m, n, k;
  int min_cc;            // 10 * major + minor
  std::string_view ptx;  // the instruction the kernel issues
};

inline constexpr std::array<MmaTypeInfo, 6> kMmaTypes = {{
    {MmaType::fp16, "fp16", 16, 8, 16, 80, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"},
    {MmaType::bf16, "bf16", 16, 8, 16, 80, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"},
    {MmaType::tf32, "tf32", 16, 8, 8, 80, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"},
    {MmaType::int8, "int8", 16, 8, 32, 80, "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"},
    {MmaType::fp8_e4m3, "fp8_e4m3", 16, 8, 32, 89, "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32"},
    {MmaType::fp8_e5m2, "fp8_e5m2", 16, 8, 32, 89, "mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32"},
}};

inline constexpr int kMmaAccumulators = 8;  // independent accumulators per warp
inline constexpr int kWarpSize = 32;

constexpr const MmaTypeInfo& mma_type_info(MmaType t) {
  return kMmaTypes[static_cast<int>(t)];
}

constexpr bool mma_supported(MmaType t, int cc_major, int cc_minor) {
  return 10 * cc_major + cc_minor >= mma_type_info(t).min_cc;
}
constexpr bool fp8_mma_supported(int cc_major, int cc_minor) {
  return mma_supported(MmaType::fp8_e4m3, cc_major, cc_minor);
}

// FLOP of one launch: warps x iterations x accumulators x 2mnk.
constexpr double mma_peak_flops(MmaType t, std::int64_t warps, std::int64_t iterations) {
  const auto& i = mma_type_info(t);
  return static_cast<double>(warps) * static_cast<double>(iterations) * kMmaAccumulators * 2.0 * i.m * i.n *
         i.k;
}

// The value each thread writes: the sum of its accumulator registers (k or 0 each).
constexpr double mma_peak_expected(MmaType t, std::int64_t iterations) {
  const auto& i = mma_type_info(t);
  const int regs = i.m * i.n / kWarpSize;
  return iterations % 2 ? static_cast<double>(kMmaAccumulators) * regs * i.k : 0.0;
}

// ---------------------------------------------------------------------------------------------
// wgmma peak (sm_90a): each warpgroup (128 threads) issues `iterations` wgmma.mma_async into one
// 64x256 FP32 accumulator (128 registers per thread), A and B read from shared memory.
enum class WgmmaType { bf16, fp16, fp8_e4m3 };

struct WgmmaTypeInfo {
  WgmmaType type;
  std::string_view name;
  int m, n, k;
  std::string_view ptx;
};

inline constexpr std::array<WgmmaTypeInfo, 3> kWgmmaTypes = {{
    {WgmmaType::bf16, "bf16", 64, 256, 16, "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16"},
    {WgmmaType::fp16, "fp16", 64, 256, 16, "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16"},
    {WgmmaType::fp8_e4m3, "fp8_e4m3", 64, 256, 32, "wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3"},
}};

inline constexpr int kWarpgroupThreads = 128;
inline constexpr int kWgmmaMaxBlock = 384;  // 3 warpgroups: the most whose 128 accumulators fit

constexpr const WgmmaTypeInfo& wgmma_type_info(WgmmaType t) {
  return kWgmmaTypes[static_cast<int>(t)];
}

// wgmma exists on sm_90a only: Hopper (9.0). Blackwell (10.x) has tcgen05 instead.
constexpr bool wgmma_supported(int cc_major, int cc_minor) {
  return cc_major == 9 && cc_minor == 0;
}

// FLOP of one launch: warpgroups x iterations x 2mnk.
constexpr double wgmma_peak_flops(WgmmaType t, std::int64_t warpgroups, std::int64_t iterations) {
  const auto& i = wgmma_type_info(t);
  return static_cast<double>(warpgroups) * static_cast<double>(iterations) * 2.0 * i.m * i.n * i.k;
}

// The value each thread writes: the sum of its 128 accumulator registers (k or 0 each).
constexpr double wgmma_peak_expected(WgmmaType t, std::int64_t iterations) {
  const auto& i = wgmma_type_info(t);
  const int regs = i.m * i.n / kWarpgroupThreads;
  return iterations % 2 ? static_cast<double>(regs) * i.k : 0.0;
}

}  // namespace gpuscale::kernels
