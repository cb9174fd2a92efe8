// Error checks for the CUDA runtime: GPUSCALE_CUDA_CHECK(expr) throws CudaError carrying file,
// line, the expression and the runtime's error string; GPUSCALE_CUDA_CHECK_LAUNCH() checks
// cudaGetLastError() after a kernel launch. Destructors use GPUSCALE_CUDA_WARN, which never throws.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace gpuscale::bench {

class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const char* expr, const char* file, int line)
      : std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           cudaGetErrorName(code) + ": " + cudaGetErrorString(code)),
        code_(code) {}
  cudaError_t code() const { return code_; }
  bool out_of_memory() const { return code_ == cudaErrorMemoryAllocation; }

 private:
  cudaError_t code_;
};

}  // namespace gpuscale::bench

#define GPUSCALE_CUDA_CHECK(expr)                                                   \
  do {                                                                              \
    const cudaError_t gpuscale_err_ = (expr);                                       \
    if (gpuscale_err_ != cudaSuccess)                                               \
      throw ::gpuscale::bench::CudaError(gpuscale_err_, #expr, __FILE__, __LINE__); \
  } while (0)

#define GPUSCALE_CUDA_CHECK_LAUNCH() GPUSCALE_CUDA_CHECK(cudaGetLastError())

#define GPUSCALE_CUDA_WARN(expr)                                                                             \
  do {                                                                                                       \
    const cudaError_t gpuscale_err_ = (expr);                                                                \
    if (gpuscale_err_ != cudaSuccess)                                                                        \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, cudaGetErrorString(gpuscale_err_)); \
  } while (0)
