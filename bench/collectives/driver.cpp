#include "collectives/driver.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "collectives/rank_stats.hpp"
#include "collectives/watchdog.hpp"
#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/units.hpp"
#include "harness/bench_main.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {

CollectiveContext& collective_context() {
  static CollectiveContext ctx;
  return ctx;
}

RankGroup& CollectiveContext::ranks() {
  if (!group) group = std::make_unique<LocalGroup>();
  return *group;
}

nlohmann::json case_parameters(const CaseSpec& s, const Layout& l) {
  const auto& info = collective_info(s.c.op);
  return {{"collective", info.name},
          {"dtype", dtype_name(s.c.dtype)},
          {"bytes", s.c.bytes},
          {"message_bytes", l.message_bytes},
          {"ranks", s.ranks},
          {"in_place", s.c.in_place},
          {"bus_factor", collective_bus_factor(s.c.op, s.ranks)},
          {"library", s.backend_label},
          {"size_convention", "nccl-tests size: bytes of the largest buffer of one rank (all_gather: the gathered "
                              "output; reduce_scatter, alltoall: the input)"},
          {"timing", "wall clock per batch of back-to-back collectives; samples are the per-iteration max over "
                     "ranks"}};
}

std::vector<CaseSpec> nccl_case_specs(const std::string& suite, int ranks) {
  std::vector<CaseSpec> specs;
  for (const CollectiveCase& c : collective_cases(suite, /*host=*/false))
    specs.push_back({c, ranks, false, "nccl", std::nullopt});
  return specs;
}

BenchmarkEntry collective_entry(const CaseSpec& s) {
  const Layout layout = make_layout(s.c.op, s.c.bytes, s.ranks, s.c.dtype);
  return make_entry(BenchmarkId::parse(collective_id(s.c, s.ranks, s.host)), case_parameters(s, layout));
}

Work collective_work(const CaseSpec& s) {
  Work w;
  w.message_bytes = static_cast<double>(make_layout(s.c.op, s.c.bytes, s.ranks, s.c.dtype).message_bytes);
  w.bus_factor = collective_bus_factor(s.c.op, s.ranks);
  return w;
}

std::string report_timeout(const BenchmarkEntry& skeleton, const std::string& what, double seconds) {
  CollectiveContext& ctx = collective_context();
  ctx.timed_out = true;
  RankGroup& g = ctx.ranks();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", seconds);
  const std::string msg = "timed out after " + std::string(buf) + " s (--collective_timeout_s) in " + what +
                          " of " + skeleton.id + "; aborting";
  std::fprintf(stderr, "%s: rank %d: %s\n", ctx.binary.c_str(), g.rank(), msg.c_str());
  if (g.rank() == 0) {
    BenchmarkEntry e = skeleton;
    e.status = Status::error;
    e.reason = msg;
    result_sink().add(std::move(e));
    if (!ctx.options.out.empty()) {
      try {
        write_fragment(ctx.options.out, ctx.binary, ctx.options);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "%s: %s\n", ctx.binary.c_str(), ex.what());
      }
    }
  }
  return msg;
}

namespace {

// The job cannot go on once a rank hangs: report, and let rank 0 write its fragment before the
// other ranks end the job (should rank 0 be the one that hangs, they end it after the grace time).
[[noreturn]] void abort_hung_job(const BenchmarkEntry& skeleton, const std::string& what, double seconds) {
  report_timeout(skeleton, what, seconds);
  RankGroup& g = collective_context().ranks();
  if (g.rank() != 0) std::this_thread::sleep_for(std::chrono::seconds(3));
  g.abort_job(3);
  std::_Exit(3);  // abort_job does not return; the compiler cannot see that through the virtual call
}

// --collective_debug_hang_rank: the chosen rank stalls before its first collective, as a rank whose
// GPU or network hangs would; the others must time out and end the job.
void maybe_hang(RankGroup& g) {
  CollectiveContext& ctx = collective_context();
  if (g.rank() != ctx.config.debug_hang_rank || ctx.hang_done.exchange(true)) return;
  std::fprintf(stderr, "%s: rank %d: stalling on purpose (--collective_debug_hang_rank)\n", ctx.binary.c_str(),
               g.rank());
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration<double>(10 * ctx.config.timeout_s + 10);
  while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

void run_case(benchmark::State& state, const CaseSpec& spec,
              const std::function<std::unique_ptr<CaseRunner>()>& make_runner, const SamplingPolicy& policy,
              nlohmann::json extra) {
  CollectiveContext& ctx = collective_context();
  RankGroup& g = ctx.ranks();
  const Layout layout = make_layout(spec.c.op, spec.c.bytes, spec.ranks, spec.c.dtype);
  BenchmarkEntry e = collective_entry(spec);
  e.parameters.update(extra);
  e.gpu_index = spec.gpu_index;
  if (layout.message_bytes == 0)
    return finish_skipped(state, std::move(e),
                          std::to_string(spec.c.bytes) + " B is less than one " +
                              std::string(dtype_name(spec.c.dtype)) + " element per rank for " +
                              std::to_string(spec.ranks) + " ranks");
  if (g.size() > 1 && g.size() != spec.ranks)
    return finish_error(state, std::move(e),
                        "registered for " + std::to_string(spec.ranks) + " ranks, the job has " +
                            std::to_string(g.size()));

  const BenchmarkEntry skeleton = e;  // what the watchdog reports, should it fire
  const double timeout_s = ctx.config.timeout_s;
  Watchdog watchdog([&skeleton](const std::string& what, double s) { abort_hung_job(skeleton, what, s); });
  double run_timeout_s = timeout_s;  // for steps that run collectives
  auto guarded = [&](const char* what) { return ArmedWatchdog(watchdog, timeout_s, what); };
  auto guarded_run = [&](const char* what) { return ArmedWatchdog(watchdog, run_timeout_s, what); };

  try {
    std::unique_ptr<CaseRunner> runner;
    std::string why;
    try {
      runner = make_runner();
      why = runner->does_not_fit();
    } catch (const std::exception& ex) {
      why = std::string("cannot set up: ") + ex.what();
    }
    if (runner && runner->polls_with_deadline()) run_timeout_s = timeout_s + 10;
    {
      auto w = guarded("the agreement that every rank can run it");
      if (const std::string any = g.first_error(why); !any.empty()) return finish_skipped(state, std::move(e), any);
    }

    std::string failed;
    try {
      runner->prepare();
    } catch (const std::exception& ex) {
      failed = std::string("prepare: ") + ex.what();
    }
    {
      auto w = guarded("the agreement after preparing the buffers");
      if (const std::string any = g.first_error(failed); !any.empty()) return finish_error(state, std::move(e), any);
    }

    maybe_hang(g);
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
      if (const std::string any = g.first_error(bad); !any.empty())
        return finish_error(state, std::move(e), "checked run: " + any);
    }

    int batch = 1;
    {
      auto w = guarded_run("sizing the batch");
      runner->run(1);  // the first run after the check pays for nothing left over
      const double one = g.max({runner->run(1), 0.0})[0];
      batch = batch_for(one, policy);
    }
    e.parameters["batch"] = batch;

    InStepSamples samples;
    runner->sampling_started();
    for (auto _ : state) {
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
      state.SetIterationTime(median(samples.slowest));
    }
    e.environment = runner->sampling_stopped();

    std::vector<std::vector<double>> per_rank;
    {
      auto w = guarded("gathering the timings");
      per_rank = g.gather(samples.mine);
    }
    if (g.rank() == 0) {
      const RankAggregate a = aggregate_ranks(per_rank);
      e.samples_s = a.completion_s;
      e.parameters["rank_time_s"] = {{"min", a.min_s}, {"avg", a.avg_s}, {"max", a.max_s}};
      e.parameters["slowest_rank"] = a.slowest_rank;
    } else {
      e.samples_s = samples.mine;
    }
    e.work = collective_work(spec);
    finish_ok(state, std::move(e));
  } catch (const CollectiveTimeout& ex) {
    // A backend that polls for completion aborted its communicator itself.
    if (g.size() > 1) abort_hung_job(skeleton, ex.what(), timeout_s);
    collective_context().timed_out = true;
    finish_error(state, std::move(e), ex.what());
  } catch (const std::exception& ex) {
    finish_error(state, std::move(e), ex.what());
  }
}

}  // namespace gpuscale::bench
