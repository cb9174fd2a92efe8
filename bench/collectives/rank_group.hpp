// The processes that take part in a collective benchmark: the MPI world when the binary was started
// by mpirun or srun (one process per GPU, or the host backend), or this process alone (one process
// driving every local GPU). The driver agrees on decisions and gathers timings through it, so the
// same driver code serves both.
#pragma once

#include <array>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gpuscale/core/results.hpp"

namespace gpuscale::bench {

class RankGroup {
 public:
  virtual ~RankGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // index among the ranks on this node
  virtual int local_size() const = 0;
  virtual bool is_mpi() const = 0;
  // Element-wise maximum over ranks; every rank gets the result.
  virtual std::array<double, 2> max(std::array<double, 2> v) = 0;
  // The first (lowest-rank) non-empty text, prefixed "rank R: "; "" when every rank passed "".
  virtual std::string first_error(const std::string& mine) = 0;
  // Rank 0's `bytes` at `data` on every rank (the NCCL unique id).
  virtual void broadcast(void* data, std::size_t bytes) = 0;
  // Every rank's vector on rank 0 (all of the same length); other ranks get {}.
  virtual std::vector<std::vector<double>> gather(const std::vector<double>& mine) = 0;
  // Every rank's text on rank 0, in rank order (any lengths); other ranks get {}.
  virtual std::vector<std::string> gather_text(const std::string& mine) = 0;
  // Ends the whole job now with `code` (MPI_Abort; a lone process exits). Only for a hung job.
  [[noreturn]] virtual void abort_job(int code) = 0;
};

// This process alone.
class LocalGroup final : public RankGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  bool is_mpi() const override { return false; }
  std::array<double, 2> max(std::array<double, 2> v) override { return v; }
  std::string first_error(const std::string& mine) override {
    return mine.empty() ? mine : "rank 0: " + mine;
  }
  void broadcast(void*, std::size_t) override {}
  std::vector<std::vector<double>> gather(const std::vector<double>& mine) override { return {mine}; }
  std::vector<std::string> gather_text(const std::string& mine) override { return {mine}; }
  // A process whose GPU work hangs cannot unwind: the documented way out is to end it, after the
  // caller has written what it measured.
  [[noreturn]] void abort_job(int code) override { std::_Exit(code); }
};

// What every rank of a job drove, gathered on rank 0 (gather_text of rank_gpus_text): the GPUs in
// rank order, each with its node and rank when the job has several processes, and each rank's node.
struct JobGpus {
  std::vector<GpuInfo> gpus;
  std::vector<std::string> hosts;  // one per rank that answered, in rank order
};
// One rank's message: its node and the GPUs it drives (host and rank filled in when ranks > 1).
std::string rank_gpus_text(const std::string& host, int rank, int ranks, std::vector<GpuInfo> gpus);
// Rank 0's merge of every rank's message; a message that does not parse is left out.
JobGpus merge_rank_gpus(const std::vector<std::string>& texts);

// How many processes the launcher started, from the environment it sets (Open MPI, PMI/Hydra,
// Slurm with PMIx); 0 when the binary was not started by an MPI launcher. `getenv` is injectable
// for tests.
int launcher_world_size(const std::function<const char*(const char*)>& getenv = ::getenv);

}  // namespace gpuscale::bench
