// The harness around a case (harness/case.hpp), on the host backend: what a case declares becomes
// the id, the entry and its metrics; the harness ends every benchmark exactly once (ok, skipped
// when its memory does not fit, error when its check fails or its body throws) and hands each
// finished entry to the sink, whose hook rewrites the fragment.
#include "harness/case.hpp"

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <memory>
#include <new>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/run.hpp"

namespace gpuscale::bench {
namespace {

class Quiet final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// A host case in a few lines: sums n floats. `fault` makes it misbehave the way real cases can.
enum class Fault { none, wrong_output, no_memory, throws };

class SumCase final : public HostCase {
 public:
  SumCase(std::size_t n, Fault fault) : n_(n), fault_(fault) {}
  BenchmarkId id() const override { return {"memory", true, "sum", {{"bytes", std::to_string(n_ * 4)}}}; }
  nlohmann::json parameters(const GpuTarget&) const override { return {{"bytes", n_ * 4}}; }
  Work work(const GpuTarget&) const override {
    Work w;
    w.bytes_read = static_cast<double>(n_ * 4);
    return w;
  }
  std::string footprint() const override { return "1 x " + std::to_string(n_ * 4) + " B"; }

  class Body final : public HostCase::Body {
   public:
    Body(std::size_t n, Fault fault) : x_(n, 1.0f), fault_(fault) {}
    void run() override { sum_ = std::accumulate(x_.begin(), x_.end(), 0.0); }
    std::string check() override {
      const double want = fault_ == Fault::wrong_output ? -1.0 : static_cast<double>(x_.size());
      return sum_ == want ? "" : "sum = " + std::to_string(sum_) + ", expected " + std::to_string(want);
    }

   private:
    std::vector<float> x_;
    Fault fault_;
    double sum_ = 0;
  };
  std::unique_ptr<HostCase::Body> setup(CaseState&) const override {
    if (fault_ == Fault::no_memory) throw std::bad_alloc();
    if (fault_ == Fault::throws) throw std::runtime_error("the body broke");
    return std::make_unique<Body>(n_, fault_);
  }

 private:
  std::size_t n_;
  Fault fault_;
};

Options fast_options() {
  Options o;
  o.backend = "host";
  o.policy.warmup_s = 0;
  o.policy.max_time_s = 0.01;
  return o;
}

// Registers `cases` in a fresh Run, runs them all and returns the entries the sink got.
std::vector<BenchmarkEntry> run_cases(CaseList cases, int* hook_calls = nullptr) {
  benchmark::ClearRegisteredBenchmarks();
  bench::Run run("case_tests", fast_options());
  Registry registry(run);
  registry.add(std::move(cases));
  if (hook_calls) run.sink().set_on_add([hook_calls] { ++*hook_calls; });
  Quiet quiet;
  benchmark::RunSpecifiedBenchmarks(&quiet);
  benchmark::ClearRegisteredBenchmarks();
  return run.sink().entries();
}

TEST(Case, TheIdComesFromTheAxesAndTheEntryFromTheDeclaration) {
  const SumCase c(1024, Fault::none);
  EXPECT_EQ(c.id().str(), "memory/host/sum/bytes:4096");
  const BenchmarkEntry e = c.declared(GpuTarget{});
  EXPECT_EQ(e.id, "memory/host/sum/bytes:4096");
  EXPECT_EQ(e.family, "memory");
  EXPECT_EQ(e.backend, "host");
  EXPECT_FALSE(e.gpu_index);
  EXPECT_EQ(e.parameters, nlohmann::json({{"bytes", 4096}}));
  EXPECT_EQ(e.work.bytes_read, 4096);
}

TEST(Case, AnOkRunHasSamplesMetricsAndTheDeclaredWork) {
  CaseList cases;
  cases.push_back(std::make_unique<SumCase>(1 << 16, Fault::none));
  int hook_calls = 0;
  const auto entries = run_cases(std::move(cases), &hook_calls);
  ASSERT_EQ(entries.size(), 1u);
  const BenchmarkEntry& e = entries[0];
  EXPECT_EQ(e.status, Status::ok) << e.reason;
  EXPECT_GE(e.samples_s.size(), 5u);
  EXPECT_EQ(e.work.bytes_read, 4.0 * (1 << 16));
  EXPECT_GT(e.metrics.at("bandwidth_gbps"), 0);
  EXPECT_EQ(hook_calls, 1);  // the fragment is rewritten after every finished benchmark
}

TEST(Case, EveryFailureEndsTheBenchmarkOnceWithItsReason) {
  CaseList cases;
  cases.push_back(std::make_unique<SumCase>(16, Fault::wrong_output));
  cases.push_back(std::make_unique<SumCase>(32, Fault::no_memory));
  cases.push_back(std::make_unique<SumCase>(64, Fault::throws));
  cases.push_back(std::make_unique<SumCase>(128, Fault::none));
  const auto entries = run_cases(std::move(cases));
  ASSERT_EQ(entries.size(), 4u);  // one each, in registration order, and the run went on
  EXPECT_EQ(entries[0].status, Status::error);
  EXPECT_EQ(entries[0].reason.rfind("validation failed: sum = 16", 0), 0u) << entries[0].reason;
  EXPECT_TRUE(entries[0].metrics.empty());
  EXPECT_EQ(entries[1].status, Status::skipped);
  EXPECT_EQ(entries[1].reason, "host memory allocation of 1 x 128 B failed");
  EXPECT_EQ(entries[2].status, Status::error);
  EXPECT_EQ(entries[2].reason, "the body broke");
  EXPECT_EQ(entries[3].status, Status::ok);
}

}  // namespace
}  // namespace gpuscale::bench
