// A GEMM entry as bench_gemm writes it (the suite's parameters plus what the GPU side adds, samples,
// derived metrics) is valid in a results document.
#include <gtest/gtest.h>

#include "gemm/suite.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"

namespace gpuscale::bench::gemm {
namespace {

TEST(GemmDocument, OkAndSkippedEntriesMatchTheResultsSchema) {
  const Suite suite = gemm_suite("quick");
  const GemmCase& c = suite.gemms.back();
  BenchmarkEntry e;
  e.id = c.id().str();
  e.family = "gemm";
  e.gpu_index = 0;
  e.parameters = c.parameters();
  e.parameters.update(
      nlohmann::json{{"algo_id", 66},
                     {"tile", "128x256"},
                     {"stages", "64xAUTO"},
                     {"workspace_bytes", 33554432},
                     {"rotation_slots", 1},
                     {"autotune_candidates", nlohmann::json::array({{{"algo_id", 66}, {"time_s", 1e-3}}})}});
  e.samples_s = {1.0e-3, 1.01e-3, 0.99e-3, 1.0e-3, 1.0e-3};
  e.work.flops = gemm_flops(c.shape);
  e.work.peak = std::string(info(c.precision).peak);
  Environment env;
  env.sm_clock_mhz_median = env.sm_clock_mhz_min = 1980;
  env.samples = 5;
  e.environment = env;
  derive_metrics(e, find_spec_by_key("h200-sxm-141gb"), 1980);
  ASSERT_TRUE(e.metrics.contains("tflops"));

  BenchmarkEntry skipped;
  skipped.id = suite.mamf[1].id().str();
  skipped.family = "gemm";
  skipped.parameters = suite.mamf[1].parameters();
  skipped.status = Status::skipped;
  skipped.reason = "FP8 needs sm_89+ (this GPU is sm_80)";

  RunInfo run{make_run_id(), utc_now_iso8601(), utc_now_iso8601(), "abc", {"bench_gemm"}, "0.1.0"};
  const auto doc = make_document(run, make_system_json(read_host_info(), {}), {}, {e, skipped});
  const auto errors = validate_json(results_schema(), doc);
  for (const auto& x : errors) ADD_FAILURE() << x;
}

}  // namespace
}  // namespace gpuscale::bench::gemm
