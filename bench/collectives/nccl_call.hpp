// One rank's collective call on device buffers, as the NCCL backend hands it to an op's `nccl`
// function (collectives/ops/<name>.cpp), and NCCL's error check. NCCL builds only.
#pragma once

#include <cuda_bf16.h>  // before nccl.h: older nccl.h declares ncclBfloat16 only with the BF16 types
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "collectives/collective_ops.hpp"

namespace gpuscale::bench {

class NcclError : public std::runtime_error {
 public:
  NcclError(ncclResult_t code, const char* expr, const char* file, int line)
      : std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           ncclGetErrorString(code)) {}
};

}  // namespace gpuscale::bench

#define GPUSCALE_NCCL_CHECK(expr)                                                        \
  do {                                                                                   \
    const ncclResult_t gpuscale_nccl_err_ = (expr);                                      \
    if (gpuscale_nccl_err_ != ncclSuccess)                                               \
      throw ::gpuscale::bench::NcclError(gpuscale_nccl_err_, #expr, __FILE__, __LINE__); \
  } while (0)

namespace gpuscale::bench {

// The call is enqueued on `stream` inside the backend's ncclGroupStart/End (one call per GPU the
// process drives); the backend waits for completion.
struct NcclCall {
  char* send;  // this rank's input buffer (in place: the one buffer)
  char* recv;  // its output buffer (in place: the one buffer)
  const Layout& layout;
  std::size_t elem_bytes;
  ncclDataType_t dtype;
  int rank;
  int ranks;
  bool in_place;
  ncclComm_t comm;
  cudaStream_t stream;
  std::size_t block_bytes() const { return layout.chunk * elem_bytes; }  // one rank's block
};

}  // namespace gpuscale::bench
