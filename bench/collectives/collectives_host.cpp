// Host backend of bench_collectives: the same collectives, sizes, checks and results document as the
// NCCL backend, over MPI on host buffers, so that the multi-process path (launch, bootstrap,
// lock-step sampling, per-rank aggregation, busbw, the fragment) runs on machines without a GPU.
// Ids carry `host`: collective/host/all_reduce/dtype:fp32/bytes:1024/ranks:4/inplace:0.
//
// Each collective's MPI call is in its own file (collectives/ops/<name>.cpp). BF16 travels as
// MPI_UINT16_T and is summed by a user-defined operator that rounds every addition to BF16. Counts are MPI
// ints: a size of more than 2^31-1 elements is skipped. Without MPI in the build every case is skipped with
// that reason.
//
//   mpirun -np 4 bench_collectives --backend=host --gpuscale_out=host.json
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/driver.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/units.hpp"
#ifdef GPUSCALE_WITH_MPI
#include "collectives/mpi_call.hpp"
#include "collectives/mpi_group.hpp"
#endif

namespace gpuscale::bench {
namespace {

#ifdef GPUSCALE_WITH_MPI

// MemAvailable from /proc/meminfo, in bytes; 0 when unknown.
std::uint64_t host_memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

class MpiHostCase final : public CaseRunner {
 public:
  MpiHostCase(const CaseSpec& s, MpiGroup& g)
      : c_(s.c),
        g_(g),
        n_(g.size()),
        rank_(g.rank()),
        layout_(make_layout(*s.c.op, s.c.bytes, g.size(), s.c.dtype)) {
    dt_ = c_.dtype == DType::fp32 ? MPI_FLOAT : MPI_UINT16_T;
    sum_ = c_.dtype == DType::fp32 ? MPI_SUM : g.bf16_sum();
  }

  std::string does_not_fit() override {
    if (layout_.in_place_count() > static_cast<std::size_t>(INT_MAX))
      return "more than 2^31-1 elements: MPI counts are int";
    const std::uint64_t need = layout_.buffer_bytes(c_.dtype, c_.in_place);
    const std::uint64_t avail = host_memory_available();
    const std::uint64_t margin = 256ull << 20;
    if (avail > 0 && need * static_cast<std::uint64_t>(g_.local_size()) + margin > avail)
      return "needs " + format_bytes(need) + " per rank x " + std::to_string(g_.local_size()) +
             " ranks on this node, " + format_bytes(avail) + " available";
    return {};
  }

  void prepare() override {
    const std::size_t elem = dtype_bytes(c_.dtype);
    if (c_.in_place) {
      recv_.resize(layout_.in_place_count() * elem);
    } else {
      send_.resize(layout_.send_count * elem);
      recv_.resize(layout_.recv_count * elem);
    }
    init_buffers(*c_.op, c_.dtype, rank_, layout_, c_.in_place, send_.data(), recv_.data());
  }

  double run(int iterations) override {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) once();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  std::string check() override {
    const OutputView v = output_view(*c_.op, rank_, layout_, c_.in_place, /*mpi_in_place_semantics=*/true);
    const std::string bad = check_output(*c_.op, c_.dtype, rank_, n_, layout_.chunk,
                                         recv_.data() + v.offset * dtype_bytes(c_.dtype), v.count);
    return bad.empty() ? bad : "validation failed: " + bad;
  }

 private:
  void once() {
    void* recv = recv_.data();
    const void* input = c_.in_place ? recv : static_cast<const void*>(send_.data());
    c_.op->mpi({c_.in_place ? MPI_IN_PLACE : static_cast<void*>(send_.data()), recv, input, layout_,
                dtype_bytes(c_.dtype), dt_, sum_, rank_, n_, c_.in_place, g_.comm()});
  }

  CollectiveCase c_;
  MpiGroup& g_;
  int n_, rank_;
  Layout layout_;
  MPI_Datatype dt_;
  MPI_Op sum_;
  std::vector<char> send_, recv_;
};

#endif  // GPUSCALE_WITH_MPI

// One collective over MPI on host buffers.
class HostCollectiveCase final : public CollectiveBenchCase {
 public:
  using CollectiveBenchCase::CollectiveBenchCase;

  void precheck(CaseState& state) const override {
#ifdef GPUSCALE_WITH_MPI
    if (!dynamic_cast<MpiGroup*>(&ctx_.ranks())) return state.fail("MPI was not initialised");
    // One host rank exchanges nothing: its "bandwidth" would be a local copy or a no-op.
    if (spec_.ranks < 2) return state.skip("one MPI rank moves no data: launch under mpirun -np N (N >= 2)");
    if (!spec_.c.op->mpi) return state.skip(std::string(spec_.c.op->name) + " has no MPI call");
#else
    state.skip("this build has no MPI (install libopenmpi-dev and reconfigure)");
#endif
  }
  nlohmann::json extra_parameters(CaseState&) const override {
#ifdef GPUSCALE_WITH_MPI
    return {{ "mpi_version", mpi_library_version() }};
#else
    return nlohmann::json::object();
#endif
  }
  std::unique_ptr<CaseRunner> make_runner(CaseState&) const override {
#ifdef GPUSCALE_WITH_MPI
    return std::make_unique<MpiHostCase>(spec_, dynamic_cast<MpiGroup&>(ctx_.ranks()));
#else
    throw std::logic_error("this build has no MPI");
#endif
  }
};

}  // namespace

void register_host_collectives(Registry& registry, CollectiveContext& ctx) {
  ctx.run = &registry.run();
  // Under mpirun the world is known before MPI starts (listing does not start it).
  int ranks = ctx.group ? ctx.group->size() : launcher_world_size();
  if (ranks < 1) ranks = 1;
#ifdef GPUSCALE_WITH_MPI
  if (ctx.group) {
    // Every rank registers here, in the same order: gather each rank's node name onto rank 0.
    const auto hosts = ctx.group->gather_text(read_host_info().hostname);
    if (ctx.group->rank() == 0) {
      ResultSink& sink = registry.run().sink();
      LibraryVersions v = sink.libraries();
      v.mpi_version = mpi_library_version();
      sink.set_libraries(v);
      sink.set_job(ctx.group->size(), hosts);
    }
  }
#endif
  for (const CollectiveCase& c : collective_cases(registry.suite(), /*host=*/true))
    registry.add(std::make_unique<HostCollectiveCase>(ctx, CaseSpec{c, ranks, true, "mpi"}));
}

}  // namespace gpuscale::bench
