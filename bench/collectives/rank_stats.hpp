// Timing a collective across ranks: every rank samples in lock step (the same warm-up, batch and
// sample count, decided from values all ranks agree on), and rank 0 turns the per-rank samples into
// the entry. Pure functions; the agreement is injected so the logic is tested without MPI.
//
// A collective completes when its slowest rank does, so the entry's samples are the per-iteration
// maximum over ranks; the spread between ranks goes into the parameters:
//   rank_time_s  {min, avg, max} over ranks of each rank's median sample
//   slowest_rank the rank with the largest median
#pragma once

#include <array>
#include <functional>
#include <vector>

#include "harness/sampling.hpp"

namespace gpuscale::bench {

struct RankAggregate {
  std::vector<double> completion_s;        // per sample: max over ranks
  std::vector<double> rank_median_s;       // per rank
  double min_s = 0, avg_s = 0, max_s = 0;  // over rank_median_s
  int slowest_rank = 0;
};
// per_rank[r] = rank r's samples; all ranks took the same number (lock step). Throws
// std::invalid_argument when there are no ranks or the sample counts differ.
RankAggregate aggregate_ranks(const std::vector<std::vector<double>>& per_rank);

// Element-wise maximum over all ranks (every rank gets the same answer); identity for one rank.
using MaxOverRanks = std::function<std::array<double, 2>(std::array<double, 2>)>;

// How many collectives one sample runs back to back: harness/sampling.hpp's batch_for(), from one
// collective's time (already the max over ranks).

// collect_samples() in lock step: `sample` returns this rank's seconds per collective; warm-up,
// the CV target and the time cap are judged on the max over ranks of the sample and of the elapsed
// time, so every rank stops after the same sample.
struct InStepSamples {
  std::vector<double> mine;     // this rank's seconds per collective
  std::vector<double> slowest;  // the max over ranks of each sample (the same on every rank)
};
InStepSamples collect_samples_in_step(const std::function<double()>& sample, const SamplingPolicy& policy,
                                      const MaxOverRanks& max_over_ranks);

}  // namespace gpuscale::bench
