// What bench_gemm runs in each suite, with the benchmark ids and the parameters known before
// anything runs. Host-only, so the unit tests check the lists and ids without a GPU.
//
// Ids (axes in this order; fast_accum only for FP8, algo only when autotuned):
//   gemm/<precision>/m:M/n:N/k:K[/fast_accum:on|off][/algo:autotune]
//   gemm/<precision>/model:<model>/op:<op>/pass:<fwd|dx|dw>/tokens:T/m:M/n:N/k:K[/fast_accum:on|off]
//   gemm/mamf/precision:<precision>[/fast_accum:on|off]
// Precisions: fp32, tf32, fp16, bf16, fp8_e4m3. Without algo:autotune the GEMM runs cuBLASLt's
// first heuristic choice, as a framework calling cuBLASLt would.
//
// quick (default, about 30 s on an H200): square 1024, 4096, 8192 in BF16, FP16, TF32 and FP8 with
//   fast accumulation, FP8 without it at 8192; BF16 and FP8 8192 autotuned; the Llama-3 8B layer at
//   4096 tokens in BF16 (12 GEMMs); MAMF in BF16 and FP8 with a 5 s search each.
// full: square 256 .. 16384 (powers of two and 1.5x them) in every precision and both FP8 modes;
//   BF16 and FP8 autotuned at 2048 .. 16384; every model's layer at 2048 .. 16384 tokens in BF16 and
//   FP8 (fast accumulation in fwd, not in dx and dw: Transformer Engine's default recipe); MAMF in
//   BF16, FP16 and both FP8 modes with 60 s searches.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gemm/mamf.hpp"
#include "gemm/precision.hpp"
#include "gemm/shapes.hpp"
#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"

namespace gpuscale::bench::gemm {

inline constexpr int kAutotuneCandidates = 8;  // top-k heuristic algorithms an autotuned GEMM tries

struct GemmCase {
  Precision precision = Precision::bf16;
  bool fast_accum = false;  // FP8 only
  GemmShape shape;
  bool autotune = false;
  // Transformer shapes only (model empty for the square sweep).
  std::string model;
  std::string op;
  Pass pass = Pass::fwd;
  int64_t tokens = 0;
  int64_t in_features = 0, out_features = 0;

  BenchmarkId id() const;
  nlohmann::json parameters() const;
};

struct MamfCase {
  Precision precision = Precision::bf16;
  bool fast_accum = false;
  MamfSpace space;

  BenchmarkId id() const;
  nlohmann::json parameters() const;
};

struct Suite {
  std::vector<GemmCase> gemms;
  std::vector<MamfCase> mamf;
};
Suite gemm_suite(std::string_view suite);

// The work of one GEMM of `shape` in `p`: 2 m n k FLOP against the precision's tensor peak. A MAMF
// entry declares the work of the shape its search chose.
Work gemm_work(Precision p, const GemmShape& shape);

// The shape a MAMF search chose, as its entry records it once the search is done (m, n, k).
nlohmann::json mamf_shape_parameters(const GemmShape& shape);

// The GEMMs of one model layer at `tokens` tokens in `precision` (FP8: fast accumulation in fwd only).
std::vector<GemmCase> layer_cases(const ModelConfig& model, int64_t tokens, Precision precision);

// The GPU backend's cases for `suite` (CUDA builds only): every GEMM, then every MAMF search.
CaseList gemm_gpu_cases(const std::string& suite);
// The MAMF search behind `c`, when it is one (what it declares depends on the shape it chooses).
std::optional<MamfCase> mamf_of(const Case& c);

}  // namespace gpuscale::bench::gemm
