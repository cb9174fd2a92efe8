// bench_collectives: NCCL collectives (all_reduce, all_gather, reduce_scatter, broadcast, alltoall,
// sendrecv) in FP32 and BF16, in place and out of place, over a message-size sweep, with algbw and
// busbw (nccl-tests' factors, core's bus_factor()), every output checked; and the same benchmarks
// over MPI on host buffers (--backend=host), which CI runs under `mpirun -np 4`.
//
// This main() wraps the harness's bench_main() in an MPI session when the binary was started by
// mpirun/srun (and always for the host backend, a singleton MPI_Init when it was not): ranks other
// than 0 run quietly (no console, no --gpuscale_out, no --benchmark_out), every rank registers the
// same benchmarks in the same order, and each rank of a multi-process GPU job takes the GPU of its
// node-local rank unless --device is given.
//
//   bench_collectives --benchmark_filter='collective/all_reduce/'
//   mpirun -np 8 bench_collectives --suite=full --gpuscale_out=collectives.json
//   mpirun --oversubscribe -np 4 bench_collectives --backend=host --gpuscale_out=host.json
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/driver.hpp"
#include "collectives/nccl_env.hpp"
#include "gpuscale/core/args.hpp"
#include "harness/bench_main.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/gpu_backend.hpp"
#endif
#ifdef GPUSCALE_WITH_MPI
#include "collectives/mpi_group.hpp"
#endif

extern char** environ;

namespace {

using namespace gpuscale::bench;

// The collectives' own options, bound to the context's config.
void add_collective_options(CLI::App& app, CollectiveConfig& config) {
  using gpuscale::cli::finite_number;
  app.add_option("--collective_timeout_s", config.timeout_s,
                 "abort a collective that takes longer than S seconds (default 60)")
      ->type_name("S")
      ->check(
          finite_number("a number of seconds in (0, 86400]", [](double v) { return v > 0 && v <= 86400; }));
  app.add_option("--collective_gpus", config.gpus, "GPUs one process drives (default: all visible)")
      ->type_name("N")
      ->check(finite_number("a GPU count (1, 2, ...)",
                            [](double v) { return v >= 1 && v <= 4096 && v == static_cast<int>(v); }));
  app.add_option("--collective_debug_hang_rank", config.debug_hang_rank,
                 "rank R stalls before its first collective (tests the timeout)")
      ->type_name("R")
      ->check(finite_number("a rank (0, 1, ...)",
                            [](double v) { return v >= 0 && v <= 1e6 && v == static_cast<int>(v); }));
}

#if defined(GPUSCALE_WITH_CUDA) && !defined(GPUSCALE_WITH_NCCL)
// A CUDA build without NCCL: the GPU cases are listed and recorded as skipped, with the reason.
class NoNcclCase final : public CollectiveBenchCase {
 public:
  using CollectiveBenchCase::CollectiveBenchCase;
  void precheck(CaseState& state) const override {
    state.skip("this build has no NCCL (install NCCL and reconfigure)");
  }
  nlohmann::json extra_parameters(CaseState&) const override { return nlohmann::json::object(); }
  std::unique_ptr<CaseRunner> make_runner(CaseState&) const override { return nullptr; }
};

void register_gpu_without_nccl(Registry& registry, CollectiveContext& ctx) {
  ctx.run = &registry.run();
  for (const CollectiveCase& c : collective_cases(registry.suite(), false))
    registry.add(std::make_unique<NoNcclCase>(ctx, CaseSpec{c, 1, false, "nccl"}));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  CollectiveContext ctx;
  BinarySpec spec;
  spec.name = "bench_collectives";
  std::string names;  // the collectives of ops/ops.def
  for (const CollectiveOp* op : collectives()) names += (names.empty() ? "" : ", ") + std::string(op->name);
  spec.description =
      "Collectives (" + names +
      ") in FP32 and BF16,\n"
      "in place and out of place, 8 B .. 1 GiB (x8, quick) or 8 B .. 4 GiB (x2, --suite=full).\n"
      "Reports time, algbw_gbps = size / time and busbw_gbps = algbw x nccl-tests' factor; every output is\n"
      "checked before timing. One process drives every local GPU, or run one process per GPU under\n"
      "mpirun/srun (rank 0 gathers every rank's timings). --backend=host runs the same benchmarks over MPI\n"
      "on host buffers. Only rank 0 prints and writes results. Exit status 3: a collective timed out.";
  spec.example =
      "mpirun -np 8 bench_collectives --benchmark_filter='collective/all_reduce/' --gpuscale_out=c.json";
  spec.register_host = [&ctx](Registry& r) { register_host_collectives(r, ctx); };
#ifdef GPUSCALE_WITH_CUDA
#ifdef GPUSCALE_WITH_NCCL
  spec.register_gpu = [&ctx](Registry& r) { register_gpu_collectives(r, ctx); };
#else
  spec.register_gpu = [&ctx](Registry& r) { register_gpu_without_nccl(r, ctx); };
#endif
  spec.gpu = gpu_backend();
#endif
  spec.add_options = [&ctx](CLI::App& app) { add_collective_options(app, ctx.config); };

  BenchArgs args;
  if (const int rc = parse_bench_args(argc, argv, spec, args, std::cout, std::cerr); rc >= 0) return rc;
  const bool host = args.options.backend == "host";
  const bool runs = !args.listing() && !args.count_gpus;
#ifdef GPUSCALE_WITH_MPI
  std::optional<MpiSession> mpi;
  if (runs && (host || launcher_world_size() > 0)) {
    try {
      mpi.emplace(&argc, &argv);
      ctx.group = std::make_unique<MpiGroup>();
    } catch (const std::exception& e) {
      std::cerr << "bench_collectives: " << e.what() << "\n";
      return 1;
    }
    RankGroup& g = *ctx.group;
    if (g.rank() != 0) {
      // Quiet ranks: Google Benchmark's console goes nowhere; only rank 0 writes files.
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        ::close(null);
      }
      args.options.out.clear();
      args.options.progress = false;
      std::erase_if(args.benchmark_flags,
                    [](const std::string& f) { return f.starts_with("--benchmark_out="); });
      // The console reporter prints its context to stderr; the JSON reporter prints everything to
      // stdout, which goes nowhere here. stderr stays open for this rank's errors.
      args.benchmark_flags.push_back("--benchmark_format=json");
    }
    if (!host && g.size() > 1 && !args.device_given) args.options.device = g.local_rank();
  }
#endif
  if (host && runs) {
    benchmark::AddCustomContext("collective_ranks", std::to_string(ctx.ranks().size()));
  } else if (runs) {
    benchmark::AddCustomContext("nccl_env", nccl_environment_line(nccl_environment(environ)));
    benchmark::AddCustomContext("busbw_note", kBusbwNote);
  }

  int rc = run_bench(args, spec);
  ctx.nccl.reset();   // the NCCL communicators, before MPI and the CUDA runtime go away
  ctx.run = nullptr;  // bench_main's run has ended
  if (ctx.timed_out && rc == 0) rc = 3;
  ctx.group.reset();  // before MPI_Finalize
  return rc;
}
