// The entries the GPU bench binaries declare, built on the host (no GPU) for a given machine: the
// id, the parameters known before a benchmark runs and the work one sample declares, from the very
// functions the GPU bodies use. Shared by the contract test (which runs them through calibration)
// and the golden test (which compares them with the committed golden files).
#pragma once

#include <string>
#include <vector>

#include "collectives/driver.hpp"
#include "compute/compute_cases.hpp"
#include "gemm/suite.hpp"
#include "gpuscale/core/results.hpp"
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

inline std::vector<BenchmarkEntry> memory_entries(const std::string& suite, const MachineFacts&) {
  std::vector<BenchmarkEntry> out;
  for (const MemoryCase& c : gpu_memory_cases(suite)) {
    BenchmarkEntry e = memory_entry(c);
    e.work = memory_work(c);
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<BenchmarkEntry> compute_entries(const std::string&, const MachineFacts& m) {
  std::vector<BenchmarkEntry> out;
  for (const ComputeCase& c : compute_cases()) {
    BenchmarkEntry e = compute_entry(c, m.sm_count);
    e.work = compute_work(c, m.sm_count, m.cc_major, m.cc_minor);
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<BenchmarkEntry> gemm_entries(const std::string& suite, const MachineFacts&) {
  std::vector<BenchmarkEntry> out;
  const gemm::Suite s = gemm::gemm_suite(suite);
  for (const gemm::GemmCase& c : s.gemms) {
    BenchmarkEntry e = gemm::gemm_entry(c);
    e.work = gemm::gemm_work(c.precision, c.shape);
    out.push_back(std::move(e));
  }
  for (const gemm::MamfCase& c : s.mamf) {
    // The search's choice is only known on a GPU: take the first shape it tries.
    gemm::MamfSearch search(c.space);
    const gemm::GemmShape chosen = *search.next();
    BenchmarkEntry e = gemm::mamf_entry(c);
    e.parameters.update(gemm::mamf_shape_parameters(chosen));
    e.work = gemm::gemm_work(c.precision, chosen);
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<BenchmarkEntry> collective_entries(const std::string& suite, const MachineFacts& m) {
  std::vector<BenchmarkEntry> out;
  for (const CaseSpec& s : nccl_case_specs(suite, m.nccl_ranks)) {
    BenchmarkEntry e = collective_entry(s);
    e.work = collective_work(s);
    if (e.work.message_bytes == 0) {  // as run_case does: less than one element per rank
      e.status = Status::skipped;
      e.reason = "less than one element per rank";
    }
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<BenchmarkEntry> transfer_entries(const std::string& suite, const MachineFacts& m) {
  std::vector<BenchmarkEntry> out;
  for (const TransferCase& c : gpu_transfer_cases(suite, m.gpus)) {
    BenchmarkEntry e = transfer_entry(c);
    e.work = transfer_work(c);
    out.push_back(std::move(e));
  }
  return out;
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
