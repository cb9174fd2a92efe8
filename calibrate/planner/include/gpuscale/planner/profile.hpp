// A GPU profile: the coefficients the planner reads, each with where it came from.
//
//   GEMM (per precision)    t(M,N,K) = t0 + max( 2MNK / (peak * eff * waves(M,N) * K/(K+k_half)),
//                                                bytes(M,N,K) / bandwidth )
//       waves(M,N) = tiles / (ceil(tiles / SMs) * SMs), tiles = ceil(M/tile_m) * ceil(N/tile_n):
//       the fraction of the last wave of output tiles that keeps every SM busy.
//   Memory (per access)     t(bytes moved) = alpha + bytes / bandwidth   (read + write counted)
//   Collective (per op, ranks)  t(buffer bytes) = alpha + bytes / algbw;  busbw = algbw * factor
//   Transfer (per direction)    t(bytes) = alpha + bytes / bandwidth
//
// A profile is `measured` (fitted by `gpuscale calibrate` from results documents, with run ids) or
// `datasheet` (built in: spec-table peaks times published achieved fractions, each cited).
// JSON: results/schema/profile.schema.json (schema_version 1).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gpuscale/core/spec_table.hpp"

namespace gpuscale::planner {

inline constexpr int kProfileSchemaVersion = 1;

struct Source {
  std::string kind;                  // "measured" | "datasheet" | "assumed"
  std::vector<std::string> run_ids;  // measured: the runs the coefficient was fitted from
  std::string citation;              // datasheet / assumed: the document or the reasoning
};

struct FitQuality {
  int points = 0;
  double rms_rel_error = 0;  // sqrt(mean((pred/meas - 1)^2)) over the fitted points
  double max_rel_error = 0;
  int holdout_points = 0;  // points left out of a second fit and predicted by it
  double holdout_rms_rel_error = 0;
};

struct GemmModel {
  double peak_tflops = 0;   // datasheet dense peak of this precision
  double efficiency = 0.8;  // fraction of peak a large, well-tiled GEMM reaches
  double k_half = 64;       // K at which the main loop reaches half its efficiency
  int tile_m = 128, tile_n = 256;
  int sm_count = 0;
  double overhead_s = 5e-6;   // fixed cost per GEMM: launch, prologue, epilogue
  double bandwidth_gbps = 0;  // HBM bandwidth for the operand traffic
  FitQuality fit;
  Source source;

  // Seconds for C[M,N] = A[M,K] B[K,N] with `elem_bytes` per operand element.
  double time_s(double m, double n, double k, double elem_bytes = 2) const;
  double tflops(double m, double n, double k, double elem_bytes = 2) const {
    return 2 * m * n * k / time_s(m, n, k, elem_bytes) / 1e12;
  }
};

struct AlphaBeta {
  double alpha_s = 0;         // fixed latency
  double bandwidth_gbps = 0;  // asymptotic bandwidth (bytes / s / 1e9)
  FitQuality fit;
  Source source;
  double time_s(double bytes) const { return alpha_s + bytes / (bandwidth_gbps * 1e9); }
};

struct CollectiveFit {
  std::string op;  // all_reduce, all_gather, reduce_scatter, broadcast, alltoall, sendrecv
  int ranks = 0;
  AlphaBeta ab;  // bandwidth_gbps is algbw: buffer bytes / time
  double busbw_gbps() const;
};

struct UsableMemory {
  std::uint64_t total_bytes = 0;
  std::uint64_t context_bytes = 0;        // taken by the CUDA context and library handles
  std::uint64_t largest_block_bytes = 0;  // largest single allocation known to succeed
  Source source;
  std::uint64_t usable_bytes() const { return total_bytes - context_bytes; }
};

struct Profile {
  std::string sku;   // spec-table key
  std::string name;  // marketing name
  std::string kind;  // "measured" | "datasheet"
  std::vector<std::string> run_ids;
  const GpuSpec* spec = nullptr;
  std::map<std::string, GemmModel> gemm;    // bf16, fp16, fp8_e4m3, tf32, fp32
  std::map<std::string, AlphaBeta> memory;  // read, write, copy, triad, ...
  double attention_efficiency = 0.5;        // fused (Flash) attention, fraction of bf16 peak
  Source attention_source;
  // Training end to end: the fraction of the kernel-level rate (the modelled kernels and the compute
  // slowed by overlapped collectives) that a training framework reaches, i.e. what the kernel model
  // does not see: host dispatch, launch gaps, synchronisation, the allocator, clocks under a mixed
  // load. From one published end-to-end run per architecture; a scenario can override it.
  double end_to_end_efficiency = 1.0;
  Source end_to_end_source;
  // Measured per framework (calibrate --end-to-end with a scenario that names its framework): a plan
  // of that framework on this profile uses it before the framework's built-in published value.
  struct FrameworkEfficiency {
    double efficiency = 1.0;
    Source source;
  };
  std::map<std::string, FrameworkEfficiency> framework_efficiency;
  std::vector<CollectiveFit> collectives;
  std::map<std::string, AlphaBeta> transfer;  // h2d, d2h
  UsableMemory usable;

  const GemmModel& gemm_for(const std::string& precision) const;  // falls back to bf16
  // Streaming bandwidth for an access pattern, at `bytes` moved (the small-size curve applied).
  double bandwidth_gbps(const std::string& op, double bytes = 1e12) const;
  double memory_time_s(const std::string& op, double bytes) const;
  // The α-β fit for `op` at `ranks` (nearest rank count at or above, else the largest).
  const CollectiveFit* collective(const std::string& op, int ranks) const;
};

// The built-in profile of a spec-table SKU (datasheet peaks x published achieved fractions).
Profile datasheet_profile(const GpuSpec& spec);

// The published end-to-end training runs the built-in end_to_end_efficiency values come from, so a
// test can check that each value still reproduces its run with the current kernel model.
// A value with framework "" is the profile's default for its architecture; one with a framework key
// (framework.hpp) applies to plans of that framework on that architecture.
struct EndToEndReference {
  const char* architecture;      // spec-table architecture the value applies to
  double efficiency;             // measured / kernel-level planned tokens/s
  double measured_tokens_per_s;  // per GPU, as published
  const char* validation_row;    // the run's row in a tests/data/*.csv validation file
  const char* citation;
  const char* framework = "";
};
// The built-in value for `framework` on `architecture`, or nullptr.
const EndToEndReference* find_end_to_end(std::string_view architecture, std::string_view framework = "");
std::span<const EndToEndReference> end_to_end_references();

nlohmann::json profile_to_json(const Profile& p);
// Throws InputError naming `where` and the field (including a schema_version mismatch).
Profile profile_from_json(const nlohmann::json& j, const std::string& where);
const nlohmann::json& profile_schema();

// `gpu` is a spec-table key ("h100-sxm-80gb"), a driver name ("NVIDIA H100 80GB HBM3") or a profile
// path; throws InputError naming `where` / `field` when it is none of these.
Profile resolve_gpu(const std::string& gpu, const std::string& where, const std::string& field);

// llm-analysis's GPUConfig JSON (gpu_configs/*.json); `efficiency` gets the four *_efficiency values
// llm-analysis takes as analysis arguments (flops, hbm, intra-node, inter-node).
nlohmann::json to_llm_analysis(const Profile& p, nlohmann::json* efficiency);

}  // namespace gpuscale::planner
