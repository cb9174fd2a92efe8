// A benchmark case and the harness around it.
//
// A case declares what it measures; the harness does everything else. What a case declares:
//   id()          family, backend, name and axes; the harness builds the id string (BenchmarkId::str,
//                 the one function that builds ids) and registers it
//   parameters()  the entry's parameters known before it runs (on the GPU it runs on)
//   work()        what one sample does: bytes read and written, FLOP, message bytes and bus factor
//   and, per kind, what it needs to fit, `setup`, `launch(stream)` (or a host body) and `check`:
//     GpuStreamCase (gpu/gpu_case.hpp)  launches on one stream, batched into a CUDA graph
//     GpuCopyCase   (gpu/gpu_case.hpp)  copies on one or two streams, timed in batches, no graph
//     HostCase      (below)             a host body timed by the steady clock
//     CollectiveBenchCase (collectives/driver.hpp)  a collective on every rank, in lock step
// What the harness owns: fit-or-skip, warm-up and sampling, graph batching, NVML clock sampling,
// the verification call after timing, the finish (ok / skipped / error) and the results entry.
//
// State is passed explicitly: each benchmark runs with a CaseState (its entry, its Run, Google
// Benchmark's state), as nvbench passes `state&`.
//
// Registration: a family builds its cases and adds them to the Registry, one line per case or case
// family (`registry.add(memory_host_cases(suite))`); the Registry registers them with Google
// Benchmark in that order (manual time, one iteration, microseconds).
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/run.hpp"
#include "harness/sampling.hpp"

struct CUstream_st;

namespace gpuscale::bench {

// cudaStream_t, named without the CUDA headers (the same type: driver_types.h declares
// `typedef struct CUstream_st* cudaStream_t`), so that case declarations stay host-only.
using StreamHandle = CUstream_st*;

class CaseState;

class Case {
 public:
  virtual ~Case() = default;
  // Family, backend (host flag), name and axes, in order. The id is id().str().
  virtual BenchmarkId id() const = 0;
  // The parameters known before it runs on `gpu` (an empty target for the host backend).
  virtual nlohmann::json parameters(const GpuTarget& gpu) const = 0;
  // What one sample does there.
  virtual Work work(const GpuTarget& gpu) const = 0;
  // The GPU its entry names: the measured GPU for GPU cases, none for the host backend.
  virtual std::optional<int> gpu_index(const GpuTarget& gpu) const;
  // Runs it under the harness of its kind (every kind implements it once; cases do not).
  virtual void run(CaseState& state) const = 0;

  // The entry it starts from: id, family, backend, GPU index and parameters (no work).
  BenchmarkEntry entry(const GpuTarget& gpu) const;
  // entry() with the declared work: what the benchmark declares, for tests and golden files.
  BenchmarkEntry declared(const GpuTarget& gpu) const;
};

using CaseList = std::vector<std::unique_ptr<Case>>;

// One benchmark while it runs: its entry, the run it belongs to and Google Benchmark's state. Every
// benchmark ends exactly once, through ok(), skip() or fail(); what comes after the first is ignored.
class CaseState {
 public:
  CaseState(Run& run, benchmark::State& state, BenchmarkEntry entry);
  CaseState(const CaseState&) = delete;
  CaseState& operator=(const CaseState&) = delete;

  Run& run() const { return run_; }
  const Options& options() const { return run_.options(); }
  const GpuTarget& gpu() const { return run_.gpu(); }
  benchmark::State& gbench() const { return state_; }
  BenchmarkEntry& entry() { return entry_; }
  nlohmann::json& parameters() { return entry_.parameters; }

  // The Google Benchmark loop: each iteration (one, unless --benchmark_repetitions asks for more)
  // collects samples under `policy` and reports their median as the manual time; the samples of
  // the last iteration go into the entry.
  void measure(const std::function<double()>& sample, const SamplingPolicy& policy);

  // Ends the benchmark: ok derives every metric from the samples and `work` (core's derive_metrics,
  // against the measured GPU's datasheet), skip and fail record the reason and report no number.
  void ok(const Work& work);
  void skip(const std::string& reason);
  void fail(const std::string& reason);
  bool done() const { return done_; }

 private:
  void finish();
  Run& run_;
  benchmark::State& state_;
  BenchmarkEntry entry_;
  bool done_ = false;
};

// A case timed on the host: setup builds its body outside the timed region, run() is timed by the
// steady clock once per sample, check() looks at the output after timing.
class HostCase : public Case {
 public:
  class Body {
   public:
    virtual ~Body() = default;
    virtual void run() = 0;
    // "" when the output is right, else what is wrong (the harness prefixes "validation failed: ").
    virtual std::string check() = 0;
  };
  // Host bytes it allocates, for the reason it is skipped when the allocation fails ("3 x 1 MiB").
  virtual std::string footprint() const = 0;
  // Allocates and fills; may end the benchmark (state.skip/fail) and return null.
  virtual std::unique_ptr<Body> setup(CaseState& state) const = 0;

  void run(CaseState& state) const final;
};

// Registers cases with Google Benchmark, in the order they are added, under their ids.
class Registry {
 public:
  explicit Registry(Run& run) : run_(run) {}
  Run& run() const { return run_; }
  const Options& options() const { return run_.options(); }
  const std::string& suite() const { return run_.options().suite; }

  void add(std::unique_ptr<Case> c);
  void add(CaseList cases);

 private:
  Run& run_;
};

// Registers a benchmark body under `id` with the settings every gpuscale benchmark uses: manual time
// (the harness times every sample itself), one iteration (each collects a whole set of samples),
// microseconds.
benchmark::internal::Benchmark* register_benchmark(const std::string& id,
                                                   std::function<void(benchmark::State&)> fn);

}  // namespace gpuscale::bench
