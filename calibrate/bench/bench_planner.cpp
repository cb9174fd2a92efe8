// bench_planner: how long the planner takes (host only, no GPU). Issue 5's target: calibrating a
// profile from a results document and planning one scenario together take under 100 ms.
//
//   BM_CalibrateAndPlan   fit a profile from a synthetic H100 results document (the sweep sizes a
//                         default run records), then plan Llama-3.1 70B QLoRA on 8 GPUs with it
//   BM_Plan/<scenario>    plan alone with a built-in datasheet profile
//
// Each benchmark checks its output once, outside the timed loop (the calibrated GEMM efficiency is
// the one the document was generated from; the plan has a positive step time), and reports an
// error instead of a time when it is wrong. After the runs, the process exits 1 when
// BM_CalibrateAndPlan's mean time is at or above the target, or when any benchmark failed.
//
// Usage: bench_planner [--target_ms=100] [Google Benchmark flags, e.g. --benchmark_filter=Plan]
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gpuscale/planner/calibrate.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/synthetic_results.hpp"

namespace {

using nlohmann::json;
using namespace gpuscale::planner;

json scenario_70b_qlora() {
  return {{"model", "llama-3.1-70b"},
          {"gpu", "h100-sxm-80gb"},
          {"method", "qlora"},
          {"seq_len", 4096},
          {"gpus_per_node", 8},
          {"sharding", "zero3"},
          {"activation_checkpointing", "full"}};
}

void BM_CalibrateAndPlan(benchmark::State& state) {
  const auto truth = synthetic::default_truth();
  const json doc = synthetic::results_doc(truth, "20250101T000000Z-bench000", 0.01);
  // Check once, untimed: the fit recovers the efficiency the document was generated with.
  {
    const auto p = calibrate({{"synthetic.json", doc}});
    const double eff = p.gemm.at("bf16").efficiency;
    if (std::abs(eff / truth.gemm.efficiency - 1) > 0.05) {
      state.SkipWithError(("calibrated bf16 efficiency " + std::to_string(eff) + " is not the generated " +
                           std::to_string(truth.gemm.efficiency))
                              .c_str());
      return;
    }
  }
  for (auto _ : state) {
    auto p = calibrate({{"synthetic.json", doc}});
    Scenario s = parse_scenario(scenario_70b_qlora(), "bench");
    s.gpu = std::move(p);
    auto r = plan(s);
    benchmark::DoNotOptimize(r.time.t.step);
  }
  state.counters["benchmarks_in_document"] = static_cast<double>(doc["benchmarks"].size());
}
BENCHMARK(BM_CalibrateAndPlan)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Plan(benchmark::State& state, json scenario) {
  if (plan(parse_scenario(scenario, "bench")).time.t.step <= 0) {
    state.SkipWithError("the plan has no positive step time");
    return;
  }
  for (auto _ : state) {
    auto r = plan(parse_scenario(scenario, "bench"));
    benchmark::DoNotOptimize(r.time.t.step);
  }
}
BENCHMARK_CAPTURE(BM_Plan, llama31_70b_qlora_8xh100, scenario_70b_qlora())->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Plan, llama31_8b_full_fsdp_8xh100,
                  json{{"model", "llama-3.1-8b"},
                       {"gpu", "h100-sxm-80gb"},
                       {"gpus_per_node", 8},
                       {"sharding", "zero3"},
                       {"seq_len", 4096},
                       {"micro_batch", 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Plan, llama31_70b_inference_h200,
                  json{{"model", "llama-3.1-70b"},
                       {"gpu", "h200-sxm-141gb"},
                       {"method", "inference"},
                       {"precision", "fp8"},
                       {"seq_len", 8192},
                       {"micro_batch", 8}})
    ->Unit(benchmark::kMillisecond);

// Prints as the console reporter does and keeps what the target check needs.
class TargetReporter : public benchmark::ConsoleReporter {
 public:
  double calibrate_and_plan_ms = -1;      // wall time per scenario
  double calibrate_and_plan_cpu_ms = -1;  // CPU time per scenario (what a busy machine does not inflate)
  int errors = 0;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.error_occurred)
        ++errors;
      else if (r.benchmark_name() == "BM_CalibrateAndPlan/real_time" && r.iterations > 0) {
        calibrate_and_plan_ms = r.real_accumulated_time / static_cast<double>(r.iterations) * 1e3;
        calibrate_and_plan_cpu_ms = r.cpu_accumulated_time / static_cast<double>(r.iterations) * 1e3;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  double target_ms = 100;
  double guard_cpu_ms = -1;  // when set, the exit status checks CPU time against this instead
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--target_ms=", 12) == 0)
      target_ms = std::atof(argv[i] + 12);
    else if (std::strncmp(argv[i], "--guard_cpu_ms=", 15) == 0)
      guard_cpu_ms = std::atof(argv[i] + 15);
    else
      args.push_back(argv[i]);
  }
  for (char* a : args)
    if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) {
      std::printf(
          "bench_planner: planner latency (host only).\n"
          "  BM_CalibrateAndPlan   fit a profile from a synthetic results document + plan one scenario\n"
          "  BM_Plan/<scenario>    plan alone with a datasheet profile\n"
          "Exits 1 when BM_CalibrateAndPlan's mean is at or above --target_ms (default 100) or a benchmark "
          "failed its output check.\n"
          "  --guard_cpu_ms=X      exit 1 only when its mean CPU time is at or above X instead (the "
          "wall-time\n"
          "                        target is still reported): a guard that a busy machine does not trip\n"
          "\nGoogle Benchmark flags:\n");
      break;
    }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  TargetReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (reporter.errors > 0) {
    std::fprintf(stderr, "bench_planner: %d benchmark(s) failed their output check\n", reporter.errors);
    return 1;
  }
  if (reporter.calibrate_and_plan_ms >= 0) {
    const bool ok = reporter.calibrate_and_plan_ms < target_ms;
    std::printf("calibration + plan: %.2f ms per scenario, %.2f ms of CPU (target < %.0f ms): %s\n",
                reporter.calibrate_and_plan_ms, reporter.calibrate_and_plan_cpu_ms, target_ms,
                ok ? "met" : "NOT met");
    if (guard_cpu_ms >= 0) {
      const bool guard_ok = reporter.calibrate_and_plan_cpu_ms < guard_cpu_ms;
      std::printf("CPU-time guard: %.2f ms < %g ms: %s\n", reporter.calibrate_and_plan_cpu_ms, guard_cpu_ms,
                  guard_ok ? "ok" : "FAILED");
      return guard_ok ? 0 : 1;
    }
    if (!ok) return 1;
  }
  return 0;
}
