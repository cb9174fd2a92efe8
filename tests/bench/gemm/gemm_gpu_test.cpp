// GPU tests of bench_gemm's device side (label gpu, skipped without a GPU): the random fill, each
// precision's cuBLASLt GEMM against FP64 on a fully checked and a sampled shape, and a planted
// wrong element being caught.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gemm/gemm_kernels.hpp"
#include "gemm/gemm_lt.hpp"
#include "gpu_test_util.hpp"

namespace gpuscale::bench::gemm {
namespace {

int compute_capability() {
  cudaDeviceProp p{};
  GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  return p.major * 10 + p.minor;
}

TEST(GemmGpu, FillIsStandardNormalAndNeverZero) {
  GPUSCALE_REQUIRE_GPU();
  Stream s;
  const std::size_t n = 1 << 20;
  DeviceBuffer<float> x(n);
  fill_normal(x.get(), CUDA_R_32F, n, 7, 1.0f, s.get());
  std::vector<float> h(n);
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(h.data(), x.get(), x.bytes(), cudaMemcpyDeviceToHost, s.get()));
  s.synchronize();
  double sum = 0, sq = 0;
  std::size_t zeros = 0, beyond_3 = 0;
  for (float v : h) {
    sum += v;
    sq += double(v) * v;
    zeros += v == 0;
    beyond_3 += std::abs(v) > 3;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0, 0.01);
  EXPECT_NEAR(var, 1, 0.01);
  EXPECT_EQ(zeros, 0u);
  EXPECT_NEAR(double(beyond_3) / n, 0.0027, 0.0005);  // two-sided 3-sigma tail of a normal
}

struct Case {
  Precision p;
  bool fast_accum;
};

void run_and_check(const Case& c, const GemmShape& shape, bool plant_error) {
  SCOPED_TRACE(std::string(to_string(c.p)) + (c.fast_accum ? " fast" : "") + " " + std::to_string(shape.m) +
               "x" + std::to_string(shape.n) + "x" + std::to_string(shape.k));
  if (compute_capability() < info(c.p).min_compute_capability) {
    std::printf("not checked: %s\n", std::string(info(c.p).min_cc_reason).c_str());
    return;
  }
  Stream s;
  LtHandle handle = make_handle();
  DeviceBuffer<unsigned char> ws(kWorkspaceBytes);
  DeviceBuffer<float> scales(2);
  const float dq = static_cast<float>(1 / info(c.p).input_scale);
  const float both[2] = {dq, dq};
  GPUSCALE_CUDA_CHECK(cudaMemcpy(scales.get(), both, sizeof both, cudaMemcpyHostToDevice));
  RotatingOperands ops(c.p, operand_bytes(c.p, shape), s.get());
  ASSERT_EQ(ops.configure(shape, 0), 1);
  LtGemm gemm(handle.get(), c.p, c.fast_accum, shape, scales.get(), scales.get() + 1);
  const auto algos = gemm.heuristics(1, kWorkspaceBytes);
  ASSERT_FALSE(algos.empty());
  EXPECT_TRUE(describe_algo(algos[0]).contains("algo_id"));
  gemm.run(algos[0].algo, ops.a(0), ops.b(0), ops.d(0), ws.get(), ws.bytes(), s.get());
  if (plant_error) {
    // D[0, 0] is in every check plan; a value off by far more than any rounding (FP32 outputs only).
    ASSERT_EQ(output_type(c.p), CUDA_R_32F);
    const float big = 1e4f;
    s.synchronize();
    GPUSCALE_CUDA_CHECK(cudaMemcpy(ops.d(0), &big, sizeof big, cudaMemcpyHostToDevice));
  }
  const ElementCheck check = validate_slot(ops, 0, c.p, c.fast_accum, shape, s.get());
  if (plant_error) {
    EXPECT_GE(check.bad, 1u);
    EXPECT_EQ(check.worst_row, 0);
    EXPECT_EQ(check.worst_col, 0);
  } else {
    EXPECT_EQ(check.bad, 0u) << check.describe();
    EXPECT_LT(check.worst_ratio, 1);
  }
}

const Case kCases[] = {{Precision::fp32, false}, {Precision::tf32, false},    {Precision::fp16, false},
                       {Precision::bf16, false}, {Precision::fp8_e4m3, true}, {Precision::fp8_e4m3, false}};

TEST(GemmGpu, EveryPrecisionMatchesFp64OnEveryElementOfASmallGemm) {
  GPUSCALE_REQUIRE_GPU();
  for (const Case& c : kCases) run_and_check(c, {256, 384, 512}, false);
}

TEST(GemmGpu, EveryPrecisionMatchesFp64OnSampledElementsOfALargeGemm) {
  GPUSCALE_REQUIRE_GPU();
  for (const Case& c : kCases) run_and_check(c, {2048, 1536, 4096}, false);
}

TEST(GemmGpu, APlantedWrongElementIsCaught) {
  GPUSCALE_REQUIRE_GPU();
  run_and_check({Precision::fp32, false}, {256, 256, 256}, true);
  run_and_check({Precision::tf32, false}, {1024, 1024, 1024}, true);
}

}  // namespace
}  // namespace gpuscale::bench::gemm
