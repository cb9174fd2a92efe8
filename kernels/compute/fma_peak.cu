// Peak FMA throughput of the CUDA cores (see fma_peak.hpp). The chains are independent so the
// scheduler can issue one FMA per cycle per SM sub-partition despite the FMA latency; the outer
// loop is unrolled 8x so the loop counter's instructions take ~3% of the issue slots (the FMA pipe
// and the issue rate are both one warp instruction per cycle per sub-partition).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/compute/fma_peak.hpp"

namespace gpuscale::kernels {
namespace {

template <typename T>
struct FmaOps;

template <>
struct FmaOps<float> {
  static __device__ __forceinline__ float make(float lo, float) { return lo; }
  static __device__ __forceinline__ float fma(float x, float a, float b) { return fmaf(x, a, b); }
  static __device__ __forceinline__ float sum(const float (&x)[kFmaChains]) {
    float s = 0;
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) s += x[c];
    return s;
  }
};

template <>
struct FmaOps<double> {
  static __device__ __forceinline__ double make(float lo, float) { return lo; }
  static __device__ __forceinline__ double fma(double x, double a, double b) { return ::fma(x, a, b); }
  static __device__ __forceinline__ float sum(const double (&x)[kFmaChains]) {
    double s = 0;
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) s += x[c];
    return static_cast<float>(s);
  }
};

template <>
struct FmaOps<__half2> {
  static __device__ __forceinline__ __half2 make(float lo, float hi) { return __floats2half2_rn(lo, hi); }
  static __device__ __forceinline__ __half2 fma(__half2 x, __half2 a, __half2 b) { return __hfma2(x, a, b); }
  static __device__ __forceinline__ float sum(const __half2 (&x)[kFmaChains]) {
    float s = 0;
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) s += __low2float(x[c]) + __high2float(x[c]);
    return s;
  }
};

template <>
struct FmaOps<__nv_bfloat162> {
  static __device__ __forceinline__ __nv_bfloat162 make(float lo, float hi) {
    return __floats2bfloat162_rn(lo, hi);
  }
  static __device__ __forceinline__ __nv_bfloat162 fma(__nv_bfloat162 x, __nv_bfloat162 a, __nv_bfloat162 b) {
    return __hfma2(x, a, b);
  }
  static __device__ __forceinline__ float sum(const __nv_bfloat162 (&x)[kFmaChains]) {
    float s = 0;
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) s += __low2float(x[c]) + __high2float(x[c]);
    return s;
  }
};

// a and b are kernel arguments, not constants, so the compiler cannot fold the chains.
template <typename T>
__global__ void __launch_bounds__(kFmaMaxBlock)
    fma_peak(std::int64_t iterations, float a, float b, float* __restrict__ out) {
  using Ops = FmaOps<T>;
  T x[kFmaChains];
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c)
    x[c] = Ops::make(c / float(kFmaChains), (c + 0.5f) / float(kFmaChains));  // = fma_chain_start(c, 0|1)
  const T va = Ops::make(a, a), vb = Ops::make(b, b);
#pragma unroll 8
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) x[c] = Ops::fma(x[c], va, vb);
  }
  out[static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x] = Ops::sum(x);
}

}  // namespace

cudaError_t launch_fma_peak(FmaType type, int grid, int block, std::int64_t iterations, float* out,
                            cudaStream_t stream) {
  if (grid <= 0 || block <= 0 || block > kFmaMaxBlock || iterations < 0 || !out) return cudaErrorInvalidValue;
  const float a = static_cast<float>(kFmaA), b = static_cast<float>(kFmaB);
  switch (type) {
    case FmaType::fp32:
      fma_peak<float><<<grid, block, 0, stream>>>(iterations, a, b, out);
      break;
    case FmaType::fp64:
      fma_peak<double><<<grid, block, 0, stream>>>(iterations, a, b, out);
      break;
    case FmaType::fp16x2:
      fma_peak<__half2><<<grid, block, 0, stream>>>(iterations, a, b, out);
      break;
    case FmaType::bf16x2:
      fma_peak<__nv_bfloat162><<<grid, block, 0, stream>>>(iterations, a, b, out);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace gpuscale::kernels
