// The bench binaries' command line (harness/bench_main.hpp), on core's one CLI11 convention: both
// `--flag=value` and `--flag value`, a malformed number is an error naming its flag, an unknown flag
// is rejected (exit 2) except --benchmark_*, which goes to Google Benchmark (which rejects the ones
// it does not know), and --help is generated. First the parser itself, then every binary.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "harness/bench_main.hpp"

namespace gpuscale::bench {
namespace {

struct Parsed {
  int rc = 0;
  BenchArgs args;
  std::string out, err;
};

Parsed parse(std::vector<std::string> words, const BinarySpec& spec = {}) {
  words.insert(words.begin(), "bench_demo");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  Parsed p;
  std::ostringstream out, err;
  p.rc = parse_bench_args(static_cast<int>(argv.size()), argv.data(), spec, p.args, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

BinarySpec demo_spec() {
  BinarySpec spec;
  spec.name = "bench_demo";
  spec.description = "A demo binary.";
  spec.example = "bench_demo --suite=full";
  return spec;
}

TEST(BenchArgs, BothFlagFormsGiveTheSameOptions) {
  const auto eq = parse({"--suite=full", "--backend=host", "--device=3", "--gpuscale_out=f.json",
                         "--target_cv=0.05", "--max_time_s=2.5", "--gpuscale_progress"});
  const auto sp = parse({"--suite", "full", "--backend", "host", "--device", "3", "--gpuscale_out", "f.json",
                         "--target_cv", "0.05", "--max_time_s", "2.5", "--gpuscale_progress"});
  for (const Parsed* p : {&eq, &sp}) {
    ASSERT_EQ(p->rc, -1) << p->err;
    const Options& o = p->args.options;
    EXPECT_EQ(o.suite, "full");
    EXPECT_EQ(o.backend, "host");
    EXPECT_EQ(o.device, 3);
    EXPECT_TRUE(p->args.device_given);
    EXPECT_EQ(o.out, "f.json");
    EXPECT_DOUBLE_EQ(o.policy.target_cv, 0.05);
    EXPECT_DOUBLE_EQ(o.policy.max_time_s, 2.5);
    EXPECT_TRUE(o.progress);
  }
  EXPECT_EQ(parse({"--max_time_s", "0"}).rc, -1);  // the fewest samples the policy allows

  const auto none = parse({});
  ASSERT_EQ(none.rc, -1);
  EXPECT_EQ(none.args.options.suite, "quick");
  EXPECT_EQ(none.args.options.backend, "gpu");
  EXPECT_EQ(none.args.options.device, 0);
  EXPECT_FALSE(none.args.device_given);
}

TEST(BenchArgs, MalformedValuesAreErrorsNamingTheFlag) {
  const std::vector<std::vector<std::string>> bad = {
      {"--device=abc"},     {"--device", "1.5"},   {"--device=-1"},           {"--device=3abc"},
      {"--target_cv=nan"},  {"--target_cv", "0"},  {"--target_cv=2"},         {"--max_time_s=inf"},
      {"--max_time_s=-1"},  {"--max_time_s=3601"}, {"--max_time_s", "1e308"}, {"--suite=fast"},
      {"--backend", "cpu"}, {"--max_time_s"}};
  for (const auto& words : bad) {
    const auto p = parse(words, demo_spec());
    const std::string flag = words[0].substr(0, words[0].find('='));
    EXPECT_EQ(p.rc, 2) << words[0];
    EXPECT_NE(p.err.find(flag), std::string::npos) << words[0] << ": " << p.err;
    EXPECT_NE(p.err.find("(see bench_demo --help)"), std::string::npos) << p.err;
    EXPECT_EQ(p.err.find("stoi"), std::string::npos) << p.err;
    EXPECT_EQ(p.err.find("stod"), std::string::npos) << p.err;
  }
}

TEST(BenchArgs, UnknownFlagsAreRejectedButBenchmarkFlagsPassThrough) {
  for (const std::vector<std::string>& words :
       std::vector<std::vector<std::string>>{{"--bogus"}, {"--suite=full", "--frobnicate=1"}, {"stray"}}) {
    const auto p = parse(words, demo_spec());
    EXPECT_EQ(p.rc, 2) << words.back();
    EXPECT_NE(p.err.find(words.back().substr(0, words.back().find('='))), std::string::npos) << p.err;
  }
  const auto p = parse({"--benchmark_filter", "memory/copy", "--suite", "full", "--benchmark_list_tests",
                        "--benchmark_out=x.json", "--benchmark_min_time", "0.1s", "--benchmark_format=json"});
  ASSERT_EQ(p.rc, -1) << p.err;
  EXPECT_EQ(p.args.options.suite, "full");
  const std::vector<std::string> want = {"--benchmark_filter=memory/copy", "--benchmark_list_tests",
                                         "--benchmark_out=x.json", "--benchmark_min_time=0.1s",
                                         "--benchmark_format=json"};
  EXPECT_EQ(p.args.benchmark_flags, want);
  EXPECT_TRUE(p.args.listing());
  EXPECT_FALSE(parse({"--benchmark_list_tests=false"}).args.listing());
  EXPECT_TRUE(parse({"--benchmark_list_tests", "true"}).args.listing() ||
              parse({"--benchmark_list_tests=true"}).args.listing());
  EXPECT_FALSE(parse({"--suite=full"}).args.listing());
}

TEST(BenchArgs, HelpIsGeneratedWithTheBinarysOwnOptions) {
  BinarySpec spec = demo_spec();
  double timeout_s = 60;
  spec.add_options = [&timeout_s](CLI::App& app) {
    app.add_option("--demo_timeout_s", timeout_s, "a timeout")
        ->check(cli::finite_number("a number of seconds > 0", [](double v) { return v > 0; }));
  };
  const auto help = parse({"--help"}, spec);
  EXPECT_EQ(help.rc, 0);
  for (const char* text : {"Usage: bench_demo", "A demo binary.", "--suite", "--backend", "--device",
                           "--gpuscale_out", "--target_cv", "--max_time_s", "--demo_timeout_s",
                           "--benchmark_filter", "exit status", "bench_demo --suite=full"})
    EXPECT_NE(help.out.find(text), std::string::npos) << text << "\n" << help.out;
  EXPECT_TRUE(help.err.empty()) << help.err;

  EXPECT_EQ(parse({"--demo_timeout_s", "5"}, spec).rc, -1);
  EXPECT_DOUBLE_EQ(timeout_s, 5);
  const auto bad = parse({"--demo_timeout_s=0"}, spec);
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("--demo_timeout_s"), std::string::npos) << bad.err;
}

// Every bench binary, as built.
const char* kBinaries[] = {BENCH_MEMORY_BIN, BENCH_COMPUTE_BIN, BENCH_GEMM_BIN, BENCH_COLLECTIVES_BIN,
                           BENCH_TRANSFER_BIN};

TEST(BenchBinaries, HelpBadNumbersAndUnknownFlags) {
  for (const std::string bin : kBinaries) {
    const auto help = test::run_command_line(bin + " --help");
    EXPECT_EQ(help.exit_code, 0) << bin << help.err;
    EXPECT_NE(help.out.find("--suite"), std::string::npos) << bin << help.out;
    EXPECT_NE(help.out.find("--benchmark_filter"), std::string::npos) << bin << help.out;

    const auto device = test::run_command_line(bin + " --device abc --benchmark_list_tests");
    EXPECT_EQ(device.exit_code, 2) << bin;
    EXPECT_NE(device.err.find("--device"), std::string::npos) << bin << device.err;
    EXPECT_EQ(device.err.find("stoi"), std::string::npos) << bin << device.err;

    const auto unknown = test::run_command_line(bin + " --frobnicate --benchmark_list_tests");
    EXPECT_EQ(unknown.exit_code, 2) << bin;
    EXPECT_NE(unknown.err.find("--frobnicate"), std::string::npos) << bin << unknown.err;

    // Google Benchmark judges its own flags.
    const auto gb = test::run_command_line(bin + " --benchmark_frobnicate=1 --benchmark_list_tests");
    EXPECT_NE(gb.exit_code, 0) << bin;
    EXPECT_NE(gb.err.find("--benchmark_frobnicate"), std::string::npos) << bin << gb.err;
  }
  const auto hang = test::run_command_line(std::string(BENCH_COLLECTIVES_BIN) +
                                           " --collective_timeout_s abc --benchmark_list_tests");
  EXPECT_EQ(hang.exit_code, 2);
  EXPECT_NE(hang.err.find("--collective_timeout_s"), std::string::npos) << hang.err;
  EXPECT_NE(
      test::run_command_line(std::string(BENCH_COLLECTIVES_BIN) + " --help").out.find("--collective_gpus"),
      std::string::npos);
}

TEST(BenchBinaries, TheSpaceFormSelectsWhatTheEqualsFormDoes) {
  const std::string mem = std::string(BENCH_MEMORY_BIN) + " --backend host --benchmark_list_tests";
  const auto quick = test::run_command_line(mem);
  const auto full_eq = test::run_command_line(mem + " --suite=full");
  const auto full_sp = test::run_command_line(mem + " --suite full");
  ASSERT_EQ(full_sp.exit_code, 0) << full_sp.err;
  EXPECT_EQ(full_sp.out, full_eq.out);
  EXPECT_NE(full_sp.out, quick.out);
  const auto filtered = test::run_command_line(mem + " --suite full --benchmark_filter memory/host/triad/");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_NE(filtered.out.find("memory/host/triad/"), std::string::npos) << filtered.out;
  EXPECT_EQ(filtered.out.find("memory/host/copy/"), std::string::npos) << filtered.out;
}

}  // namespace
}  // namespace gpuscale::bench
