// Each fit on synthetic data with known coefficients.
#include "gpuscale/planner/fit.hpp"

#include <gtest/gtest.h>

#include "gpuscale/planner/synthetic_results.hpp"

using namespace gpuscale::planner;

TEST(Fit, AlphaBetaRecoversKnownCoefficients) {
  std::vector<XY> pts;
  for (double x = 1e3; x < 1e10; x *= 3) pts.push_back({x, 20e-6 + x / 150e9});
  const auto ab = fit_alpha_beta(pts);
  EXPECT_NEAR(ab.alpha_s, 20e-6, 1e-9);
  EXPECT_NEAR(ab.bandwidth_gbps, 150, 1e-6);
  EXPECT_LT(ab.fit.rms_rel_error, 1e-9);
  EXPECT_GT(ab.fit.holdout_points, 0);
  EXPECT_LT(ab.fit.holdout_rms_rel_error, 1e-9);
  EXPECT_EQ(ab.source.kind, "measured");
}

TEST(Fit, AlphaBetaWithNoiseStaysClose) {
  std::vector<XY> pts;
  double sign = 1;
  for (double x = 1e3; x < 1e10; x *= 2, sign = -sign)
    pts.push_back({x, (5e-6 + x / 2000e9) * (1 + 0.02 * sign)});
  const auto ab = fit_alpha_beta(pts);
  EXPECT_NEAR(ab.bandwidth_gbps, 2000, 2000 * 0.03);
  EXPECT_NEAR(ab.alpha_s, 5e-6, 5e-6 * 0.1);
  EXPECT_NEAR(ab.fit.rms_rel_error, 0.02, 0.005);
}

TEST(Fit, AlphaBetaRejectsBadInput) {
  EXPECT_THROW(fit_alpha_beta({{1, 1}}), std::invalid_argument);
  EXPECT_THROW(fit_alpha_beta({{1, 1}, {2, -1}}), std::invalid_argument);
}

TEST(Fit, GemmModelRecoversKnownCoefficients) {
  const auto truth = gpuscale::planner::synthetic::default_truth().gemm;
  std::vector<GemmPoint> pts;
  for (double m : {128.0, 512.0, 2048.0, 8192.0, 16384.0})
    for (double n : {256.0, 2048.0, 8192.0})
      for (double k : {64.0, 256.0, 1024.0, 8192.0}) pts.push_back({m, n, k, truth.time_s(m, n, k, 2)});
  GemmModel base = truth;
  base.efficiency = 0.5;
  base.k_half = 0;
  base.overhead_s = 0;
  const auto g = fit_gemm(pts, base, 2);
  EXPECT_NEAR(g.efficiency, 0.72, 0.01);
  EXPECT_EQ(g.k_half, 128);
  EXPECT_EQ(g.tile_m, 128);
  EXPECT_EQ(g.tile_n, 256);
  EXPECT_NEAR(g.overhead_s, 7e-6, 1e-12);
  EXPECT_LT(g.fit.rms_rel_error, 0.01);
  EXPECT_GT(g.fit.holdout_points, 5);
  EXPECT_LT(g.fit.holdout_rms_rel_error, 0.01);
}

TEST(Fit, GemmWaveQuantisationAndSkinnyShapes) {
  const auto g = gpuscale::planner::synthetic::default_truth().gemm;
  // 132 SMs, 128x256 tiles: 8192x8192 has 2048 tiles = 15.5 waves -> 16, so 97% wave use; a
  // 133-tile problem needs two waves for one extra tile.
  const double big = g.tflops(8192, 8192, 8192);
  const double rate = 989.4e12 * 0.72 * (2048.0 / (16 * 132)) * 8192 / (8192 + 128);
  const double flops = 2.0 * 8192 * 8192 * 8192;
  EXPECT_NEAR(big, flops / (7e-6 + flops / rate) / 1e12, 1e-6);
  EXPECT_NEAR(g.tflops(133 * 128, 256, 8192) / g.tflops(132 * 128, 256, 8192), 133.0 / 264, 0.03);
  // Skinny (LoRA-like) GEMMs are far from peak.
  EXPECT_LT(g.tflops(8192, 16, 4096), 0.1 * big);
}
