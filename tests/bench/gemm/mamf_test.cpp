// The MAMF search order and convergence on synthetic rates.
#include "gemm/mamf.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <tuple>

namespace gpuscale::bench::gemm {
namespace {

TEST(GemmMamf, CoarseGridComesFirstLargestShapeFirst) {
  const MamfSpace space = mamf_space("quick");
  MamfSearch search(space);
  const auto first = search.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (GemmShape{16384, 16384, 16384}));
  std::set<std::tuple<int64_t, int64_t, int64_t>> grid;
  grid.insert({first->m, first->n, first->k});
  search.report(*first, 1);
  const std::size_t grid_size = space.grid_mn.size() * space.grid_mn.size() * space.grid_k.size();
  EXPECT_EQ(grid_size, 36u);
  double last_flops = gemm_flops(*first);
  for (std::size_t i = 1; i < grid_size; ++i) {
    const auto s = search.next();
    ASSERT_TRUE(s);
    EXPECT_LE(gemm_flops(*s), last_flops);
    last_flops = gemm_flops(*s);
    EXPECT_TRUE(grid.insert({s->m, s->n, s->k}).second);
    search.report(*s, 1);
  }
  EXPECT_EQ(search.tried(), 36u);
}

// A single-peaked rate surface: the search climbs from the best grid point to the peak.
TEST(GemmMamf, HillClimbingFindsThePeak) {
  const MamfSpace space = mamf_space("quick");
  const GemmShape peak{6912, 16384, 2048};
  auto rate = [&](const GemmShape& s) {
    return 1000.0 - std::abs(double(s.m - peak.m)) / 100 - std::abs(double(s.n - peak.n)) / 100 -
           std::abs(double(s.k - peak.k)) / 100;
  };
  MamfSearch search(space);
  std::set<std::tuple<int64_t, int64_t, int64_t>> seen;
  while (auto s = search.next()) {
    EXPECT_TRUE(seen.insert({s->m, s->n, s->k}).second) << "tried twice";
    for (int64_t v : {s->m, s->n, s->k}) {
      EXPECT_EQ(v % space.min_step, 0);
      EXPECT_GE(v, space.min);
      EXPECT_LE(v, space.max);
    }
    search.report(*s, rate(*s));
    ASSERT_LT(search.tried(), 200u);
  }
  ASSERT_TRUE(search.best());
  EXPECT_EQ(search.best()->shape, peak);
  EXPECT_DOUBLE_EQ(search.best()->tflops, 1000);
  const auto top = search.top(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].shape, peak);
  EXPECT_GE(top[0].tflops, top[1].tflops);
  EXPECT_GE(top[1].tflops, top[2].tflops);
}

TEST(GemmMamf, FailedShapesAreNeverTheBest) {
  MamfSearch search(mamf_space("quick"));
  const auto a = search.next();
  const auto b = search.next();
  search.report(*a, 0);  // could not run
  search.report(*b, 10);
  EXPECT_EQ(search.best()->shape, *b);
  EXPECT_EQ(search.top(5).size(), 1u);
}

TEST(GemmMamf, NothingRanEndsTheSearchAfterTheGrid) {
  MamfSearch search(mamf_space("quick"));
  int n = 0;
  while (auto s = search.next()) {
    search.report(*s, 0);
    ++n;
  }
  EXPECT_EQ(n, 36);
  EXPECT_FALSE(search.best());
}

TEST(GemmMamf, SpacesAndLargestShape) {
  const MamfSpace quick = mamf_space("quick"), full = mamf_space("full");
  EXPECT_DOUBLE_EQ(quick.budget_s, 5);
  EXPECT_GT(full.budget_s, quick.budget_s);
  EXPECT_EQ(mamf_max_shape(quick), (GemmShape{16384, 16384, 16384}));
  EXPECT_EQ(mamf_max_shape(full), (GemmShape{20480, 20480, 20480}));
  for (const MamfSpace& s : {quick, full}) {
    for (int64_t v : s.grid_mn) EXPECT_TRUE(v >= s.min && v <= s.max && v % s.min_step == 0);
    for (int64_t v : s.grid_k) EXPECT_TRUE(v >= s.min && v <= s.max && v % s.min_step == 0);
  }
  EXPECT_EQ(quick.to_json()["budget_s"], 5.0);
  MamfSpace bad = quick;
  bad.min_step = 0;
  EXPECT_THROW(MamfSearch{bad}, std::invalid_argument);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
