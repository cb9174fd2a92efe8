// NCCL backend of bench_collectives: every collective of collectives/ops/ops.def (each one's NCCL
// call is in its own file) on device buffers, FP32 and BF16, in place and out of place (see
// collective_ops.hpp for the size convention and the layouts).
//
// Two launch modes, one id scheme (ranks:N = NCCL ranks):
//   one process driving every local GPU  ncclCommInitAll; each collective is one ncclGroupStart/End
//                                        around a call per GPU; --collective_gpus=N limits the GPUs
//   one process per GPU (mpirun / srun)  rank 0's ncclUniqueId is broadcast over MPI, then
//                                        ncclCommInitRank; the GPU is the node-local rank (--device)
// Completion is awaited by polling the streams (cudaStreamQuery) and ncclCommGetAsyncError; past
// --collective_timeout_s the communicators are aborted (ncclCommAbort) and the collective and size
// are reported. Inputs are generated on the host and copied in; outputs are copied back and checked
// element by element before any timing.
//
//   bench_collectives --benchmark_filter='collective/all_reduce/dtype:bf16'
//   mpirun -np 8 bench_collectives --suite=full --gpuscale_out=coll.json
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collectives/driver.hpp"
#include "collectives/nccl_call.hpp"
#include "collectives/nccl_env.hpp"
#include "collectives/watchdog.hpp"
#include "gpu/cuda_check.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/nvml.hpp"
#include "gpu/resources.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/units.hpp"

extern char** environ;

namespace gpuscale::bench {
namespace {

std::string nccl_version_string() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // NCCL_VERSION_CODE: major*10000 + minor*100 + patch since 2.9 (major*1000 + minor*100 + patch before).
  if (v < 20900)
    return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 100) + "." + std::to_string(v % 100);
  return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
}

// The communicators of this process: one per GPU it drives, each with its own stream.
class NcclCommunicators {
 public:
  struct Member {
    int device = 0;
    int rank = 0;  // NCCL rank
    ncclComm_t comm = nullptr;
    Stream stream;
  };

  NcclCommunicators(RankGroup& g, const std::vector<int>& devices) {
    if (g.size() > 1) {
      ncclUniqueId id{};
      if (g.rank() == 0) GPUSCALE_NCCL_CHECK(ncclGetUniqueId(&id));
      g.broadcast(&id, sizeof id);
      GPUSCALE_CUDA_CHECK(cudaSetDevice(devices.at(0)));
      ncclComm_t comm = nullptr;
      GPUSCALE_NCCL_CHECK(ncclCommInitRank(&comm, g.size(), id, g.rank()));
      members_.push_back({devices[0], g.rank(), comm, Stream()});
      ranks_ = g.size();
    } else {
      std::vector<ncclComm_t> comms(devices.size());
      GPUSCALE_NCCL_CHECK(ncclCommInitAll(comms.data(), static_cast<int>(devices.size()), devices.data()));
      for (std::size_t i = 0; i < devices.size(); ++i) {
        GPUSCALE_CUDA_CHECK(cudaSetDevice(devices[i]));
        members_.push_back({devices[i], static_cast<int>(i), comms[i], Stream()});
      }
      ranks_ = static_cast<int>(devices.size());
    }
  }
  ~NcclCommunicators() {
    if (aborted_) return;  // ncclCommAbort freed them
    for (auto& m : members_) {
      if (const ncclResult_t r = ncclCommDestroy(m.comm); r != ncclSuccess)
        std::fprintf(stderr, "ncclCommDestroy: %s\n", ncclGetErrorString(r));
    }
  }
  NcclCommunicators(const NcclCommunicators&) = delete;
  NcclCommunicators& operator=(const NcclCommunicators&) = delete;

  std::vector<Member>& members() { return members_; }
  int ranks() const { return ranks_; }
  bool aborted() const { return aborted_; }

  void abort() {
    if (aborted_) return;
    aborted_ = true;
    for (auto& m : members_) ncclCommAbort(m.comm);
  }

  // Waits for every stream; gives up after `timeout_s`: aborts the communicators and throws.
  void wait(double timeout_s, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (auto& m : members_) {
      for (;;) {
        const cudaError_t q = cudaStreamQuery(m.stream.get());
        if (q == cudaSuccess) break;
        if (q != cudaErrorNotReady) GPUSCALE_CUDA_CHECK(q);
        ncclResult_t async = ncclSuccess;
        GPUSCALE_NCCL_CHECK(ncclCommGetAsyncError(m.comm, &async));
        if (async != ncclSuccess && async != ncclInProgress) {
          abort();
          throw NcclError(async, "ncclCommGetAsyncError", __FILE__, __LINE__);
        }
        if (std::chrono::steady_clock::now() > deadline) {
          abort();
          char buf[32];
          std::snprintf(buf, sizeof buf, "%g", timeout_s);
          throw CollectiveTimeout(what + " timed out after " + buf +
                                  " s (--collective_timeout_s); communicators aborted (ncclCommAbort)");
        }
      }
    }
  }

 private:
  std::vector<Member> members_;
  int ranks_ = 0;
  bool aborted_ = false;
};

}  // namespace

// The communicators of this process, created by the first case that runs; kept in the
// CollectiveContext, which main() resets before MPI and the CUDA runtime go away.
struct NcclState {
  std::unique_ptr<NcclCommunicators> comms;
  std::string init_error;  // set when creating the communicators failed: every case reports it
};

namespace {

ncclDataType_t nccl_type(DType t) {
  return t == DType::fp32 ? ncclFloat32 : ncclBfloat16;
}

class NcclCase final : public CaseRunner {
 public:
  NcclCase(const CaseSpec& s, NcclCommunicators& comms, std::string id, double timeout_s, int nvml_index)
      : c_(s.c),
        comms_(comms),
        id_(std::move(id)),
        timeout_s_(timeout_s),
        nvml_index_(nvml_index),
        layout_(make_layout(*s.c.op, s.c.bytes, comms.ranks(), s.c.dtype)) {}

  std::string does_not_fit() override {
    const std::uint64_t need = layout_.buffer_bytes(c_.dtype, c_.in_place);
    for (auto& m : comms_.members()) {
      GPUSCALE_CUDA_CHECK(cudaSetDevice(m.device));
      std::size_t free = 0, total = 0;
      GPUSCALE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
      // NCCL's own buffers and the context need room beside the message buffers.
      if (need + 512 * kMiB > free)
        return "GPU " + std::to_string(m.device) + ": needs " + format_bytes(need) + " of device memory, " +
               format_bytes(free) + " free";
    }
    return {};
  }

  void prepare() override {
    const std::size_t elem = dtype_bytes(c_.dtype);
    std::vector<char> send_h, recv_h;
    for (auto& m : comms_.members()) {
      GPUSCALE_CUDA_CHECK(cudaSetDevice(m.device));
      Buffers b;
      if (c_.in_place) {
        recv_h.resize(layout_.in_place_count() * elem);
        b.recv = DeviceBuffer<char>(recv_h.size());
      } else {
        send_h.resize(layout_.send_count * elem);
        recv_h.resize(layout_.recv_count * elem);
        b.send = DeviceBuffer<char>(send_h.size());
        b.recv = DeviceBuffer<char>(recv_h.size());
      }
      init_buffers(*c_.op, c_.dtype, m.rank, layout_, c_.in_place, send_h.data(), recv_h.data());
      // On the member's own stream: its streams are non-blocking, so a copy on the legacy stream
      // would not be ordered before the collectives, and the checked run could read stale input.
      // The wait also keeps the host buffers, reused by the next member, alive until the copy is done.
      const cudaStream_t s = m.stream.get();
      if (!c_.in_place)
        GPUSCALE_CUDA_CHECK(
            cudaMemcpyAsync(b.send.get(), send_h.data(), send_h.size(), cudaMemcpyHostToDevice, s));
      GPUSCALE_CUDA_CHECK(
          cudaMemcpyAsync(b.recv.get(), recv_h.data(), recv_h.size(), cudaMemcpyHostToDevice, s));
      m.stream.synchronize();
      buffers_.push_back(std::move(b));
    }
  }

  double run(int iterations) override {
    if (comms_.aborted()) throw std::runtime_error("the communicators were aborted after an earlier timeout");
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      GPUSCALE_NCCL_CHECK(ncclGroupStart());
      for (std::size_t g = 0; g < buffers_.size(); ++g) launch(comms_.members()[g], buffers_[g]);
      GPUSCALE_NCCL_CHECK(ncclGroupEnd());
    }
    comms_.wait(timeout_s_, id_);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  std::string check() override {
    const std::size_t elem = dtype_bytes(c_.dtype);
    std::vector<char> out;
    for (std::size_t g = 0; g < buffers_.size(); ++g) {
      const auto& m = comms_.members()[g];
      const OutputView v =
          output_view(*c_.op, m.rank, layout_, c_.in_place, /*mpi_in_place_semantics=*/false);
      out.resize(v.count * elem);
      GPUSCALE_CUDA_CHECK(cudaSetDevice(m.device));
      GPUSCALE_CUDA_CHECK(cudaMemcpy(out.data(), buffers_[g].recv.get() + v.offset * elem, out.size(),
                                     cudaMemcpyDeviceToHost));
      const std::string bad =
          check_output(*c_.op, c_.dtype, m.rank, comms_.ranks(), layout_.chunk, out.data(), v.count);
      if (!bad.empty()) return "GPU " + std::to_string(m.device) + ": validation failed: " + bad;
    }
    return {};
  }

  bool polls_with_deadline() const override { return true; }

  void sampling_started() override {
    monitor_ = std::make_unique<ClockMonitor>(nvml_index_);
    monitor_->start();
  }
  std::optional<Environment> sampling_stopped() override {
    if (!monitor_) return std::nullopt;
    return monitor_->stop();
  }

 private:
  struct Buffers {
    DeviceBuffer<char> send, recv;
  };

  void launch(NcclCommunicators::Member& m, Buffers& b) {
    char* recv = b.recv.get();
    c_.op->nccl({c_.in_place ? recv : b.send.get(), recv, layout_, dtype_bytes(c_.dtype), nccl_type(c_.dtype),
                 m.rank, comms_.ranks(), c_.in_place, m.comm, m.stream.get()});
  }

  CollectiveCase c_;
  NcclCommunicators& comms_;
  std::string id_;
  double timeout_s_;
  int nvml_index_;
  Layout layout_;
  std::vector<Buffers> buffers_;
  std::unique_ptr<ClockMonitor> monitor_;
};

// The GPUs this process drives: its own under MPI; else --collective_gpus of them (all by default),
// or just --device when that is one.
std::vector<int> process_devices(const CollectiveContext& ctx, RankGroup& g) {
  const int device = ctx.run->options().device;
  if (g.size() > 1) return {device};
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) count = 1;
  const int want = ctx.config.gpus > 0 ? ctx.config.gpus : count;
  if (want == 1) return {device};
  std::vector<int> d;
  for (int i = 0; i < want; ++i) d.push_back(i);
  return d;
}

// Every GPU of the job in the document, not only rank 0's: each rank describes the GPUs it drives
// (all of them when one process drives every GPU) and rank 0 gathers them, with each rank's node.
// Called once by every rank, right after the communicators were created (or failed to be).
void record_job_gpus(const CollectiveContext& ctx, RankGroup& g) {
  std::vector<GpuInfo> mine;
  try {
    for (int d : process_devices(ctx, g)) mine.push_back(describe_gpu(d));
  } catch (const std::exception&) {
    mine.clear();  // this rank's GPUs stay undescribed; the run goes on
  }
  const auto all =
      g.gather_text(rank_gpus_text(read_host_info().hostname, g.rank(), g.size(), std::move(mine)));
  if (g.rank() != 0) return;
  JobGpus job = merge_rank_gpus(all);
  if (!job.gpus.empty()) ctx.run->sink().set_gpus(std::move(job.gpus));
  if (g.size() > 1) ctx.run->sink().set_job(g.size(), std::move(job.hosts));
}

// Creates the communicators on first use; a hang while creating them ends the job like a hung
// collective.
NcclCommunicators* communicators(CollectiveContext& ctx, const BenchmarkEntry& skeleton) {
  if (!ctx.nccl) ctx.nccl = std::make_shared<NcclState>();
  NcclState& st = *ctx.nccl;
  if (st.comms || !st.init_error.empty()) return st.comms.get();
  RankGroup& g = ctx.ranks();
  Watchdog watchdog([&ctx, &skeleton, &g](const std::string& what, double s) {
    report_timeout(ctx, skeleton, what, s);
    g.abort_job(3);
  });
  ArmedWatchdog armed(watchdog, ctx.config.timeout_s, "creating the NCCL communicators");
  std::string mine;
  try {
    st.comms = std::make_unique<NcclCommunicators>(g, process_devices(ctx, g));
  } catch (const std::exception& ex) {
    mine = ex.what();
  }
  st.init_error = g.first_error(mine);
  if (!st.init_error.empty()) st.comms.reset();
  record_job_gpus(ctx, g);
  return st.comms.get();
}

// One collective over NCCL on device buffers.
class GpuCollectiveCase final : public CollectiveBenchCase {
 public:
  using CollectiveBenchCase::CollectiveBenchCase;

  nlohmann::json extra_parameters(CaseState&) const override {
    RankGroup& g = ctx_.ranks();
    return {{"nccl_version", nccl_version_string()},
            {"nccl_env", nccl_environment(environ)},
            {"launch",
             g.size() > 1 ? "one process per GPU (MPI)" : "one process driving every GPU (ncclCommInitAll)"},
            {"processes", g.size()},
            {"busbw_note", kBusbwNote}};
  }
  void precheck(CaseState& state) const override {
    if (!spec_.c.op->nccl) return state.skip(std::string(spec_.c.op->name) + " has no NCCL call");
    if (communicators(ctx_, state.entry())) return;
    state.parameters().update(extra_parameters(state));
    state.fail("creating the NCCL communicators failed: " + ctx_.nccl->init_error);
  }
  std::unique_ptr<CaseRunner> make_runner(CaseState& state) const override {
    return std::make_unique<NcclCase>(spec_, *ctx_.nccl->comms, state.entry().id, ctx_.config.timeout_s,
                                      state.gpu().nvml_index);
  }
};

}  // namespace

CaseList nccl_cases(CollectiveContext& ctx, const std::string& suite, int ranks) {
  CaseList cases;
  for (const CaseSpec& spec : nccl_case_specs(suite, ranks))
    cases.push_back(std::make_unique<GpuCollectiveCase>(ctx, spec));
  return cases;
}

void register_gpu_collectives(Registry& registry, CollectiveContext& ctx) {
  ctx.run = &registry.run();
  // NCCL ranks: the MPI world (known from the launcher before MPI starts, for listing), else the
  // GPUs this process drives. cudaGetDeviceCount creates no context and fails cleanly without a GPU.
  int ranks = ctx.group ? ctx.group->size() : launcher_world_size();
  if (ranks <= 1) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) count = 1;
    ranks = ctx.config.gpus > 0 ? ctx.config.gpus : count;
  }
  registry.add(nccl_cases(ctx, registry.suite(), ranks));
}

}  // namespace gpuscale::bench
