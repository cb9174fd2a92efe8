#include "harness/bench_main.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <exception>
#include <iostream>
#include <string_view>

#include "gpuscale/core/args.hpp"
#include "gpuscale/core/host_info.hpp"

namespace gpuscale::bench {
namespace {

// Google Benchmark's flags that take no value (`--benchmark_list_tests`); every other
// --benchmark_* flag given without `=` takes the next argument as its value.
bool benchmark_boolean_flag(std::string_view flag) {
  constexpr std::array<std::string_view, 6> kBooleans = {"--benchmark_list_tests",
                                                         "--benchmark_dry_run",
                                                         "--benchmark_counters_tabular",
                                                         "--benchmark_report_aggregates_only",
                                                         "--benchmark_display_aggregates_only",
                                                         "--benchmark_enable_random_interleaving"};
  for (const auto b : kBooleans)
    if (flag == b) return true;
  return false;
}

std::string footer(const BinarySpec& spec) {
  return "Google Benchmark's flags pass through, e.g. --benchmark_filter=REGEX, --benchmark_list_tests,\n"
         "--benchmark_format=json, --benchmark_out=FILE (`--benchmark_filter REGEX` works too).\n"
         "Bandwidths count bytes read + bytes written; GB = 1e9 bytes.\n\n"
         "exit status: 0 done (a benchmark that failed its check or did not fit is recorded as such);\n"
         "1 the results could not be written; 2 a usage error, or no usable GPU (the reason on stderr).\n\n"
         "example:\n  " +
         spec.example;
}

}  // namespace

bool BenchArgs::listing() const {
  bool listing = false;
  for (const std::string& f : benchmark_flags) {
    if (f == "--benchmark_list_tests") listing = true;
    if (f.starts_with("--benchmark_list_tests=")) {
      const std::string v = f.substr(f.find('=') + 1);
      listing = v != "false" && v != "0";
    }
  }
  return listing;
}

int parse_bench_args(int argc, const char* const* argv, const BinarySpec& spec, BenchArgs& args,
                     std::ostream& out, std::ostream& err) {
  args = BenchArgs{};
  args.program = argc > 0 ? argv[0] : spec.name;
  // --benchmark_* go to Google Benchmark in the `--flag=value` form it reads; the rest to CLI11.
  std::vector<std::string> ours;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (!a.starts_with("--benchmark_")) {
      ours.push_back(a);
    } else if (a.find('=') != std::string::npos || benchmark_boolean_flag(a) || i + 1 == argc) {
      args.benchmark_flags.push_back(a);  // a missing value is Google Benchmark's error to report
    } else {
      args.benchmark_flags.push_back(a + "=" + argv[++i]);
    }
  }

  using cli::finite_number;
  Options& o = args.options;
  auto app = cli::make_app(spec.name, spec.description, footer(spec));
  app->add_option("--backend", o.backend, "gpu (default) or host: CPU threads, entries labelled host")
      ->check(cli::one_of({"gpu", "host"}, "gpu or host"));
  app->add_option("--suite", o.suite, "quick (default) or full: the full sweep")
      ->check(cli::one_of({"quick", "full"}, "quick or full"));
  app->add_option("--device", o.device, "GPU index (default 0)")
      ->type_name("N")
      ->check(finite_number("a GPU index (0, 1, ...)",
                            [](double v) { return v >= 0 && v < 4096 && v == static_cast<int>(v); }));
  app->add_option("--gpuscale_out", o.out,
                  "write this run's results fragment (JSON) to FILE, rewritten after every benchmark")
      ->type_name("FILE");
  app->add_option("--target_cv", o.policy.target_cv,
                  "sample until the coefficient of variation is below X (default 0.01)")
      ->type_name("X")
      ->check(
          finite_number("a coefficient of variation in (0, 1]", [](double v) { return v > 0 && v <= 1; }));
  app->add_option("--max_time_s", o.policy.max_time_s,
                  "time cap in seconds for sampling one benchmark (default 1; 0: the fewest samples)")
      ->type_name("S")
      ->check(
          finite_number("a number of seconds in [0, 3600]", [](double v) { return v >= 0 && v <= 3600; }));
  app->add_flag("--gpuscale_count_gpus", args.count_gpus,
                "print the number of usable GPUs (exit 2 with the reason if none)");
  app->add_flag("--gpuscale_progress", o.progress, "one progress line per benchmark on stderr");
  if (spec.add_options) spec.add_options(*app);
  if (const int rc = cli::parse_args(*app, ours, out, err); rc >= 0) return rc;
  args.device_given = app->count("--device") > 0;
  return -1;
}

int run_bench(const BenchArgs& args, const BinarySpec& spec) {
  const Options& opt = args.options;
  if (args.count_gpus) {  // for gpuscale run: how many usable GPUs, or the reason there are none
    if (!spec.gpu.count) {
      std::cerr << spec.name << ": no usable GPU: this build has no CUDA support\n";
      return 2;
    }
    std::string why;
    const int n = spec.gpu.count(why);
    if (n <= 0) {
      std::cerr << spec.name << ": no usable GPU: " << why << "\n";
      return 2;
    }
    std::cout << n << "\n";
    return 0;
  }

  const bool host = opt.backend == "host";
  if (host && !spec.register_host) {
    std::cerr << spec.name << ": has no host backend\n";
    return 2;
  }
  Run run(spec.name, opt);
  Registry registry(run);
  try {
    if (host)
      spec.register_host(registry);
    else if (spec.register_gpu)
      spec.register_gpu(registry);
  } catch (const std::exception& e) {
    std::cerr << spec.name << ": " << e.what() << "\n";
    return 1;
  }

  // Google Benchmark reads (and removes) its flags from an argv of its own.
  std::vector<std::string> gb_args = {args.program};
  gb_args.insert(gb_args.end(), args.benchmark_flags.begin(), args.benchmark_flags.end());
  std::vector<char*> gb_argv;
  for (std::string& a : gb_args) gb_argv.push_back(a.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data())) return 2;
  if (args.listing()) {  // listing needs no GPU: registering touched no driver
    benchmark::RunSpecifiedBenchmarks();
    return 0;
  }

  try {
    if (!host) {
      if (!spec.register_gpu || !spec.gpu.probe) {
        std::cerr << spec.name << ": no usable GPU: this build has no CUDA support"
                  << (spec.register_host ? " (--backend=host measures the host)" : "") << "\n";
        return 2;
      }
      if (const std::string why = spec.gpu.probe(opt.device); !why.empty()) {
        std::cerr << spec.name << ": no usable GPU: " << why << "\n";
        return 2;
      }
      for (const auto& [k, v] : spec.gpu.describe(opt.device, run)) benchmark::AddCustomContext(k, v);
    } else {
      benchmark::AddCustomContext("gpuscale_backend", "host");
    }
    benchmark::AddCustomContext("gpuscale_version", tool_version());
    benchmark::AddCustomContext("gpuscale_git_sha", build_git_sha());
    benchmark::AddCustomContext("gpuscale_suite", opt.suite);
    if (!opt.out.empty()) {
      // The fragment exists from the start and is rewritten (atomically) after every benchmark.
      run.write_fragment();
      run.sink().set_on_add([&run] {
        try {
          run.write_fragment();
        } catch (const std::exception& e) {  // reported; the final write below says it again
          std::cerr << run.binary() << ": " << e.what() << "\n";
        }
      });
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    run.sink().set_on_add(nullptr);
    if (!opt.out.empty()) run.write_fragment();
  } catch (const std::exception& e) {
    std::cerr << spec.name << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int bench_main(int argc, char** argv, const BinarySpec& spec) {
  BenchArgs args;
  if (const int rc = parse_bench_args(argc, argv, spec, args, std::cout, std::cerr); rc >= 0) return rc;
  return run_bench(args, spec);
}

}  // namespace gpuscale::bench
