// Error check for cuBLAS/cuBLASLt: GPUSCALE_CUBLAS_CHECK(expr) throws CublasError carrying file,
// line, the expression and cuBLASLt's status name and text; GPUSCALE_CUBLAS_WARN never throws
// (for destructors).
#pragma once

#include <cublasLt.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace gpuscale::bench {

class CublasError : public std::runtime_error {
 public:
  CublasError(cublasStatus_t status, const char* expr, const char* file, int line)
      : std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           cublasLtGetStatusName(status) + ": " + cublasLtGetStatusString(status)),
        status_(status) {}
  cublasStatus_t status() const { return status_; }
  bool out_of_memory() const { return status_ == CUBLAS_STATUS_ALLOC_FAILED; }

 private:
  cublasStatus_t status_;
};

}  // namespace gpuscale::bench

#define GPUSCALE_CUBLAS_CHECK(expr)                                                      \
  do {                                                                                   \
    const cublasStatus_t gpuscale_status_ = (expr);                                      \
    if (gpuscale_status_ != CUBLAS_STATUS_SUCCESS)                                       \
      throw ::gpuscale::bench::CublasError(gpuscale_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define GPUSCALE_CUBLAS_WARN(expr)                                       \
  do {                                                                   \
    const cublasStatus_t gpuscale_status_ = (expr);                      \
    if (gpuscale_status_ != CUBLAS_STATUS_SUCCESS)                       \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, \
                   cublasLtGetStatusString(gpuscale_status_));           \
  } while (0)
