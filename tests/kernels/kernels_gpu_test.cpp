// GPU checks of every launcher against host-computed results (label `gpu`): exact outputs for the
// stream ops at every width and awkward sizes, the pointer chase's end, and the peak kernels'
// expected values from peak_host.hpp. Skipped, with the driver's reason, where there is no GPU.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/compute/fma_peak.hpp"
#include "kernels/compute/mma_peak.hpp"
#include "kernels/compute/wgmma_peak.hpp"
#include "kernels/memory/pointer_chase.hpp"
#include "kernels/memory/stream.hpp"

namespace gpuscale::kernels {

// kernels/memory/dot.cu (declared by its benchmark case, bench/memory/ops/dot.cpp, as here).
cudaError_t launch_stream_dot(const float* a, const float* b, std::size_t n, double* partials,
                              int width_bytes, int grid, int block, cudaStream_t stream);
cudaError_t stream_dot_blocks_per_sm(int width_bytes, int block, int* blocks);

namespace {

#define ASSERT_CUDA(expr) \
  ASSERT_EQ((expr), cudaSuccess) << #expr << ": " << cudaGetErrorString(cudaGetLastError())

struct CudaFree {
  void operator()(void* p) const { cudaFree(p); }
};
template <typename T>
using DevicePtr = std::unique_ptr<T, CudaFree>;

template <typename T>
DevicePtr<T> device_alloc(std::size_t n) {
  void* p = nullptr;
  if (cudaMalloc(&p, (n ? n : 1) * sizeof(T)) != cudaSuccess) return nullptr;
  return DevicePtr<T>(static_cast<T*>(p));
}
template <typename T>
DevicePtr<T> to_device(const std::vector<T>& v) {
  auto d = device_alloc<T>(v.size());
  if (d && !v.empty()) cudaMemcpy(d.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
  return d;
}
template <typename T>
std::vector<T> to_host(const T* d, std::size_t n) {
  std::vector<T> v(n);
  if (n) cudaMemcpy(v.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
  return v;
}

class KernelsGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0)
      GTEST_SKIP() << "no CUDA device: " << (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
    cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, 0);
    cudaDeviceGetAttribute(&major_, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&minor_, cudaDevAttrComputeCapabilityMinor, 0);
  }
  int sms_ = 0, major_ = 0, minor_ = 0;
};

// The stream kernels under test, by operation (the benchmarks name each kernel in its op's file).
enum class Op { read, write, copy, scale, add, triad };
constexpr Op kOps[] = {Op::read, Op::write, Op::copy, Op::scale, Op::add, Op::triad};
const char* op_name(Op op) {
  constexpr const char* names[] = {"read", "write", "copy", "scale", "add", "triad"};
  return names[static_cast<int>(op)];
}
struct StreamArgs {
  float* a;
  float* b;
  float* c;
  std::size_t n;
  float scalar;
  float value;
  double* partials;
};
cudaError_t launch_stream(Op op, const StreamArgs& x, int width, int grid, int block, cudaStream_t s) {
  switch (op) {
    case Op::read:
      return launch_stream_read(x.a, x.n, x.partials, width, grid, block, s);
    case Op::write:
      return launch_stream_write(x.a, x.n, x.value, width, grid, block, s);
    case Op::copy:
      return launch_stream_copy(x.a, x.b, x.n, width, grid, block, s);
    case Op::scale:
      return launch_stream_scale(x.a, x.b, x.scalar, x.n, width, grid, block, s);
    case Op::add:
      return launch_stream_add(x.a, x.b, x.c, x.n, width, grid, block, s);
    case Op::triad:
      return launch_stream_triad(x.a, x.b, x.c, x.scalar, x.n, width, grid, block, s);
  }
  return cudaErrorInvalidValue;
}
cudaError_t stream_blocks_per_sm(Op op, int width, int block, int* blocks) {
  switch (op) {
    case Op::read:
      return stream_read_blocks_per_sm(width, block, blocks);
    case Op::write:
      return stream_write_blocks_per_sm(width, block, blocks);
    case Op::copy:
      return stream_copy_blocks_per_sm(width, block, blocks);
    case Op::scale:
      return stream_scale_blocks_per_sm(width, block, blocks);
    case Op::add:
      return stream_add_blocks_per_sm(width, block, blocks);
    case Op::triad:
      return stream_triad_blocks_per_sm(width, block, blocks);
  }
  return cudaErrorInvalidValue;
}

std::vector<float> ramp(std::size_t n, float scale, float offset) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = offset + scale * static_cast<float>(i % 1031);
  return v;
}

TEST_F(KernelsGpu, StreamOpsExactAtEveryWidthAndSize) {
  const float s = 0.4f, fill = 3.0f;
  for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{4099},
                        std::size_t{1} << 20, (std::size_t{1} << 20) + 7}) {
    const auto ha = ramp(n, 0.5f, 1.0f), hb = ramp(n, -0.25f, 2.0f), hc = ramp(n, 0.125f, -3.0f);
    for (int width : {4, 8, 16}) {
      for (const Op op : kOps) {
        auto a = to_device(ha), b = to_device(hb), c = to_device(hc);
        auto partials = device_alloc<double>(2 * sms_);
        auto total = device_alloc<double>(1);
        ASSERT_TRUE(a && b && c && partials && total);
        StreamArgs args{a.get(), b.get(), c.get(), n, s, fill, partials.get()};
        ASSERT_CUDA(launch_stream(op, args, width, 2 * sms_, kStreamBlock, nullptr));
        ASSERT_CUDA(cudaDeviceSynchronize());
        const std::string where =
            std::string(op_name(op)) + " n=" + std::to_string(n) + " width=" + std::to_string(width);
        switch (op) {
          case Op::read: {
            ASSERT_CUDA(launch_stream_read_finish(partials.get(), 2 * sms_, total.get(), nullptr));
            double want = 0;
            for (float x : ha) want += x;
            const double got = to_host(total.get(), 1)[0];
            EXPECT_NEAR(got, want, 1e-9 * std::abs(want) + 1e-9) << where;
            const auto p = to_host(partials.get(), 2 * sms_);
            EXPECT_NEAR(stream_read_total(p.data(), 2 * sms_), want, 1e-9 * std::abs(want) + 1e-9) << where;
            break;
          }
          case Op::write: {
            const auto got = to_host(a.get(), n);
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], fill) << where << " i=" << i;
            break;
          }
          case Op::copy:
          case Op::scale: {
            const auto got = to_host(b.get(), n);
            for (std::size_t i = 0; i < n; ++i)
              ASSERT_EQ(got[i], op == Op::copy ? ha[i] : s * ha[i]) << where << " i=" << i;
            break;
          }
          case Op::add: {
            const auto got = to_host(c.get(), n);
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], ha[i] + hb[i]) << where << " i=" << i;
            break;
          }
          case Op::triad: {
            const auto got = to_host(a.get(), n);
            for (std::size_t i = 0; i < n; ++i)
              ASSERT_EQ(got[i], std::fmaf(s, hc[i], hb[i])) << where << " i=" << i;
            break;
          }
        }
      }
    }
  }
}

// dot over one wave at every width and awkward sizes: the sum of a[i] * b[i], exact here (products
// of small multiples of 1/8 summed well inside double's range).
TEST_F(KernelsGpu, DotIsExactAtEveryWidthAndSize) {
  for (std::size_t n :
       {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{4099}, (std::size_t{1} << 20) + 7}) {
    std::vector<float> ha(n), hb(n);
    double want = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ha[i] = 1.0f + static_cast<float>(i % 8) / 8.0f;
      hb[i] = 2.0f - static_cast<float>(i % 5) / 4.0f;
      want += static_cast<double>(ha[i]) * hb[i];
    }
    for (int width : {4, 8, 16}) {
      int blocks = 0;
      ASSERT_CUDA(stream_dot_blocks_per_sm(width, kStreamBlock, &blocks));
      ASSERT_GE(blocks, 1);
      const int grid = blocks * sms_;
      auto a = to_device(ha), b = to_device(hb);
      auto partials = device_alloc<double>(grid);
      ASSERT_TRUE(a && b && partials);
      ASSERT_CUDA(launch_stream_dot(a.get(), b.get(), n, partials.get(), width, grid, kStreamBlock, nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      const auto p = to_host(partials.get(), grid);
      EXPECT_EQ(stream_read_total(p.data(), grid), want) << "n=" << n << " width=" << width;
    }
  }
  auto a = device_alloc<float>(64);
  auto partials = device_alloc<double>(1);
  EXPECT_EQ(launch_stream_dot(a.get() + 1, a.get(), 32, partials.get(), 16, 1, 256, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(launch_stream_dot(a.get(), a.get(), 32, nullptr, 16, 1, 256, nullptr), cudaErrorInvalidValue);
}

TEST_F(KernelsGpu, StreamRejectsMisalignedAndBadShapes) {
  auto a = device_alloc<float>(64), b = device_alloc<float>(64);
  EXPECT_EQ(launch_stream_copy(a.get() + 1, b.get(), 32, 16, 1, 256, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(launch_stream_copy(a.get(), b.get(), 32, 12, 1, 256, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(launch_stream_copy(a.get(), b.get(), 32, 16, 0, 256, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(launch_stream_copy(a.get(), b.get(), 32, 16, 1, 512, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(launch_stream_copy(a.get() + 1, b.get() + 1, 32, 4, 1, 256, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// The grid of the memory benchmarks is one wave of each kernel instance: the occupancy the
// runtime reports must be at least one block and at most what the SM's threads allow, and a grid of
// that many blocks per SM must run every op exactly.
TEST_F(KernelsGpu, StreamBlocksPerSmIsAWaveThatRuns) {
  int max_threads = 0;
  ASSERT_CUDA(cudaDeviceGetAttribute(&max_threads, cudaDevAttrMaxThreadsPerMultiProcessor, 0));
  const std::size_t n = (std::size_t{1} << 20) + 3;
  const auto ha = ramp(n, 0.5f, 1.0f);
  for (int width : {4, 8, 16}) {
    for (const Op op : kOps) {
      const std::string where = std::string(op_name(op)) + " width=" + std::to_string(width);
      int blocks = 0;
      ASSERT_CUDA(stream_blocks_per_sm(op, width, kStreamBlock, &blocks));
      EXPECT_GE(blocks, 1) << where;
      EXPECT_LE(blocks * kStreamBlock, max_threads) << where;
      const int grid = blocks * sms_;
      auto a = to_device(ha), b = to_device(ha), c = to_device(ha);
      auto partials = device_alloc<double>(grid);
      ASSERT_TRUE(a && b && c && partials);
      StreamArgs args{a.get(), b.get(), c.get(), n, 0.4f, 3.0f, partials.get()};
      ASSERT_CUDA(launch_stream(op, args, width, grid, kStreamBlock, nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      if (op == Op::copy) {
        const auto got = to_host(b.get(), n);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], ha[i]) << where << " i=" << i;
      }
    }
  }
  int blocks = 0;
  EXPECT_EQ(stream_blocks_per_sm(Op::copy, 12, kStreamBlock, &blocks), cudaErrorInvalidValue);
  EXPECT_EQ(stream_blocks_per_sm(Op::copy, 16, 2 * kStreamBlock, &blocks), cudaErrorInvalidValue);
  EXPECT_EQ(stream_blocks_per_sm(Op::copy, 16, kStreamBlock, nullptr), cudaErrorInvalidValue);
}

TEST_F(KernelsGpu, PointerChaseEndsWhereTheHostSays) {
  for (auto cache : {PointerChaseCache::l1, PointerChaseCache::l2}) {
    const auto plan = make_pointer_chase(1 << 20, 64, 3);
    auto words = to_device(plan.words);
    auto result = device_alloc<std::uint64_t>(2);
    const std::uint64_t loads = plan.slots + 13;
    ASSERT_CUDA(launch_pointer_chase(words.get(), plan.start, loads, cache, result.get(), nullptr));
    ASSERT_CUDA(cudaDeviceSynchronize());
    const auto got = to_host(result.get(), 2);
    EXPECT_EQ(got[0], pointer_chase_end(plan.words, plan.start, loads));
    EXPECT_EQ(got[1], loads);
  }
}

TEST_F(KernelsGpu, FmaPeakWritesTheExpectedValue) {
  const int grid = 2 * sms_, block = 256;
  auto out = device_alloc<float>(static_cast<std::size_t>(grid) * block);
  for (const auto& info : kFmaTypes) {
    for (std::int64_t it : {0, 1, 5, 33, 1000}) {
      ASSERT_CUDA(launch_fma_peak(info.type, grid, block, it, out.get(), nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      const auto got = to_host(out.get(), static_cast<std::size_t>(grid) * block);
      const double want = fma_peak_expected(info.type, it), tol = fma_peak_tolerance(info.type);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want, tol) << info.name << " iterations " << it << " thread " << i;
    }
  }
}

TEST_F(KernelsGpu, MmaPeakWritesTheExpectedValue) {
  const int grid = sms_, block = 128;
  auto out = device_alloc<float>(static_cast<std::size_t>(grid) * block);
  for (const auto& info : kMmaTypes) {
    if (!mma_supported(info.type, major_, minor_)) {
      EXPECT_EQ(launch_mma_peak(info.type, grid, block, 1, out.get(), nullptr), cudaErrorNotSupported)
          << info.name;
      continue;
    }
    for (std::int64_t it : {1, 2, 7, 1001}) {
      ASSERT_CUDA(launch_mma_peak(info.type, grid, block, it, out.get(), nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      const auto got = to_host(out.get(), static_cast<std::size_t>(grid) * block);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], mma_peak_expected(info.type, it))
            << info.name << " iterations " << it << " thread " << i;
    }
  }
}

TEST_F(KernelsGpu, WgmmaPeakWritesTheExpectedValue) {
  const int grid = sms_, block = 256;
  auto out = device_alloc<float>(static_cast<std::size_t>(grid) * block);
  for (const auto& info : kWgmmaTypes) {
    if (!wgmma_supported(major_, minor_)) {
      EXPECT_EQ(launch_wgmma_peak(info.type, grid, block, 1, out.get(), nullptr), cudaErrorNotSupported);
      continue;
    }
    for (std::int64_t it : {1, 2, 3, 9, 16, 1001}) {
      ASSERT_CUDA(launch_wgmma_peak(info.type, grid, block, it, out.get(), nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      const auto got = to_host(out.get(), static_cast<std::size_t>(grid) * block);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], wgmma_peak_expected(info.type, it))
            << info.name << " iterations " << it << " thread " << i;
    }
  }
}

}  // namespace
}  // namespace gpuscale::kernels
