#include "gpu/cuda_check.hpp"
#include "gpu/resources.hpp"
#include "gpu/verify.hpp"

namespace gpuscale::bench {
namespace {

__host__ __device__ inline float ramp_of(unsigned long long i) {
  return 1.0f + static_cast<float>(i % 1024ull) / 1024.0f;
}

__global__ void fill_kernel(float* x, unsigned long long n, bool ramp, float value) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x)
    x[i] = ramp ? ramp_of(i) : value;
}

struct MismatchDevice {
  unsigned long long count;
  unsigned long long first_index;
};

__global__ void compare_kernel(const float* x, unsigned long long n, bool ramp, float scale, float offset,
                               float tol, MismatchDevice* out) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x) {
    const float base = ramp ? ramp_of(i) : 1.0f;
    const float want = __fadd_rn(__fmul_rn(scale, base), offset);
    if (fabsf(x[i] - want) > tol * fabsf(want) || isnan(x[i])) {
      atomicAdd(&out->count, 1ull);
      atomicMin(&out->first_index, i);
    }
  }
}

constexpr int kBlock = 256;
int grid_for(std::size_t n) {
  int dev = 0, sms = 1;
  GPUSCALE_CUDA_CHECK(cudaGetDevice(&dev));
  GPUSCALE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const std::size_t needed = (n + kBlock - 1) / kBlock;
  return static_cast<int>(needed < static_cast<std::size_t>(sms) * 8 ? (needed ? needed : 1) : sms * 8);
}

}  // namespace

float ramp_value(std::size_t i) {
  return ramp_of(i);
}

std::string Mismatch::describe(const char* name) const {
  if (count == 0) return {};
  return std::to_string(count) + " wrong element(s) in " + name + "; first " + name + "[" +
         std::to_string(first_index) + "] = " + std::to_string(first_value) + ", expected " +
         std::to_string(first_expected);
}

void fill_f32(float* x, std::size_t n, bool ramp, float value, cudaStream_t s) {
  fill_kernel<<<grid_for(n), kBlock, 0, s>>>(x, n, ramp, value);
  GPUSCALE_CUDA_CHECK_LAUNCH();
}

Mismatch compare_f32(const float* x, std::size_t n, bool ramp, float scale, float offset, float tol,
                     cudaStream_t s) {
  DeviceBuffer<MismatchDevice> d(1);
  const MismatchDevice init{0, ~0ull};
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(d.get(), &init, sizeof init, cudaMemcpyHostToDevice, s));
  compare_kernel<<<grid_for(n), kBlock, 0, s>>>(x, n, ramp, scale, offset, tol, d.get());
  GPUSCALE_CUDA_CHECK_LAUNCH();
  MismatchDevice h{};
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(&h, d.get(), sizeof h, cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
  Mismatch m;
  m.count = h.count;
  if (h.count) {
    m.first_index = h.first_index;
    GPUSCALE_CUDA_CHECK(cudaMemcpy(&m.first_value, x + h.first_index, sizeof(float), cudaMemcpyDeviceToHost));
    const float base = ramp ? ramp_of(h.first_index) : 1.0f;
    m.first_expected = scale * base + offset;
  }
  return m;
}

}  // namespace gpuscale::bench
