// Runs a GPU benchmark's body and turns what it throws into the entry's status: running out of
// device or host memory is `skipped` (the size does not fit here), any other failure is `error`
// with the message. Nothing escapes into Google Benchmark, so one failure never stops the run.
#pragma once

#include <benchmark/benchmark.h>

#include <new>
#include <string>

#include "gpu/cublas_check.hpp"
#include "gpu/cuda_check.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {

template <typename Body>
void guarded(benchmark::State& state, BenchmarkEntry& e, Body&& body) {
  try {
    body();
  } catch (const CudaError& err) {
    if (err.out_of_memory()) return finish_skipped(state, std::move(e), std::string("out of memory: ") + err.what());
    finish_error(state, std::move(e), err.what());
  } catch (const CublasError& err) {
    if (err.out_of_memory()) return finish_skipped(state, std::move(e), std::string("out of memory: ") + err.what());
    finish_error(state, std::move(e), err.what());
  } catch (const std::bad_alloc&) {
    finish_skipped(state, std::move(e), "host memory allocation failed");
  } catch (const std::exception& err) {
    finish_error(state, std::move(e), err.what());
  }
}

}  // namespace gpuscale::bench
