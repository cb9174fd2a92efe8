#include "collectives/rank_group.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace gpuscale::bench {

std::string rank_gpus_text(const std::string& host, int rank, int ranks, std::vector<GpuInfo> gpus) {
  nlohmann::json j = {{"host", host}, {"gpus", nlohmann::json::array()}};
  for (auto& g : gpus) {
    if (ranks > 1) g.host = host, g.rank = rank;
    j["gpus"].push_back(to_json(g));
  }
  return j.dump();
}

JobGpus merge_rank_gpus(const std::vector<std::string>& texts) {
  JobGpus out;
  for (const auto& text : texts) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    std::vector<GpuInfo> mine;
    try {
      for (const auto& x : j.value("gpus", nlohmann::json::array())) mine.push_back(gpu_info_from_json(x));
    } catch (const std::exception&) {
      continue;
    }
    out.hosts.push_back(j.value("host", std::string()));
    for (auto& g : mine) out.gpus.push_back(std::move(g));
  }
  return out;
}

int launcher_world_size(const std::function<const char*(const char*)>& getenv) {
  auto number = [&](const char* name) -> int {
    const char* v = getenv(name);
    if (!v || !*v) return 0;
    try {
      return std::stoi(v);
    } catch (const std::exception&) {
      return 0;
    }
  };
  if (int n = number("OMPI_COMM_WORLD_SIZE")) return n;  // Open MPI's mpirun
  if (int n = number("PMI_SIZE")) return n;              // MPICH/Hydra, srun --mpi=pmi2
  // srun --mpi=pmix: PMIx names the rank, Slurm the step's task count. SLURM_NTASKS alone is also
  // set inside a batch script that was not started by srun, so it does not count.
  if (getenv("PMIX_RANK") && number("SLURM_STEP_NUM_TASKS")) return number("SLURM_STEP_NUM_TASKS");
  return 0;
}

}  // namespace gpuscale::bench
