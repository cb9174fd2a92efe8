// The main() of every gpuscale bench binary: its options (parsed by core's CLI11 convention, like
// every gpuscale command), Google Benchmark's --benchmark_* flags passed through, the GPU probe (a binary on
// a machine without a usable GPU prints one line with the driver's reason and exits 2, while
// --benchmark_list_tests still works: registering touches no driver), the GPU context in Google Benchmark's
// JSON, and the --gpuscale_out results fragment.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "gpuscale/core/args.hpp"
#include "harness/case.hpp"
#include "harness/options.hpp"
#include "harness/run.hpp"

namespace CLI {
class App;  // core's args.hpp: the CLI11 app a binary declares its options on
}

namespace gpuscale::bench {

// What the GPU side of a binary provides; empty functions in a build without CUDA.
struct GpuBackend {
  // "" when GPU `device` can be used, else the driver's reason ("no CUDA-capable device is detected").
  std::function<std::string(int device)> probe;
  // Number of usable GPUs; 0 with `why` set when there are none.
  std::function<int(std::string& why)> count;
  // Reads the GPU's identity, versions and NVML state into the run (its GPU target, the sink's GPUs
  // and libraries) and returns Google Benchmark context lines (key, value).
  std::function<std::vector<std::pair<std::string, std::string>>(int device, Run& run)> describe;
};

struct BinarySpec {
  std::string name;         // "bench_memory"
  std::string description;  // one paragraph for --help
  std::string example;      // one example command line
  // Adds the cases of each backend to the registry (touching no driver: listing needs no GPU).
  std::function<void(Registry&)> register_gpu;   // may be empty (no CUDA build)
  std::function<void(Registry&)> register_host;  // may be empty (no host backend)
  GpuBackend gpu;
  // The binary's own options besides the harness's (bench_collectives: --collective_timeout_s, ...),
  // declared on its app, bound to where the binary keeps them. May be empty.
  std::function<void(CLI::App&)> add_options;
};

// What a bench binary's command line asked for.
struct BenchArgs {
  std::string program;        // argv[0]
  Options options;            // --backend, --suite, --device, --gpuscale_out, sampling, progress
  bool device_given = false;  // --device was on the command line
  bool count_gpus = false;    // --gpuscale_count_gpus
  // Google Benchmark's flags in command-line order, each as `--benchmark_x=value` (the form it
  // reads; `--benchmark_x value` is joined) or a bare boolean flag (`--benchmark_list_tests`).
  std::vector<std::string> benchmark_flags;

  bool listing() const;  // --benchmark_list_tests (not =false): list the ids, touching no GPU
};

// Parses a bench binary's command line: the harness's options, spec.add_options', and
// --benchmark_* flags, which go to Google Benchmark (it rejects the ones it does not know). Both
// `--flag=value` and `--flag value` work; an unknown flag or a malformed value is an error naming
// it. Returns -1 when the binary should go on; else the exit status: 0 after --help (the help on
// `out`), 2 after a usage error (one line on `err`).
int parse_bench_args(int argc, const char* const* argv, const BinarySpec& spec, BenchArgs& args,
                     std::ostream& out, std::ostream& err);

// Runs the binary's benchmarks as `args` asks (the GPU probe, Google Benchmark, the fragment).
int run_bench(const BenchArgs& args, const BinarySpec& spec);

// The whole main() of a bench binary: parse_bench_args, then run_bench.
int bench_main(int argc, char** argv, const BinarySpec& spec);

}  // namespace gpuscale::bench
