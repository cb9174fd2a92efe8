// The entries the GPU bench binaries declare, built on the host (no GPU) for a given machine: the
// id, the parameters known before a benchmark runs and the work one sample declares, from the very
// cases the binaries register (Case::declared). Shared by the contract test (which runs them
// through calibration) and the golden test (which compares them with the committed golden files).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectives/driver.hpp"
#include "compute/compute_cases.hpp"
#include "gemm/suite.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"
#include "memory/memory_cases.hpp"
#include "transfer/transfer_cases.hpp"

namespace gpuscale::bench::fixtures {

// The facts registration and the declared work read from the machine.
struct MachineFacts {
  int sm_count = 132;  // an H200
  int cc_major = 9, cc_minor = 0;
  int nccl_ranks = 1;  // bench_collectives: the NCCL ranks it registers
  int gpus = 0;        // bench_transfer: the GPUs of the peer matrix
};

inline GpuTarget target_of(const MachineFacts& m) {
  GpuTarget t;
  t.info.sm_count = m.sm_count;
  t.info.cc_major = m.cc_major;
  t.info.cc_minor = m.cc_minor;
  t.info.l2_bytes = 50331648;
  return t;
}

// What each case declares, with the one correction the run would make before it ends: the shape a
// MAMF search tries first stands for the one it chooses (only known on a GPU).
inline std::vector<BenchmarkEntry> declared(const CaseList& cases, const MachineFacts& m) {
  std::vector<BenchmarkEntry> out;
  const GpuTarget gpu = target_of(m);
  for (const auto& c : cases) {
    BenchmarkEntry e = c->declared(gpu);
    if (const auto mamf = gemm::mamf_of(*c))
      e.parameters.update(gemm::mamf_shape_parameters(*gemm::MamfSearch(mamf->space).next()));
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<BenchmarkEntry> memory_entries(const std::string& suite, const MachineFacts& m) {
  return declared(memory_gpu_cases(suite), m);
}

inline std::vector<BenchmarkEntry> compute_entries(const std::string&, const MachineFacts& m) {
  return declared(compute_gpu_cases(), m);
}

inline std::vector<BenchmarkEntry> gemm_entries(const std::string& suite, const MachineFacts& m) {
  return declared(gemm::gemm_gpu_cases(suite), m);
}

// The NCCL cases' declarations (their id, parameters and work are CollectiveBenchCase's); an entry
// whose message is less than one element per rank is skipped, as the driver does.
inline std::vector<BenchmarkEntry> collective_entries(const std::string& suite, const MachineFacts& m) {
  struct Declared final : CollectiveBenchCase {
    using CollectiveBenchCase::CollectiveBenchCase;
    nlohmann::json extra_parameters(CaseState&) const override { return nlohmann::json::object(); }
    std::unique_ptr<CaseRunner> make_runner(CaseState&) const override { return nullptr; }
  };
  CollectiveContext ctx;  // read by no declaration; outlives the cases
  CaseList cases;
  for (const CaseSpec& s : nccl_case_specs(suite, m.nccl_ranks))
    cases.push_back(std::make_unique<Declared>(ctx, s));
  std::vector<BenchmarkEntry> out = declared(cases, m);
  for (BenchmarkEntry& e : out)
    if (e.work.message_bytes == 0) {
      e.status = Status::skipped;
      e.reason = "less than one element per rank";
    }
  return out;
}

inline std::vector<BenchmarkEntry> transfer_entries(const std::string& suite, const MachineFacts& m) {
  return declared(transfer_gpu_cases(suite, m.gpus), m);
}

// The GPU entries of one binary ("bench_memory", ...), in registration order.
inline std::vector<BenchmarkEntry> gpu_entries(const std::string& binary, const std::string& suite,
                                               const MachineFacts& m) {
  if (binary == "bench_memory") return memory_entries(suite, m);
  if (binary == "bench_compute") return compute_entries(suite, m);
  if (binary == "bench_gemm") return gemm_entries(suite, m);
  if (binary == "bench_collectives") return collective_entries(suite, m);
  if (binary == "bench_transfer") return transfer_entries(suite, m);
  return {};
}

}  // namespace gpuscale::bench::fixtures
