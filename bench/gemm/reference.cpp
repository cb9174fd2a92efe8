#include "gemm/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <stdexcept>

namespace gpuscale::bench::gemm {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<int64_t> sample_indices(int64_t n, int count, uint64_t seed) {
  if (n < 1) throw std::invalid_argument("sample_indices: n must be >= 1");
  std::vector<int64_t> out;
  if (count >= n) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  std::set<int64_t> chosen = {0, n - 1};
  uint64_t state = seed;
  while (static_cast<int>(chosen.size()) < std::max(count, 2))
    chosen.insert(static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(n)));
  return {chosen.begin(), chosen.end()};
}

ReferencePlan reference_plan(const GemmShape& s, uint64_t seed) {
  ReferencePlan p;
  p.full =
      static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k) <= kFullReferenceMaxMnk;
  const int rows = p.full ? static_cast<int>(s.m) : kSampledRows;
  const int cols = p.full ? static_cast<int>(s.n) : kSampledCols;
  p.rows = sample_indices(s.m, rows, seed);
  p.cols = sample_indices(s.n, cols, seed ^ 0xbb67ae8584caa73bull);
  return p;
}

std::string ElementCheck::describe() const {
  if (bad == 0) return {};
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%zu of %zu elements out of tolerance; worst D[%lld,%lld] = %.6g, FP64 reference %.6g, "
                "allowed error %.3g (%.1fx over)",
                bad, checked, static_cast<long long>(worst_row), static_cast<long long>(worst_col), worst_got,
                worst_expected, worst_bound, worst_ratio);
  return buf;
}

ElementCheck check_elements(const ReferencePlan& plan, int64_t k, std::span<const float> a_rows,
                            std::span<const float> b_cols, std::span<const float> d, double ab_scale,
                            const Tolerance& tol) {
  const std::size_t nr = plan.rows.size(), nc = plan.cols.size(), kk = static_cast<std::size_t>(k);
  if (a_rows.size() != nr * kk || b_cols.size() != nc * kk || d.size() != nr * nc)
    throw std::invalid_argument("check_elements: array sizes do not match the plan");
  ElementCheck out;
  for (std::size_t c = 0; c < nc; ++c) {
    const float* b = b_cols.data() + c * kk;
    for (std::size_t r = 0; r < nr; ++r) {
      const float* a = a_rows.data() + r * kk;
      double sum = 0, sq = 0;
      for (std::size_t t = 0; t < kk; ++t) {
        const double p = static_cast<double>(a[t]) * static_cast<double>(b[t]);
        sum += p;
        sq += p * p;
      }
      const double ref = ab_scale * sum;
      const double rw = std::abs(ab_scale) * std::sqrt(sq);
      const double got = d[c * nr + r];
      // A zero bound (all-zero inputs) admits only an exact zero.
      const double bound = tol.bound(ref, rw);
      const double err = std::abs(got - ref);
      constexpr double kInf = std::numeric_limits<double>::infinity();
      const double ratio = !std::isfinite(got) ? kInf : bound > 0 ? err / bound : (err > 0 ? kInf : 0);
      ++out.checked;
      if (!(ratio <= 1)) ++out.bad;
      if (ratio > out.worst_ratio || out.worst_row < 0) {
        out.worst_ratio = ratio;
        out.worst_row = plan.rows[r];
        out.worst_col = plan.cols[c];
        out.worst_got = got;
        out.worst_expected = ref;
        out.worst_bound = bound;
      }
    }
  }
  return out;
}

OperandBytes operand_bytes(Precision p, const GemmShape& s) {
  const PrecisionInfo& i = info(p);
  auto round_up = [](uint64_t b) {
    return (b + kOperandAlignment - 1) / kOperandAlignment * kOperandAlignment;
  };
  const auto m = static_cast<uint64_t>(s.m), n = static_cast<uint64_t>(s.n), k = static_cast<uint64_t>(s.k);
  return {round_up(k * m * i.input_bytes), round_up(k * n * i.input_bytes), round_up(m * n * i.output_bytes)};
}

int rotation_slots(uint64_t slot_bytes, uint64_t l2_bytes, int factor) {
  if (slot_bytes == 0) throw std::invalid_argument("rotation_slots: empty slot");
  const uint64_t want = static_cast<uint64_t>(factor) * l2_bytes;
  return static_cast<int>(std::max<uint64_t>(1, (want + slot_bytes - 1) / slot_bytes));
}

}  // namespace gpuscale::bench::gemm
