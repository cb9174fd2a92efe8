// Runs a GPU benchmark's body and turns what it throws into the entry's status: running out of
// device or host memory is `skipped` (the size does not fit here), any other failure is `error`
// with the message. Nothing escapes into Google Benchmark, so one failure never stops the run.
//
// A failed CUDA call also leaves the runtime's "last error" set (cudaMalloc's out of memory does),
// and the next benchmark's first GPUSCALE_CUDA_CHECK_LAUNCH() would throw it again and be reported
// as failing the same way. So every failure clears it before it is recorded (a sticky error, which
// cudaGetLastError cannot clear, ends the process's usable context whatever is done here).
#pragma once

#include <benchmark/benchmark.h>

#include <new>
#include <optional>
#include <string>
#include <utility>

#include "gpu/cublas_check.hpp"
#include "gpu/cuda_check.hpp"
#include "harness/case.hpp"

namespace gpuscale::bench {

// How a benchmark body failed: skipped (it does not fit) or error, and why.
struct BodyFailure {
  bool skipped = false;
  std::string reason;
};

// Runs `body`; nullopt when it returned, else how it failed. The CUDA runtime's last error is
// cleared on every failure, so it cannot leak into the next benchmark.
template <typename Body>
std::optional<BodyFailure> run_guarded(Body&& body) {
  std::optional<BodyFailure> failure;
  try {
    body();
  } catch (const CudaError& err) {
    failure = err.out_of_memory() ? BodyFailure{true, std::string("out of memory: ") + err.what()}
                                  : BodyFailure{false, err.what()};
  } catch (const CublasError& err) {
    failure = err.out_of_memory() ? BodyFailure{true, std::string("out of memory: ") + err.what()}
                                  : BodyFailure{false, err.what()};
  } catch (const std::bad_alloc&) {
    failure = BodyFailure{true, "host memory allocation failed"};
  } catch (const std::exception& err) {
    failure = BodyFailure{false, err.what()};
  }
  if (failure) (void)cudaGetLastError();
  return failure;
}

// Runs `body` and ends the benchmark with how it failed, if it did (and did not end it itself).
template <typename Body>
void guarded(CaseState& state, Body&& body) {
  const std::optional<BodyFailure> failure = run_guarded(std::forward<Body>(body));
  if (!failure) return;
  if (failure->skipped)
    state.skip(failure->reason);
  else
    state.fail(failure->reason);
}

}  // namespace gpuscale::bench
