// Synthetic results documents generated from known coefficients (a Truth): the calibration tests
// check that fitting recovers them, and bench_planner times calibration on them. Every entry is
// computed from the model, never measured; nothing here is written to a results file.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "gpuscale/planner/profile.hpp"

namespace gpuscale::planner::synthetic {

struct Truth {
  GemmModel gemm;                                  // bf16
  double mem_alpha_s = 4e-6, mem_gbps = 3000;      // copy (read+write)
  double ar_alpha_s = 25e-6, ar_algbw_gbps = 180;  // all_reduce at 8 ranks
  double h2d_alpha_s = 12e-6, h2d_gbps = 50;
};

inline Truth default_truth() {
  Truth t;
  t.gemm.peak_tflops = 989.4;
  t.gemm.efficiency = 0.72;
  t.gemm.k_half = 128;
  t.gemm.tile_m = 128;
  t.gemm.tile_n = 256;
  t.gemm.sm_count = 132;
  t.gemm.overhead_s = 7e-6;
  t.gemm.bandwidth_gbps = 3000;
  return t;
}

inline nlohmann::json bench(const std::string& id, const std::string& family, nlohmann::json params, double t,
                            nlohmann::json metrics) {
  return {
      {"id", id},
      {"family", family},
      {"backend", "gpu"},
      {"parameters", params},
      {"status", "ok"},
      {"stats",
       {{"median_s", t}, {"min_s", t}, {"max_s", t}, {"mean_s", t}, {"stddev_s", 0}, {"cv", 0}, {"n", 5}}},
      {"metrics", metrics}};
}

// `noise` multiplies each time by 1 + noise * (a deterministic pseudo-random number in [-1, 1]).
inline nlohmann::json results_doc(const Truth& tr, const std::string& run_id, double noise = 0,
                                  const std::string& sku = "h100-sxm-80gb") {
  unsigned state = 12345;
  auto jitter = [&] {
    state = state * 1103515245u + 12345u;
    return 1 + noise * (((state >> 8) % 2001) / 1000.0 - 1);
  };
  nlohmann::json doc = {{"schema_version", 1},
                        {"run", {{"id", run_id}}},
                        {"gpus",
                         {{{"index", 0},
                           {"name", "NVIDIA H100 80GB HBM3"},
                           {"sku", sku},
                           {"memory_bytes", 85520809984LL},
                           {"memory_free_bytes", 84987740160LL}}}},
                        {"benchmarks", nlohmann::json::array()}};
  auto& b = doc["benchmarks"];
  for (double m : {256.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0})
    for (double n : {128.0, 1024.0, 4096.0, 8192.0})
      for (double k : {64.0, 512.0, 4096.0}) {
        const double t = tr.gemm.time_s(m, n, k, 2) * jitter();
        b.push_back(bench("gemm/bf16", "gemm", {{"precision", "bf16"}, {"m", m}, {"n", n}, {"k", k}}, t,
                          {{"tflops", 2 * m * n * k / t / 1e12}}));
      }
  for (double bytes = 1 << 16; bytes <= double(1ull << 32); bytes *= 4) {
    const double moved = 2 * bytes;
    const double t = (tr.mem_alpha_s + moved / (tr.mem_gbps * 1e9)) * jitter();
    b.push_back(bench("memory/copy", "memory", {{"op", "copy"}, {"bytes", bytes}, {"width_bytes", 16}}, t,
                      {{"bandwidth_gbps", moved / t / 1e9}}));
  }
  for (double bytes = 1 << 10; bytes <= double(1ull << 31); bytes *= 8) {
    const double t = (tr.ar_alpha_s + bytes / (tr.ar_algbw_gbps * 1e9)) * jitter();
    b.push_back(bench("collective/all_reduce", "collective",
                      {{"collective", "all_reduce"},
                       {"dtype", "bf16"},
                       {"bytes", bytes},
                       {"ranks", 8},
                       {"in_place", false}},
                      t, {{"algbw_gbps", bytes / t / 1e9}, {"busbw_gbps", bytes / t / 1e9 * 1.75}}));
    const double th = (tr.h2d_alpha_s + bytes / (tr.h2d_gbps * 1e9)) * jitter();
    b.push_back(
        bench("transfer/h2d", "transfer",
              {{"direction", "h2d"}, {"memory", "pinned"}, {"engine", "copy_engine"}, {"bytes", bytes}}, th,
              {{"bandwidth_gbps", bytes / th / 1e9}}));
  }
  return doc;
}

}  // namespace gpuscale::planner::synthetic
