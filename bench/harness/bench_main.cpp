#include "harness/bench_main.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "gpuscale/core/host_info.hpp"

namespace gpuscale::bench {
namespace {

void print_help(const BinarySpec& spec) {
  std::cout << "usage: " << spec.name << " [options] [--benchmark_* flags]\n\n"
            << spec.description << "\n\n"
            << "gpuscale options:\n"
               "  --backend=gpu|host     what to measure (default gpu; host = CPU threads, labelled host)\n"
               "  --suite=quick|full     quick (default) or the full sweep\n"
               "  --device=N             GPU index (default 0)\n"
               "  --gpuscale_out=FILE    write this run's results fragment (JSON) to FILE\n"
               "  --target_cv=X          sample until the CV is below X (default 0.01)\n"
               "  --max_time_s=S         time cap for sampling one benchmark (default 1.0)\n"
               "  --gpuscale_count_gpus  print the number of usable GPUs (exit 2 with the reason if none)\n"
               "  --gpuscale_progress    one progress line per benchmark on stderr\n"
               "  --help                 this text\n\n"
               "Every Google Benchmark flag works too, e.g. --benchmark_filter=REGEX,\n"
               "--benchmark_list_tests, --benchmark_format=json, --benchmark_out=FILE.\n"
               "Bandwidths count bytes read + bytes written; GB = 1e9 bytes.\n\n"
            << "example:\n  " << spec.example << "\n";
}

bool take_flag(std::string_view arg, std::string_view name, std::string& value) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  value = std::string(arg.substr(prefix.size()));
  return true;
}

}  // namespace

int bench_main(int argc, char** argv, const BinarySpec& spec) {
  Options opt;
  bool count_gpus = false;
  std::vector<char*> rest = {argv[0]};
  try {
    for (int i = 1; i < argc; ++i) {
      std::string_view a = argv[i];
      std::string v;
      if (a == "--help" || a == "-h") {
        print_help(spec);
        return 0;
      } else if (take_flag(a, "backend", v)) {
        if (v != "gpu" && v != "host") throw std::invalid_argument("--backend must be gpu or host");
        opt.backend = v;
      } else if (take_flag(a, "suite", v)) {
        if (v != "quick" && v != "full") throw std::invalid_argument("--suite must be quick or full");
        opt.suite = v;
      } else if (take_flag(a, "device", v)) {
        opt.device = std::stoi(v);
      } else if (take_flag(a, "gpuscale_out", v)) {
        opt.out = v;
      } else if (a == "--gpuscale_count_gpus") {
        count_gpus = true;
      } else if (a == "--gpuscale_progress") {
        opt.progress = true;
      } else if (take_flag(a, "target_cv", v)) {
        opt.policy.target_cv = std::stod(v);
      } else if (take_flag(a, "max_time_s", v)) {
        opt.policy.max_time_s = std::stod(v);
      } else {
        rest.push_back(argv[i]);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << spec.name << ": bad option: " << e.what() << " (see --help)\n";
    return 2;
  }

  if (count_gpus) {  // for gpuscale run: how many usable GPUs, or the reason there are none
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

  // Listing needs no GPU. Decided before benchmark::Initialize, which removes the flags it reads.
  bool listing = false;
  for (char* a : rest)
    if (std::strncmp(a, "--benchmark_list_tests", 22) == 0 && std::strstr(a, "false") == nullptr)
      listing = true;

  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  if (listing) {
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

}  // namespace gpuscale::bench
