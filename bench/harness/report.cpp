#include "harness/report.hpp"

#include <cstdio>

namespace gpuscale::bench {

void ResultSink::add(BenchmarkEntry e) {
  {
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
  }
  if (on_add) on_add();
}
std::vector<BenchmarkEntry> ResultSink::entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}
void ResultSink::set_gpus(std::vector<GpuInfo> g) {
  std::lock_guard lock(mu_);
  gpus_ = std::move(g);
}
std::vector<GpuInfo> ResultSink::gpus() const {
  std::lock_guard lock(mu_);
  return gpus_;
}

void ResultSink::set_job(int ranks, std::vector<std::string> hosts) {
  std::lock_guard<std::mutex> lock(mu_);
  job_ranks_ = ranks;
  job_hosts_ = std::move(hosts);
}

int ResultSink::job_ranks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return job_ranks_;
}

std::vector<std::string> ResultSink::job_hosts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return job_hosts_;
}
void ResultSink::set_libraries(LibraryVersions v) {
  std::lock_guard lock(mu_);
  libs_ = std::move(v);
}
LibraryVersions ResultSink::libraries() const {
  std::lock_guard lock(mu_);
  return libs_;
}

namespace {

void progress_line(const BenchmarkEntry& e) {
  if (!result_sink().progress) return;
  std::string line = "  " + e.id + "  " + to_string(e.status);
  for (const auto& h : kHeadlineMetrics) {
    if (auto it = e.metrics.find(h.name); it != e.metrics.end()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %.2f %s", it->second, h.name);
      line += buf;
      break;
    }
  }
  if (!e.reason.empty()) line += "  (" + e.reason + ")";
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

ResultSink& result_sink() {
  static ResultSink sink;
  return sink;
}

BenchmarkEntry make_entry(const BenchmarkId& id, nlohmann::json parameters) {
  BenchmarkEntry e;
  e.id = id.str();
  e.family = id.family;
  e.backend = id.host ? "host" : "gpu";
  e.parameters = std::move(parameters);
  return e;
}

void finish_ok(benchmark::State& state, BenchmarkEntry e) {
  ResultSink& sink = result_sink();
  derive_metrics(e, e.backend == "gpu" ? sink.spec : nullptr,
                 e.backend == "gpu" ? sink.max_sm_clock_mhz : 0);
  for (const auto& [name, value] : e.metrics)
    if (name != "time_s") state.counters[name] = benchmark::Counter(value);
  if (e.environment) {
    state.counters["sm_clock_mhz_median"] = e.environment->sm_clock_mhz_median;
    if (e.environment->throttled) state.SetLabel("throttled");
  }
  progress_line(e);
  sink.add(std::move(e));
}

void finish_skipped(benchmark::State& state, BenchmarkEntry e, const std::string& reason) {
  e.status = Status::skipped;
  e.reason = reason;
  e.samples_s.clear();
  e.metrics.clear();
  state.SkipWithError(("skipped: " + reason).c_str());
  progress_line(e);
  result_sink().add(std::move(e));
}

void finish_error(benchmark::State& state, BenchmarkEntry e, const std::string& reason) {
  e.status = Status::error;
  e.reason = reason;
  derive_metrics(e, nullptr);  // keeps the raw samples' statistics, reports no metric
  state.SkipWithError(("error: " + reason).c_str());
  progress_line(e);
  result_sink().add(std::move(e));
}

}  // namespace gpuscale::bench

namespace gpuscale::bench {

void measure(benchmark::State& state, BenchmarkEntry& e, const std::function<double()>& sample,
             const SamplingPolicy& policy) {
  for (auto _ : state) {
    e.samples_s = collect_samples(sample, policy);
    state.SetIterationTime(median(e.samples_s));
  }
}

}  // namespace gpuscale::bench
