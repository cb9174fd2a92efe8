#include "harness/case.hpp"

#include <chrono>
#include <cstdio>
#include <new>

#include "gpuscale/core/stats.hpp"

namespace gpuscale::bench {

std::optional<int> Case::gpu_index(const GpuTarget&) const {
  return std::nullopt;
}

BenchmarkEntry Case::entry(const GpuTarget& gpu) const {
  BenchmarkEntry e = make_entry(id(), parameters(gpu));
  e.gpu_index = gpu_index(gpu);
  return e;
}

BenchmarkEntry Case::declared(const GpuTarget& gpu) const {
  BenchmarkEntry e = entry(gpu);
  e.work = work(gpu);
  return e;
}

CaseState::CaseState(Run& run, benchmark::State& state, BenchmarkEntry entry)
    : run_(run), state_(state), entry_(std::move(entry)) {}

void CaseState::measure(const std::function<double()>& sample, const SamplingPolicy& policy) {
  for (auto _ : state_) {
    entry_.samples_s = collect_samples(sample, policy);
    state_.SetIterationTime(median(entry_.samples_s));
  }
}

void CaseState::finish() {
  done_ = true;
  if (run_.options().progress) std::fprintf(stderr, "%s\n", progress_line(entry_).c_str());
  run_.sink().add(std::move(entry_));
}

void CaseState::ok(const Work& work) {
  if (done_) return;
  entry_.work = work;
  const bool on_gpu = entry_.backend == "gpu" && run_.has_gpu();
  derive_metrics(entry_, on_gpu ? run_.gpu().spec : nullptr,
                 on_gpu ? run_.gpu().info.max_sm_clock_mhz.value_or(0) : 0);
  for (const auto& [name, value] : entry_.metrics)
    if (name != "time_s") state_.counters[name] = benchmark::Counter(value);
  if (entry_.environment) {
    state_.counters["sm_clock_mhz_median"] = entry_.environment->sm_clock_mhz_median;
    if (entry_.environment->throttled) state_.SetLabel("throttled");
  }
  finish();
}

void CaseState::skip(const std::string& reason) {
  if (done_) return;
  entry_.status = Status::skipped;
  entry_.reason = reason;
  entry_.samples_s.clear();
  entry_.metrics.clear();
  state_.SkipWithError(("skipped: " + reason).c_str());
  finish();
}

void CaseState::fail(const std::string& reason) {
  if (done_) return;
  entry_.status = Status::error;
  entry_.reason = reason;
  derive_metrics(entry_, nullptr);  // keeps the raw samples' statistics, reports no metric
  state_.SkipWithError(("error: " + reason).c_str());
  finish();
}

void HostCase::run(CaseState& state) const {
  try {
    const std::unique_ptr<Body> body = setup(state);
    if (!body || state.done()) return;
    state.measure(
        [&] {
          const auto t0 = std::chrono::steady_clock::now();
          body->run();
          return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        },
        state.options().policy);
    if (const std::string bad = body->check(); !bad.empty()) return state.fail("validation failed: " + bad);
    state.ok(work({}));
  } catch (const std::bad_alloc&) {
    state.skip("host memory allocation of " + footprint() + " failed");
  } catch (const std::exception& ex) {
    state.fail(ex.what());
  }
}

benchmark::internal::Benchmark* register_benchmark(const std::string& id,
                                                   std::function<void(benchmark::State&)> fn) {
  return benchmark::RegisterBenchmark(id.c_str(), std::move(fn))
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMicrosecond);
}

void Registry::add(std::unique_ptr<Case> c) {
  std::shared_ptr<const Case> shared = std::move(c);
  Run& run = run_;
  register_benchmark(shared->id().str(), [&run, shared](benchmark::State& s) {
    CaseState state(run, s, shared->entry(run.has_gpu() ? run.gpu() : GpuTarget{}));
    shared->run(state);
  });
}

void Registry::add(CaseList cases) {
  for (auto& c : cases) add(std::move(c));
}

}  // namespace gpuscale::bench
