// One cuBLASLt GEMM of a given precision and shape in the TN layout, its algorithm choices, and the
// rotating device operands it runs on. GPU-only.
//
// Types: A and B of the precision's input type, C = D of its output type, FP32 scale (alpha = 1,
// beta = 0, C aliases D and is not read). FP8: A transposed (the TN layout FP8 requires), per-tensor
// scales for A and B as device floats (CUBLASLT_MATMUL_DESC_A/B_SCALE_POINTER), BF16 output, and
// CUBLASLT_MATMUL_DESC_FAST_ACCUM as asked.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "gemm/cublaslt.hpp"
#include "gemm/precision.hpp"
#include "gemm/reference.hpp"
#include "gemm/shapes.hpp"
#include "gpu/resources.hpp"

namespace gpuscale::bench::gemm {

inline constexpr std::size_t kWorkspaceBytes = 32ull << 20;  // cuBLAS's recommendation for Hopper

cudaDataType_t input_type(Precision p);
cudaDataType_t output_type(Precision p);

class LtGemm {
 public:
  // `a_scale` and `b_scale` (device floats) are used for FP8 only.
  LtGemm(cublasLtHandle_t handle, Precision p, bool fast_accum, const GemmShape& s, const float* a_scale,
         const float* b_scale);

  // Up to `count` algorithms from cuBLASLt's heuristic, best first, each needing at most
  // `workspace_limit` bytes; empty when cuBLASLt has none for this problem.
  std::vector<cublasLtMatmulHeuristicResult_t> heuristics(int count, std::size_t workspace_limit) const;

  void run(const cublasLtMatmulAlgo_t& algo, const void* a, const void* b, void* d, void* workspace,
           std::size_t workspace_bytes, cudaStream_t s) const;

  const GemmShape& shape() const { return shape_; }

 private:
  cublasLtHandle_t handle_;
  GemmShape shape_;
  LtMatmulDesc desc_;
  LtLayout a_, b_, d_;
};

// What an algorithm is: id, tile, stages, split-K, reduction, swizzle, custom option, cluster shape
// (each where cuBLASLt exposes it), workspace bytes and waves count.
nlohmann::json describe_algo(const cublasLtMatmulHeuristicResult_t& r);

// Device operands of one precision: room for `capacity` bytes each of A, B and D, A and B filled
// with the precision's random data, D with NaN bytes (so an element a GEMM did not write fails the
// check). configure() lays out as many slots of one shape as the rotation wants and the room allows.
class RotatingOperands {
 public:
  RotatingOperands(Precision p, const OperandBytes& capacity, cudaStream_t s);
  // Slots for shape `s` so that the slots together hold >= 3x `l2_bytes` (at least 1; throws when
  // not even one fits).
  int configure(const GemmShape& s, std::uint64_t l2_bytes);
  const void* a(int slot) const { return a_.get() + slot * bytes_.a; }
  const void* b(int slot) const { return b_.get() + slot * bytes_.b; }
  void* d(int slot) const { return d_.get() + slot * bytes_.d; }
  int slots() const { return slots_; }
  std::uint64_t footprint_bytes() const { return slots_ * bytes_.slot(); }

 private:
  Precision precision_;
  DeviceBuffer<unsigned char> a_, b_, d_;
  OperandBytes bytes_{};
  int slots_ = 0;
};

// Compares slot `slot` of `ops` with an FP64 reference (reference_plan(shape)); synchronises `s`.
ElementCheck validate_slot(const RotatingOperands& ops, int slot, Precision p, bool fast_accum,
                           const GemmShape& shape, cudaStream_t s);

}  // namespace gpuscale::bench::gemm
