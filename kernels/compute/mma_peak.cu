// Peak tensor-core throughput through mma.sync (see mma_peak.hpp). A holds 1 in every element;
// B_pos holds +1 and B_neg -1, and each accumulator alternates between them, so it goes
// 0, k, 0, k, ... exactly. Fragment layouts do not matter: every element of a fragment is equal.
#include "kernels/compute/device_query.hpp"
#include "kernels/compute/mma_peak.hpp"

namespace gpuscale::kernels {
namespace {

// Bit patterns of +1 and -1, replicated over a 32-bit fragment register.
struct Ones {
  std::uint32_t pos, neg;
};
constexpr Ones kOnesF16{0x3c003c00u, 0xbc00bc00u};
constexpr Ones kOnesBF16{0x3f803f80u, 0xbf80bf80u};
constexpr Ones kOnesTF32{0x3f800000u, 0xbf800000u};
constexpr Ones kOnesS8{0x01010101u, 0xffffffffu};
constexpr Ones kOnesE4M3{0x38383838u, 0xb8b8b8b8u};
constexpr Ones kOnesE5M2{0x3c3c3c3cu, 0xbcbcbcbcu};

// One mma per type: d += a * b with a in 4 registers, b in 2, d in 4 (fp32 or s32).
template <MmaType T>
struct Mma;

#define GPUSCALE_MMA_F32(TYPE, PTX)                                                               \
  template <>                                                                                     \
  struct Mma<TYPE> {                                                                              \
    using Acc = float;                                                                            \
    static __device__ __forceinline__ void run(float (&d)[4], std::uint32_t a, std::uint32_t b) { \
      asm volatile(PTX " {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};\n"                 \
                   : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                               \
                   : "r"(a), "r"(b));                                                             \
    }                                                                                             \
  }

GPUSCALE_MMA_F32(MmaType::fp16, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
GPUSCALE_MMA_F32(MmaType::bf16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32");
GPUSCALE_MMA_F32(MmaType::tf32, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32");
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
GPUSCALE_MMA_F32(MmaType::fp8_e4m3, "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32");
GPUSCALE_MMA_F32(MmaType::fp8_e5m2, "mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32");
#define GPUSCALE_HAVE_FP8_MMA 1
#endif
#undef GPUSCALE_MMA_F32

template <>
struct Mma<MmaType::int8> {
  using Acc = int;
  static __device__ __forceinline__ void run(int (&d)[4], std::uint32_t a, std::uint32_t b) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, "
        "{%0,%1,%2,%3};\n"
        : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
        : "r"(a), "r"(b));
  }
};

template <MmaType T>
__device__ __forceinline__ void mma_body(std::int64_t iterations, std::uint32_t a, std::uint32_t b_pos,
                                         std::uint32_t b_neg, float* out) {
  using M = Mma<T>;
  typename M::Acc d[kMmaAccumulators][4] = {};
  std::int64_t i = 0;
  for (; i + 2 <= iterations; i += 2) {
#pragma unroll
    for (int j = 0; j < kMmaAccumulators; ++j) M::run(d[j], a, b_pos);
#pragma unroll
    for (int j = 0; j < kMmaAccumulators; ++j) M::run(d[j], a, b_neg);
  }
  if (i < iterations) {
#pragma unroll
    for (int j = 0; j < kMmaAccumulators; ++j) M::run(d[j], a, b_pos);
  }
  typename M::Acc s = 0;
#pragma unroll
  for (int j = 0; j < kMmaAccumulators; ++j) s += (d[j][0] + d[j][1]) + (d[j][2] + d[j][3]);
  out[static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x] = static_cast<float>(s);
}

// The +1/-1 patterns come in as arguments so the compiler sees run-time operands.
template <MmaType T>
__global__ void __launch_bounds__(kMmaMaxBlock)
    mma_peak(std::int64_t iterations, std::uint32_t a, std::uint32_t b_pos, std::uint32_t b_neg,
             float* __restrict__ out) {
  if constexpr (T == MmaType::fp8_e4m3 || T == MmaType::fp8_e5m2) {
#if defined(GPUSCALE_HAVE_FP8_MMA)
    mma_body<T>(iterations, a, b_pos, b_neg, out);
#else
    // Built for an architecture without FP8 mma (the launcher refuses such devices): mark the
    // output so a launch that got here anyway cannot pass as a result.
    out[static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x] = __int_as_float(0x7fffffff);
#endif
  } else {
    mma_body<T>(iterations, a, b_pos, b_neg, out);
  }
}

template <MmaType T>
cudaError_t launch(int grid, int block, std::int64_t iterations, float* out, Ones ones, cudaStream_t stream) {
  mma_peak<T><<<grid, block, 0, stream>>>(iterations, ones.pos, ones.pos, ones.neg, out);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_mma_peak(MmaType type, int grid, int block, std::int64_t iterations, float* out,
                            cudaStream_t stream) {
  if (grid <= 0 || block <= 0 || block > kMmaMaxBlock || block % kWarpSize != 0 || iterations < 0 || !out)
    return cudaErrorInvalidValue;
  int major = 0, minor = 0;
  if (cudaError_t e = current_compute_capability(major, minor); e != cudaSuccess) return e;
  if (!mma_supported(type, major, minor)) return cudaErrorNotSupported;
  switch (type) {
    case MmaType::fp16:
      return launch<MmaType::fp16>(grid, block, iterations, out, kOnesF16, stream);
    case MmaType::bf16:
      return launch<MmaType::bf16>(grid, block, iterations, out, kOnesBF16, stream);
    case MmaType::tf32:
      return launch<MmaType::tf32>(grid, block, iterations, out, kOnesTF32, stream);
    case MmaType::int8:
      return launch<MmaType::int8>(grid, block, iterations, out, kOnesS8, stream);
    case MmaType::fp8_e4m3:
      return launch<MmaType::fp8_e4m3>(grid, block, iterations, out, kOnesE4M3, stream);
    case MmaType::fp8_e5m2:
      return launch<MmaType::fp8_e5m2>(grid, block, iterations, out, kOnesE5M2, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gpuscale::kernels
