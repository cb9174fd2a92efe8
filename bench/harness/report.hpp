// Turning a benchmark's measurement into a results entry and into Google Benchmark's output.
//
// A benchmark fills samples_s and `work` (what one sample does); finish_ok() derives every metric
// in one place (core's derive_metrics), sets the manual time to the median sample, exposes the
// metrics as counters and stores the entry for --gpuscale_out. finish_skipped() and finish_error()
// record the reason and report no number.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <mutex>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/sampling.hpp"

namespace gpuscale::bench {

// Everything one binary measured, for the fragment it writes with --gpuscale_out.
class ResultSink {
 public:
  void add(BenchmarkEntry e);
  std::vector<BenchmarkEntry> entries() const;
  void set_gpus(std::vector<GpuInfo> g);
  std::vector<GpuInfo> gpus() const;
  void set_libraries(LibraryVersions v);
  LibraryVersions libraries() const;
  // A multi-process job: how many ranks, and each rank's node (rank order).
  void set_job(int ranks, std::vector<std::string> hosts);
  int job_ranks() const;
  std::vector<std::string> job_hosts() const;
  const GpuSpec* spec = nullptr;  // SKU of the GPU measured, for % of peak
  double max_sm_clock_mhz = 0;
  bool progress = false;  // one line per finished benchmark on stderr
  // Called after every add(), outside the lock: bench_main rewrites the --gpuscale_out fragment
  // there, so a binary that crashes or is killed later keeps every benchmark it finished.
  std::function<void()> on_add;

 private:
  mutable std::mutex mu_;
  std::vector<BenchmarkEntry> entries_;
  std::vector<GpuInfo> gpus_;
  LibraryVersions libs_;
  int job_ranks_ = 0;
  std::vector<std::string> job_hosts_;
};
ResultSink& result_sink();

// A new entry for `id`, family and backend taken from the id.
BenchmarkEntry make_entry(const BenchmarkId& id, nlohmann::json parameters);

void finish_ok(benchmark::State& state, BenchmarkEntry e);
void finish_skipped(benchmark::State& state, BenchmarkEntry e, const std::string& reason);
void finish_error(benchmark::State& state, BenchmarkEntry e, const std::string& reason);

}  // namespace gpuscale::bench

namespace gpuscale::bench {

// Registers one gpuscale benchmark with Google Benchmark: manual time (the harness times every
// sample itself), one iteration (each iteration collects a whole set of samples), microseconds.
template <typename... Args>
benchmark::internal::Benchmark* register_benchmark(const std::string& id, Args&&... args) {
  return benchmark::RegisterBenchmark(id.c_str(), std::forward<Args>(args)...)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMicrosecond);
}

// The Google Benchmark loop of a gpuscale benchmark: each iteration (one, unless
// --benchmark_repetitions asks for more) collects samples under the policy and reports their
// median as the manual time. The samples of the last iteration go into the entry.
void measure(benchmark::State& state, BenchmarkEntry& e, const std::function<double()>& sample,
             const SamplingPolicy& policy);

}  // namespace gpuscale::bench
