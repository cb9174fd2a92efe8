// The collective kind of case (harness/case.hpp) and its driver. A CollectiveBenchCase declares the id,
// parameters and work (message bytes, bus factor) of one collective at one size; a backend (NCCL on
// device buffers, MPI on host buffers) supplies a CaseRunner: does it fit, prepare the buffers, run N
// collectives back to back until complete, check the output. The driver does the rest, identically
// on every rank:
//   1. agree that every rank can hold the buffers (else the case is skipped everywhere)
//   2. prepare, run once, check every rank's output (outside the timed region; a wrong output is an
//      error, never a number)
//   3. size the batch (collectives per sample) from one run, the max over ranks
//   4. sample in lock step (rank_stats.hpp), gather every rank's samples on rank 0
//   5. rank 0 builds the entry: samples = per-iteration max over ranks, rank_time_s and slowest_rank
//      in the parameters, work.message_bytes and work.bus_factor for core's algbw/busbw.
// Time is the host's wall clock around a batch of collectives and the wait for their completion,
// divided by the batch (as nccl-tests does).
//
// Every step that waits on other ranks runs under a watchdog (--collective_timeout_s): a rank that
// hangs makes the others report which collective and size timed out, rank 0 records it as an error
// in --gpuscale_out, and the job is aborted rather than left hanging.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/collective_ops.hpp"
#include "collectives/rank_group.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"
#include "harness/options.hpp"

namespace gpuscale::bench {

struct CollectiveConfig {
  double timeout_s = 60;     // --collective_timeout_s
  int gpus = 0;              // --collective_gpus: GPUs one process drives (0: every visible GPU)
  int debug_hang_rank = -1;  // --collective_debug_hang_rank: this rank stalls (tests the timeout)
};

struct NcclState;  // the NCCL backend's communicators (collectives_nccl.cpp)

// The state of one bench_collectives process, owned by its main() and passed to every case: the
// options, the ranks, the run the results go to (set when the cases are registered), and whether a
// timeout ended a benchmark. Only the two flags change while benchmarks run (from the watchdog's
// thread too), and they are atomic.
struct CollectiveContext {
  CollectiveConfig config;
  std::unique_ptr<RankGroup> group;  // the MPI world, or null until main sets it (then: alone)
  Run* run = nullptr;                // set by the registration, before any case runs
  std::shared_ptr<NcclState> nccl;   // NCCL builds: the communicators, created on first use
  std::atomic<bool> timed_out{false};
  std::atomic<bool> hang_done{false};
  RankGroup& ranks();  // group, or a LocalGroup
};

// Thrown by a backend whose wait for completion passed the deadline (after it aborted its
// communicator).
class CollectiveTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CaseRunner {
 public:
  virtual ~CaseRunner() = default;
  // "" when this rank can hold the case's buffers, else why not.
  virtual std::string does_not_fit() = 0;
  // Allocates and fills inputs and sentinel outputs (init_buffers()).
  virtual void prepare() = 0;
  // Runs `iterations` collectives back to back and waits for all of them; returns the seconds taken.
  // May throw CollectiveTimeout.
  virtual double run(int iterations) = 0;
  // "" when this rank's output is right, else the first wrong element.
  virtual std::string check() = 0;
  // True when run() itself gives up at the timeout (polling for completion, then aborting its
  // communicator); the watchdog then waits a grace period longer, as the last resort.
  virtual bool polls_with_deadline() const { return false; }
  // Around the sampling: the GPU backend watches clocks and temperature (ClockMonitor).
  virtual void sampling_started() {}
  virtual std::optional<Environment> sampling_stopped() { return std::nullopt; }
};

struct CaseSpec {
  CollectiveCase c;
  int ranks = 1;
  bool host = false;
  std::string backend_label;  // "mpi" | "nccl"
};

// Parameters every collective entry carries (axes, the size convention, the bus factor).
nlohmann::json case_parameters(const CaseSpec& s, const Layout& l);

// The specs the NCCL backend registers for `suite` at `ranks` NCCL ranks, in registration order.
std::vector<CaseSpec> nccl_case_specs(const std::string& suite, int ranks);

// The work of one collective: the message bytes actually moved (core's algbw) and the bus factor
// (busbw = algbw x bus_factor).
Work collective_work(const CaseSpec& s);

// One collective at one size. A backend derives from it: what it checks before the ranks agree
// (precheck), the parameters only a run knows (extra_parameters) and its runner.
class CollectiveBenchCase : public Case {
 public:
  CollectiveBenchCase(CollectiveContext& ctx, CaseSpec spec) : ctx_(ctx), spec_(std::move(spec)) {}
  const CaseSpec& spec() const { return spec_; }

  BenchmarkId id() const override;
  nlohmann::json parameters(const GpuTarget& gpu) const override;
  Work work(const GpuTarget& gpu) const override;
  std::optional<int> gpu_index(const GpuTarget& gpu) const override;

  // Ends the benchmark before any agreement when this process cannot run it (no MPI, one rank, no
  // communicators); the default does nothing.
  virtual void precheck(CaseState& state) const;
  // Parameters merged into the entry (library versions, NCCL environment).
  virtual nlohmann::json extra_parameters(CaseState& state) const = 0;
  // Called once every rank agreed the case can run.
  virtual std::unique_ptr<CaseRunner> make_runner(CaseState& state) const = 0;

  void run(CaseState& state) const final;

 protected:
  CollectiveContext& ctx_;
  CaseSpec spec_;
};

// Reports a timeout (stderr, an error entry and the fragment on rank 0). Returns the message.
std::string report_timeout(CollectiveContext& ctx, const BenchmarkEntry& skeleton, const std::string& what,
                           double seconds);

// Registration of each backend's cases; the NCCL one is defined only in CUDA+NCCL builds.
void register_host_collectives(Registry& registry, CollectiveContext& ctx);  // MPI on host buffers
void register_gpu_collectives(Registry& registry, CollectiveContext& ctx);   // NCCL
// The NCCL backend's cases for `suite` at `ranks` NCCL ranks (CUDA+NCCL builds).
CaseList nccl_cases(CollectiveContext& ctx, const std::string& suite, int ranks);

}  // namespace gpuscale::bench
