#include "collectives/rank_group.hpp"

#include <string>

namespace gpuscale::bench {

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
