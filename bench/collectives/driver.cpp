#include "collectives/driver.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "collectives/rank_stats.hpp"
#include "collectives/watchdog.hpp"
#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/stats.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::bench {

RankGroup& CollectiveContext::ranks() {
  if (!group) group = std::make_unique<LocalGroup>();
  return *group;
}

nlohmann::json case_parameters(const CaseSpec& s, const Layout& l) {
  return {{"collective", s.c.op->name},
          {"dtype", dtype_name(s.c.dtype)},
          {"bytes", s.c.bytes},
          {"message_bytes", l.message_bytes},
          {"ranks", s.ranks},
          {"in_place", s.c.in_place},
          {"bus_factor", collective_bus_factor(*s.c.op, s.ranks)},
          {"library", s.backend_label},
          {"size_convention",
           "nccl-tests size: bytes of the largest buffer of one rank (all_gather: the gathered "
           "output; reduce_scatter, alltoall: the input)"},
          {"timing",
           "wall clock per batch of back-to-back collectives; samples are the per-iteration max over "
           "ranks"}};
}

std::vector<CaseSpec> nccl_case_specs(const std::string& suite, int ranks) {
  std::vector<CaseSpec> specs;
  for (const CollectiveCase& c : collective_cases(suite, /*host=*/false))
    specs.push_back({c, ranks, false, "nccl"});
  return specs;
}

Work collective_work(const CaseSpec& s) {
  Work w;
  w.message_bytes = static_cast<double>(make_layout(*s.c.op, s.c.bytes, s.ranks, s.c.dtype).message_bytes);
  w.bus_factor = collective_bus_factor(*s.c.op, s.ranks);
  return w;
}

BenchmarkId CollectiveBenchCase::id() const {
  return collective_id(spec_.c, spec_.ranks, spec_.host);
}

nlohmann::json CollectiveBenchCase::parameters(const GpuTarget&) const {
  return case_parameters(spec_, make_layout(*spec_.c.op, spec_.c.bytes, spec_.ranks, spec_.c.dtype));
}

Work CollectiveBenchCase::work(const GpuTarget&) const {
  return collective_work(spec_);
}

std::optional<int> CollectiveBenchCase::gpu_index(const GpuTarget& gpu) const {
  if (spec_.host) return std::nullopt;
  return gpu.device;  // the GPU of this process (the first, when it drives several)
}

void CollectiveBenchCase::precheck(CaseState&) const {}

std::string report_timeout(CollectiveContext& ctx, const BenchmarkEntry& skeleton, const std::string& what,
                           double seconds) {
  ctx.timed_out = true;
  RankGroup& g = ctx.ranks();
  const std::string binary = ctx.run ? ctx.run->binary() : "bench_collectives";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", seconds);
  const std::string msg = "timed out after " + std::string(buf) + " s (--collective_timeout_s) in " + what +
                          " of " + skeleton.id + "; aborting";
  std::fprintf(stderr, "%s: rank %d: %s\n", binary.c_str(), g.rank(), msg.c_str());
  if (g.rank() == 0 && ctx.run) {
    BenchmarkEntry e = skeleton;
    e.status = Status::error;
    e.reason = msg;
    ctx.run->sink().add(std::move(e));  // its hook rewrites the fragment
    if (!ctx.run->options().out.empty()) {
      try {
        ctx.run->write_fragment();
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "%s: %s\n", binary.c_str(), ex.what());
      }
    }
  }
  return msg;
}

namespace {

// The job cannot go on once a rank hangs: report, and let rank 0 write its fragment before the
// other ranks end the job (should rank 0 be the one that hangs, they end it after the grace time).
[[noreturn]] void abort_hung_job(CollectiveContext& ctx, const BenchmarkEntry& skeleton,
                                 const std::string& what, double seconds) {
  report_timeout(ctx, skeleton, what, seconds);
  RankGroup& g = ctx.ranks();
  if (g.rank() != 0) std::this_thread::sleep_for(std::chrono::seconds(3));
  g.abort_job(3);
  std::_Exit(3);  // abort_job does not return; the compiler cannot see that through the virtual call
}

// --collective_debug_hang_rank: the chosen rank stalls before its first collective, as a rank whose
// GPU or network hangs would; the others must time out and end the job.
void maybe_hang(CollectiveContext& ctx, RankGroup& g) {
  if (g.rank() != ctx.config.debug_hang_rank || ctx.hang_done.exchange(true)) return;
  std::fprintf(stderr, "%s: rank %d: stalling on purpose (--collective_debug_hang_rank)\n",
               ctx.run ? ctx.run->binary().c_str() : "bench_collectives", g.rank());
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(10 * ctx.config.timeout_s + 10);
  while (std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

void CollectiveBenchCase::run(CaseState& state) const {
  CollectiveContext& ctx = ctx_;
  const CaseSpec& spec = spec_;
  precheck(state);
  if (state.done()) return;
  RankGroup& g = ctx.ranks();
  const Layout layout = make_layout(*spec.c.op, spec.c.bytes, spec.ranks, spec.c.dtype);
  state.parameters().update(extra_parameters(state));
  if (layout.message_bytes == 0)
    return state.skip(std::to_string(spec.c.bytes) + " B is less than one " +
                      std::string(dtype_name(spec.c.dtype)) + " element per rank for " +
                      std::to_string(spec.ranks) + " ranks");
  if (g.size() > 1 && g.size() != spec.ranks)
    return state.fail("registered for " + std::to_string(spec.ranks) + " ranks, the job has " +
                      std::to_string(g.size()));

  const BenchmarkEntry skeleton = state.entry();  // what the watchdog reports, should it fire
  const double timeout_s = ctx.config.timeout_s;
  Watchdog watchdog(
      [&ctx, &skeleton](const std::string& what, double s) { abort_hung_job(ctx, skeleton, what, s); });
  double run_timeout_s = timeout_s;  // for steps that run collectives
  auto guarded = [&](const char* what) { return ArmedWatchdog(watchdog, timeout_s, what); };
  auto guarded_run = [&](const char* what) { return ArmedWatchdog(watchdog, run_timeout_s, what); };
  const SamplingPolicy& policy = state.options().policy;

  try {
    std::unique_ptr<CaseRunner> runner;
    std::string why;
    try {
      runner = make_runner(state);
      why = runner->does_not_fit();
    } catch (const std::exception& ex) {
      why = std::string("cannot set up: ") + ex.what();
    }
    if (runner && runner->polls_with_deadline()) run_timeout_s = timeout_s + 10;
    {
      auto w = guarded("the agreement that every rank can run it");
      if (const std::string any = g.first_error(why); !any.empty()) return state.skip(any);
    }

    std::string failed;
    try {
      runner->prepare();
    } catch (const std::exception& ex) {
      failed = std::string("prepare: ") + ex.what();
    }
    {
      auto w = guarded("the agreement after preparing the buffers");
      if (const std::string any = g.first_error(failed); !any.empty()) return state.fail(any);
    }

    maybe_hang(ctx, g);
    {
      auto w = guarded_run("the checked run");
      std::string bad;
      try {
        runner->run(1);
        bad = runner->check();
      } catch (const CollectiveTimeout&) {
        throw;
      } catch (const std::exception& ex) {
        bad = std::string("run failed: ") + ex.what();  // agreed on below: no rank is left waiting
      }
      if (const std::string any = g.first_error(bad); !any.empty()) return state.fail("checked run: " + any);
    }

    int batch = 1;
    {
      auto w = guarded_run("sizing the batch");
      runner->run(1);  // the first run after the check pays for nothing left over
      const double one = g.max({runner->run(1), 0.0})[0];
      batch = batch_for(one, policy);
    }
    state.parameters()["batch"] = batch;

    InStepSamples samples;
    runner->sampling_started();
    for (auto _ : state.gbench()) {
      samples = collect_samples_in_step(
          [&] {
            auto w = guarded_run("a timed sample");
            return runner->run(batch) / batch;
          },
          policy,
          [&](std::array<double, 2> v) {
            auto w = guarded("the agreement after a sample");
            return g.max(v);
          });
      state.gbench().SetIterationTime(median(samples.slowest));
    }
    state.entry().environment = runner->sampling_stopped();

    std::vector<std::vector<double>> per_rank;
    {
      auto w = guarded("gathering the timings");
      per_rank = g.gather(samples.mine);
    }
    if (g.rank() == 0) {
      const RankAggregate a = aggregate_ranks(per_rank);
      state.entry().samples_s = a.completion_s;
      state.parameters()["rank_time_s"] = {{"min", a.min_s}, {"avg", a.avg_s}, {"max", a.max_s}};
      state.parameters()["slowest_rank"] = a.slowest_rank;
    } else {
      state.entry().samples_s = samples.mine;
    }
    state.ok(work(state.run().has_gpu() ? state.gpu() : GpuTarget{}));
  } catch (const CollectiveTimeout& ex) {
    // A backend that polls for completion aborted its communicator itself.
    if (g.size() > 1) abort_hung_job(ctx, skeleton, ex.what(), timeout_s);
    ctx.timed_out = true;
    state.fail(ex.what());
  } catch (const std::exception& ex) {
    state.fail(ex.what());
  }
}

}  // namespace gpuscale::bench
