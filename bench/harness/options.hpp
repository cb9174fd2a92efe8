// Options every gpuscale bench binary takes besides Google Benchmark's own --benchmark_* flags.
#pragma once

#include <string>

#include "harness/sampling.hpp"

namespace gpuscale::bench {

struct Options {
  std::string backend = "gpu";  // gpu | host
  std::string suite = "quick";  // quick | full
  int device = 0;               // GPU index
  std::string out;              // --gpuscale_out: write this binary's results fragment here
  bool progress = false;        // --gpuscale_progress: one line per finished benchmark on stderr
  SamplingPolicy policy;
};

}  // namespace gpuscale::bench
