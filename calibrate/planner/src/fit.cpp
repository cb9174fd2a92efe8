// Least-squares fits for the profile's α-β and GEMM models.
#include "gpuscale/planner/fit.hpp"

#include <cmath>
#include <stdexcept>

namespace gpuscale::planner {
namespace {

bool held_out(std::size_t i) {
  return i % 5 == 2;
}

template <class P, class Pred>
void quality(const std::vector<P>& pts, Pred pred, FitQuality& q) {
  double ss = 0, mx = 0;
  for (const auto& p : pts) {
    const double e = pred(p) / p.t - 1;
    ss += e * e;
    mx = std::max(mx, std::abs(e));
  }
  q.points = static_cast<int>(pts.size());
  q.rms_rel_error = pts.empty() ? 0 : std::sqrt(ss / pts.size());
  q.max_rel_error = mx;
}

template <class P, class Fit, class Pred>
void holdout(const std::vector<P>& pts, std::size_t min_points, Fit fit, Pred pred, FitQuality& q) {
  std::vector<P> train, test;
  for (std::size_t i = 0; i < pts.size(); ++i) (held_out(i) ? test : train).push_back(pts[i]);
  if (pts.size() < min_points || test.empty()) return;
  const auto model = fit(train);
  double ss = 0;
  for (const auto& p : test) {
    const double e = pred(model, p) / p.t - 1;
    ss += e * e;
  }
  q.holdout_points = static_cast<int>(test.size());
  q.holdout_rms_rel_error = std::sqrt(ss / test.size());
}

AlphaBeta solve_alpha_beta(const std::vector<XY>& pts) {
  // Minimise sum ((alpha + x_i * b) / t_i - 1)^2 with b = 1/bandwidth: 2x2 normal equations.
  double s11 = 0, s12 = 0, s22 = 0, r1 = 0, r2 = 0;
  for (const auto& p : pts) {
    const double a1 = 1 / p.t, a2 = p.x / p.t;
    s11 += a1 * a1;
    s12 += a1 * a2;
    s22 += a2 * a2;
    r1 += a1;
    r2 += a2;
  }
  const double det = s11 * s22 - s12 * s12;
  double alpha = det != 0 ? (r1 * s22 - r2 * s12) / det : 0;
  double b = det != 0 ? (s11 * r2 - s12 * r1) / det : 0;
  if (alpha < 0 || det == 0) {  // latency cannot be negative: refit through the origin
    alpha = 0;
    b = r2 / s22;
  }
  if (b <= 0) {  // flat times: all latency, bandwidth from the largest point
    double xmax = 0, tmax = 0;
    for (const auto& p : pts)
      if (p.x > xmax) xmax = p.x, tmax = p.t;
    b = tmax / xmax;
  }
  AlphaBeta ab;
  ab.alpha_s = alpha;
  ab.bandwidth_gbps = 1 / b / 1e9;
  return ab;
}

double log_loss(const GemmModel& m, const std::vector<GemmPoint>& pts, double eb) {
  double s = 0;
  for (const auto& p : pts) {
    const double l = std::log(m.time_s(p.m, p.n, p.k, eb) / p.t);
    s += l * l;
  }
  return s;
}

// Golden-section search of efficiency in [lo, hi] for fixed other parameters.
double best_efficiency(GemmModel& m, const std::vector<GemmPoint>& pts, double eb) {
  double lo = 0.02, hi = 1.3;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
  m.efficiency = a;
  double fa = log_loss(m, pts, eb);
  m.efficiency = b;
  double fb = log_loss(m, pts, eb);
  for (int i = 0; i < 30; ++i) {
    if (fa < fb) {
      hi = b, b = a, fb = fa, a = hi - g * (hi - lo);
      m.efficiency = a;
      fa = log_loss(m, pts, eb);
    } else {
      lo = a, a = b, fa = fb, b = lo + g * (hi - lo);
      m.efficiency = b;
      fb = log_loss(m, pts, eb);
    }
  }
  m.efficiency = (lo + hi) / 2;
  return log_loss(m, pts, eb);
}

GemmModel solve_gemm(const std::vector<GemmPoint>& pts, const GemmModel& base, double eb) {
  static const int tiles[][2] = {{128, 128}, {128, 256}, {256, 128}, {64, 128}};
  static const double k_halves[] = {0, 16, 32, 64, 128, 256};
  static const double overheads[] = {0, 2e-6, 4e-6, 7e-6, 12e-6, 20e-6, 35e-6};
  GemmModel best = base;
  double best_loss = INFINITY;
  for (const auto& tile : tiles)
    for (double kh : k_halves)
      for (double o : overheads) {
        GemmModel m = base;
        m.tile_m = tile[0];
        m.tile_n = tile[1];
        m.k_half = kh;
        m.overhead_s = o;
        const double loss = best_efficiency(m, pts, eb);
        if (loss < best_loss) best_loss = loss, best = m;
      }
  return best;
}

}  // namespace

AlphaBeta fit_alpha_beta(const std::vector<XY>& points) {
  if (points.size() < 2) throw std::invalid_argument("an alpha-beta fit needs at least 2 sizes");
  for (const auto& p : points)
    if (!(p.x > 0) || !(p.t > 0))
      throw std::invalid_argument("alpha-beta fit: sizes and times must be positive");
  AlphaBeta ab = solve_alpha_beta(points);
  auto pred = [](const AlphaBeta& m, const XY& p) { return m.time_s(p.x); };
  quality(
      points, [&](const XY& p) { return pred(ab, p); }, ab.fit);
  holdout(points, 6, solve_alpha_beta, pred, ab.fit);
  ab.source.kind = "measured";
  return ab;
}

GemmModel fit_gemm(const std::vector<GemmPoint>& points, const GemmModel& base, double elem_bytes) {
  if (points.size() < 3) throw std::invalid_argument("a GEMM fit needs at least 3 shapes");
  for (const auto& p : points)
    if (!(p.m > 0 && p.n > 0 && p.k > 0 && p.t > 0))
      throw std::invalid_argument("GEMM fit: shapes and times must be positive");
  auto fit = [&](const std::vector<GemmPoint>& pts) { return solve_gemm(pts, base, elem_bytes); };
  auto pred = [&](const GemmModel& m, const GemmPoint& p) { return m.time_s(p.m, p.n, p.k, elem_bytes); };
  GemmModel g = fit(points);
  g.fit = {};
  quality(
      points, [&](const GemmPoint& p) { return pred(g, p); }, g.fit);
  holdout(points, 10, fit, pred, g.fit);
  g.source.kind = "measured";
  return g;
}

}  // namespace gpuscale::planner
