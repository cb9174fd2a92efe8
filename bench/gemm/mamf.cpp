#include "gemm/mamf.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpuscale::bench::gemm {

nlohmann::json MamfSpace::to_json() const {
  return {{"min", min},
          {"max", max},
          {"grid_mn", grid_mn},
          {"grid_k", grid_k},
          {"first_step", first_step},
          {"min_step", min_step},
          {"budget_s", budget_s}};
}

MamfSpace mamf_space(std::string_view suite) {
  MamfSpace s;
  if (suite == "full") {
    s.min = 1024;
    s.max = 20480;
    s.grid_mn = {4096, 8192, 12288, 16384, 20480};
    s.grid_k = {1024, 2048, 4096, 8192, 16384};
    s.first_step = 2048;
    s.min_step = 128;
    s.budget_s = 60;
  } else {
    s.min = 1024;
    s.max = 16384;
    s.grid_mn = {4096, 8192, 16384};
    s.grid_k = {2048, 4096, 8192, 16384};
    s.first_step = 2048;
    s.min_step = 256;
    s.budget_s = 5;
  }
  return s;
}

GemmShape mamf_max_shape(const MamfSpace& s) {
  return {s.max, s.max, s.max};
}

MamfSearch::MamfSearch(MamfSpace space) : space_(std::move(space)), step_(space_.first_step) {
  if (space_.min_step <= 0 || space_.min < space_.min_step || space_.max < space_.min ||
      step_ < space_.min_step)
    throw std::invalid_argument("MamfSearch: inconsistent search space");
  for (int64_t m : space_.grid_mn)
    for (int64_t n : space_.grid_mn)
      for (int64_t k : space_.grid_k) pending_.push_back({m, n, k});
  // next() pops from the back: the largest shapes come out first.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const GemmShape& a, const GemmShape& b) { return gemm_flops(a) < gemm_flops(b); });
}

std::optional<GemmShape> MamfSearch::next() {
  for (;;) {
    while (!pending_.empty()) {
      const GemmShape s = pending_.back();
      pending_.pop_back();
      if (seen_.insert({s.m, s.n, s.k}).second) return s;
    }
    const auto b = best();
    if (!b) return std::nullopt;  // nothing ran
    if (climbed_from_ && *climbed_from_ == b->shape) {
      // No neighbour at this step beat the best: refine.
      if (step_ / 2 < space_.min_step) return std::nullopt;
      step_ /= 2;
    }
    climbed_from_ = b->shape;
    queue_neighbours();
  }
}

void MamfSearch::queue_neighbours() {
  const GemmShape c = *climbed_from_;
  auto clamp = [&](int64_t v) {
    v = std::clamp(v, space_.min, space_.max);
    return v / space_.min_step * space_.min_step;
  };
  for (int d = 0; d < 3; ++d)
    for (int64_t sign : {-1, +1}) {
      GemmShape s = c;
      int64_t& v = d == 0 ? s.m : d == 1 ? s.n : s.k;
      v = clamp(v + sign * step_);
      pending_.push_back(s);
    }
}

void MamfSearch::report(const GemmShape& s, double tflops) {
  results_.push_back({s, tflops});
}

std::optional<MamfSearch::Result> MamfSearch::best() const {
  std::optional<Result> b;
  for (const auto& r : results_)
    if (r.tflops > 0 && (!b || r.tflops > b->tflops)) b = r;
  return b;
}

std::vector<MamfSearch::Result> MamfSearch::top(std::size_t n) const {
  std::vector<Result> r;
  for (const auto& x : results_)
    if (x.tflops > 0) r.push_back(x);
  std::stable_sort(r.begin(), r.end(), [](const Result& a, const Result& b) { return a.tflops > b.tflops; });
  if (r.size() > n) r.resize(n);
  return r;
}

}  // namespace gpuscale::bench::gemm
