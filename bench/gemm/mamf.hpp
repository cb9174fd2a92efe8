// MAMF, maximum achievable matmul FLOPS: the best rate one GEMM shape reaches, found by searching
// M, N, K within a time budget, as Stas Bekman's mamf-finder does with PyTorch. Host-only: the
// search space and the order in which shapes are tried; the GPU side times each candidate briefly,
// reports its rate, and measures the winner properly at the end.
//
// Search: first a coarse grid (largest shapes first, so that a short budget still sees the big ones),
// then hill climbing from the best shape: try +-step in each of m, n, k, move to any better one,
// and halve the step once none is better, down to `min_step`. Every shape is a multiple of
// `min_step` inside the ranges and is tried at most once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gemm/shapes.hpp"

namespace gpuscale::bench::gemm {

struct MamfSpace {
  int64_t min = 0, max = 0;      // every dimension stays in [min, max]
  std::vector<int64_t> grid_mn;  // coarse values of m and n
  std::vector<int64_t> grid_k;   // coarse values of k
  int64_t first_step = 0;        // hill-climbing step to start with
  int64_t min_step = 0;          // every shape is a multiple of this
  double budget_s = 0;           // search time (the final measurement is extra)
  nlohmann::json to_json() const;
};

// quick: m, n in {4096, 8192, 16384}, k in {2048, 4096, 8192, 16384}, 5 s.
// full: m, n in 4096 .. 20480 step 4096, k in 1024 .. 16384 (powers of two), 60 s.
MamfSpace mamf_space(std::string_view suite);

// The largest m, n, k any candidate can have (buffers are sized for it).
GemmShape mamf_max_shape(const MamfSpace& s);

class MamfSearch {
 public:
  explicit MamfSearch(MamfSpace space);
  // The next shape to try, or nullopt once the search has converged.
  std::optional<GemmShape> next();
  // The rate measured for a shape next() returned (<= 0 when it could not run).
  void report(const GemmShape& s, double tflops);

  struct Result {
    GemmShape shape;
    double tflops = 0;
  };
  std::optional<Result> best() const;
  // The `n` fastest shapes tried, fastest first.
  std::vector<Result> top(std::size_t n) const;
  std::size_t tried() const { return results_.size(); }

 private:
  void queue_neighbours();
  MamfSpace space_;
  std::vector<GemmShape> pending_;  // next() takes from the back
  std::set<std::tuple<int64_t, int64_t, int64_t>> seen_;
  std::vector<Result> results_;
  int64_t step_;
  std::optional<GemmShape> climbed_from_;  // the best shape whose neighbours were queued last
};

}  // namespace gpuscale::bench::gemm
