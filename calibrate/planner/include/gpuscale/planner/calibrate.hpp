// gpuscale calibrate: fit one or more results documents of one SKU into a GPU profile.
//
// Starts from the SKU's datasheet profile and replaces every coefficient the documents measure:
//   gemm/*        -> GEMM model per precision (fit_gemm), from parameters m, n, k and stats.median_s
//   memory/*      -> alpha-beta per op, bytes moved = metrics.bandwidth_gbps * median_s (read+write);
//                    memory/latency (pointer chase, metrics.latency_ns) is left out: it is no
//                    bandwidth point, and the profile has no latency coefficient
//   collective/*  -> alpha-beta per (parameters.collective, ranks) over the size sweep (parameters.bytes)
//   transfer/*    -> alpha-beta per direction (pinned copy-engine runs preferred); bench_transfer's
//                    bidir is the profile's "bidirectional", its bytes counted both ways (2 x bytes)
//   gpus[]        -> usable memory: memory_bytes, memory_bytes - memory_free_bytes for the context
// Each replaced coefficient records the run ids it came from; the rest keep their datasheet source.
//
// Example: gpuscale calibrate h200-a.json h200-b.json -o h200.profile.json
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuscale/planner/profile.hpp"

namespace gpuscale::planner {

struct ResultsInput {
  std::string path;  // for error messages
  nlohmann::json doc;
};

// Throws InputError naming the file and field on a malformed document, documents of different
// SKUs, or an SKU the spec table does not know.
Profile calibrate(const std::vector<ResultsInput>& inputs);

// A training run the user measured end to end: the scenario it ran (plan keys; its gpu must be the
// profile's SKU) and its tokens/s per GPU. Sets p.end_to_end_efficiency to the value at which the
// plan of that scenario on `p` gives the measured rate (kernel-level time / (measured step time -
// the parts not scaled)), with a `measured` source naming the run; when the scenario names a
// framework the planner knows (framework.hpp), the value goes to p.framework_efficiency under that
// framework instead, for that framework's plans on the profile. Throws InputError naming `where`
// when the scenario does not train, names another GPU, or the run is faster than the kernel-level
// plan (an efficiency above 1: the scenario does not describe the run).
void set_end_to_end_from_run(Profile& p, const nlohmann::json& scenario, double tokens_per_s_per_gpu,
                             const std::string& where);

}  // namespace gpuscale::planner
