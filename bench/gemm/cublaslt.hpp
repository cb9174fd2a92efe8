// cuBLASLt for bench_gemm: move-only owners of the handle, matmul descriptor, matrix layouts and
// heuristic preference. The status check (GPUSCALE_CUBLAS_CHECK) is in gpu/cublas_check.hpp.
#pragma once

#include <cublasLt.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "gpu/cublas_check.hpp"

namespace gpuscale::bench::gemm {

// One cuBLASLt object: `Handle` is the opaque pointer type, `Destroy` its destroy function.
template <typename Handle, cublasStatus_t (*Destroy)(Handle)>
class LtOwner {
 public:
  LtOwner() = default;
  explicit LtOwner(Handle h) : h_(h) {}
  ~LtOwner() {
    if (h_) GPUSCALE_CUBLAS_WARN(Destroy(h_));
  }
  LtOwner(const LtOwner&) = delete;
  LtOwner& operator=(const LtOwner&) = delete;
  LtOwner(LtOwner&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  LtOwner& operator=(LtOwner&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  Handle get() const { return h_; }

 private:
  Handle h_ = nullptr;
};

using LtHandle = LtOwner<cublasLtHandle_t, cublasLtDestroy>;
using LtMatmulDesc = LtOwner<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = LtOwner<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = LtOwner<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

inline LtHandle make_handle() {
  cublasLtHandle_t h = nullptr;
  GPUSCALE_CUBLAS_CHECK(cublasLtCreate(&h));
  return LtHandle(h);
}

inline LtMatmulDesc make_matmul_desc(cublasComputeType_t compute, cudaDataType_t scale) {
  cublasLtMatmulDesc_t d = nullptr;
  GPUSCALE_CUBLAS_CHECK(cublasLtMatmulDescCreate(&d, compute, scale));
  return LtMatmulDesc(d);
}

// Column-major rows x cols with leading dimension ld.
inline LtLayout make_layout(cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld) {
  cublasLtMatrixLayout_t l = nullptr;
  GPUSCALE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&l, type, rows, cols, ld));
  return LtLayout(l);
}

inline LtPreference make_preference() {
  cublasLtMatmulPreference_t p = nullptr;
  GPUSCALE_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&p));
  return LtPreference(p);
}

template <typename T>
void set_attribute(const LtMatmulDesc& d, cublasLtMatmulDescAttributes_t attr, const T& value) {
  GPUSCALE_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d.get(), attr, &value, sizeof(T)));
}

template <typename T>
void set_attribute(const LtPreference& p, cublasLtMatmulPreferenceAttributes_t attr, const T& value) {
  GPUSCALE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(p.get(), attr, &value, sizeof(T)));
}

}  // namespace gpuscale::bench::gemm
