// Where a binary's results go: every finished entry, the GPUs it measured, the library versions and,
// for a multi-process job, its extent; and the results fragment written from them (--gpuscale_out).
//
// ResultSink is one object per process, owned by the Run (harness/run.hpp) and passed to whoever
// adds to it; every member is guarded by its mutex (a collective's watchdog adds its error entry
// from its own thread).
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

class ResultSink {
 public:
  // Stores `e`, then calls the on_add hook (outside the lock).
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
  // Called after every add(): bench_main rewrites the --gpuscale_out fragment there, so a binary that
  // crashes or is killed later keeps every benchmark it finished. Empty: nothing is called.
  void set_on_add(std::function<void()> hook);

 private:
  mutable std::mutex mu_;
  std::vector<BenchmarkEntry> entries_;
  std::vector<GpuInfo> gpus_;
  LibraryVersions libs_;
  int job_ranks_ = 0;
  std::vector<std::string> job_hosts_;
  std::function<void()> on_add_;
};

// A new entry for `id`, family and backend taken from the id.
BenchmarkEntry make_entry(const BenchmarkId& id, nlohmann::json parameters);

// "  memory/copy/bytes:1048576/width:16  ok  1234.56 bandwidth_gbps": what --gpuscale_progress prints.
std::string progress_line(const BenchmarkEntry& e);

// The results fragment of one binary: system, GPUs and entries, as `gpuscale run` merges them.
nlohmann::json fragment_json(const ResultSink& sink, const std::string& binary, const std::string& backend,
                             const std::string& suite);

}  // namespace gpuscale::bench
