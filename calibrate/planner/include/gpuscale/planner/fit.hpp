// Fits of measured times to the profile's models, with their error and a held-out check.
//
//   fit_alpha_beta: t = alpha + x / bandwidth, least squares on the relative error (weights 1/t),
//                   alpha >= 0.
//   fit_gemm:       the GemmModel of profile.hpp; tile shape, k_half and overhead on a grid,
//                   efficiency by golden-section search, minimising the squared log error.
// Held-out check: every fifth point (from the third) is left out of a second fit that predicts it;
// its RMS relative error is reported beside the in-sample one. The returned coefficients come from
// all points.
#pragma once

#include <vector>

#include "gpuscale/planner/profile.hpp"

namespace gpuscale::planner {

struct XY {
  double x = 0;  // bytes
  double t = 0;  // seconds
};

// Throws std::invalid_argument with fewer than 2 points or non-positive values.
AlphaBeta fit_alpha_beta(const std::vector<XY>& points);

struct GemmPoint {
  double m = 0, n = 0, k = 0;
  double t = 0;  // seconds
};

// `base` supplies peak_tflops, sm_count and bandwidth_gbps; the fit sets efficiency, k_half, tile,
// overhead and fit quality. Throws std::invalid_argument with fewer than 3 points.
GemmModel fit_gemm(const std::vector<GemmPoint>& points, const GemmModel& base, double elem_bytes);

}  // namespace gpuscale::planner
