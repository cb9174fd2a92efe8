#include "harness/report.hpp"

#include <cstdio>

#include "gpuscale/core/host_info.hpp"

namespace gpuscale::bench {

void ResultSink::add(BenchmarkEntry e) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    hook = on_add_;
  }
  if (hook) hook();
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
void ResultSink::set_libraries(LibraryVersions v) {
  std::lock_guard lock(mu_);
  libs_ = std::move(v);
}
LibraryVersions ResultSink::libraries() const {
  std::lock_guard lock(mu_);
  return libs_;
}
void ResultSink::set_job(int ranks, std::vector<std::string> hosts) {
  std::lock_guard lock(mu_);
  job_ranks_ = ranks;
  job_hosts_ = std::move(hosts);
}
int ResultSink::job_ranks() const {
  std::lock_guard lock(mu_);
  return job_ranks_;
}
std::vector<std::string> ResultSink::job_hosts() const {
  std::lock_guard lock(mu_);
  return job_hosts_;
}
void ResultSink::set_on_add(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  on_add_ = std::move(hook);
}

BenchmarkEntry make_entry(const BenchmarkId& id, nlohmann::json parameters) {
  BenchmarkEntry e;
  e.id = id.str();
  e.family = id.family;
  e.backend = id.host ? "host" : "gpu";
  e.parameters = std::move(parameters);
  return e;
}

std::string progress_line(const BenchmarkEntry& e) {
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
  return line;
}

nlohmann::json fragment_json(const ResultSink& sink, const std::string& binary, const std::string& backend,
                             const std::string& suite) {
  nlohmann::json j;
  j["fragment_of"] = binary;
  j["backend"] = backend;
  j["suite"] = suite;
  j["system"] = make_system_json(read_host_info(), sink.libraries());
  if (sink.job_ranks() > 1) add_job_extent(j["system"], sink.job_ranks(), sink.job_hosts());
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : sink.gpus()) gpus.push_back(to_json(g));
  j["gpus"] = gpus;
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : sink.entries()) entries.push_back(to_json(e));
  j["benchmarks"] = entries;
  return j;
}

}  // namespace gpuscale::bench
