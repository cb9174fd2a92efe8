// gpuscale: one command for the whole flow.
//   gpuscale run        run the benchmark suite, write one results document
//   gpuscale validate   check a results document against its schema
//   gpuscale compare    results documents side by side, across nodes and GPU generations
//   gpuscale check      node acceptance from one results document (pass / warn / fail)
//   gpuscale report     charts of one or more results documents as one HTML page
//   gpuscale calibrate  fit results documents into a GPU profile
//   gpuscale plan       memory / time / cost of a fine-tuning or inference scenario
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "check_command.hpp"
#include "compare_command.hpp"
#include "gpuscale/core/args.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "planner_commands.hpp"
#include "report_command.hpp"
#include "run_command.hpp"

namespace {

// What each command is, for the generated top-level help.
struct Command {
  const char* name;
  const char* summary;
};
constexpr Command kCommands[] = {
    {"run", "run the benchmark suite on every local GPU (or the host) and write one results document"},
    {"validate", "check results documents against results/schema/results.schema.json"},
    {"compare",
     "runs side by side across nodes and GPU generations (ratios, % of peak, noise-aware verdicts, per "
     "dollar); regressions and lost benchmarks exit 1"},
    {"check",
     "accept or reject a node from its results document: pass / warn / fail per GPU; a fail exits 1"},
    {"report", "an HTML page with charts (sweeps, roofline, several runs overlaid, the compare table)"},
    {"calibrate", "fit results documents into a GPU profile"},
    {"plan", "memory, time and cost of a fine-tuning or inference scenario"},
    {"version", "print the version and the git SHA it was built from"},
};

const char* kFooter = R"('gpuscale <command> --help' describes each command.

examples:
  gpuscale run -o h200.json
  gpuscale compare last-week.json h200.json
  gpuscale check h200.json
  gpuscale report h200.json -o h200.html
  gpuscale calibrate h200.json -o h200.profile.json
  gpuscale plan --model llama-3-8b --method qlora --gpu h200-sxm-141gb)";

int validate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  auto app =
      gpuscale::cli::make_app("gpuscale validate",
                              "Checks each document against the results schema; prints every violation\n"
                              "as FILE: /json/pointer: message.",
                              "exit status: 0 when all are valid, 2 otherwise.");
  app->add_option("RESULTS.json", files, "results documents")
      ->type_name("")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  if (const int code = gpuscale::cli::parse_args(*app, args, out, err); code >= 0) return code;
  int bad = 0;
  for (const auto& path : files) {
    try {
      const auto problems =
          gpuscale::validate_json(gpuscale::results_schema(), gpuscale::read_json_file(path));
      for (const auto& p : problems) err << path << ": " << p << "\n";
      if (problems.empty())
        out << path << ": valid\n";
      else
        ++bad;
    } catch (const std::exception& e) {
      err << e.what() << "\n";
      ++bad;
    }
  }
  return bad ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // The top level takes the command and hands everything after it, untouched, to the command's
  // own parser (each has its options, help and errors).
  auto app = gpuscale::cli::make_app("gpuscale",
                                     "One command for the whole flow: measure, validate, compare, accept, "
                                     "chart, calibrate and plan.",
                                     kFooter);
  app->require_subcommand(1);
  bool version = false;
  app->add_flag("--version", version, "print the version and the git SHA it was built from");
  for (const auto& c : kCommands) {
    auto* sub = app->add_subcommand(c.name, c.summary);
    sub->prefix_command();  // everything after the command is the command's
    sub->set_help_flag();   // so `gpuscale run --help` reaches run's parser
  }
  if (args.empty()) {
    std::cerr << app->help();
    return 2;
  }
  if (args.front() == "help") {
    std::cout << app->help();
    return 0;
  }
  const bool known = std::any_of(std::begin(kCommands), std::end(kCommands),
                                 [&](const Command& c) { return args.front() == c.name; });
  if (!known && args.front().rfind("-", 0) != 0) {
    gpuscale::cli::usage_error(*app, "unknown command '" + args.front() + "'", std::cerr);
    return 2;
  }
  if (args.front() == "--version")
    version = true;
  else if (const int code = gpuscale::cli::parse_args(*app, args, std::cout, std::cerr); code >= 0)
    return code;
  std::string cmd = "version";
  std::vector<std::string> rest;
  if (!version) {
    CLI::App* sub = app->get_subcommands().front();
    cmd = sub->get_name();
    rest = sub->remaining();
  }
  try {
    if (cmd == "version") {
      if (!rest.empty()) {
        std::cerr << "gpuscale version: takes no arguments\n";
        return 2;
      }
      std::cout << "gpuscale " << gpuscale::tool_version() << " (" << gpuscale::build_git_sha() << ")\n";
      return 0;
    }
    if (cmd == "run") return gpuscale::cli::run_command(rest, argv[0], std::cout, std::cerr);
    if (cmd == "validate") return validate_command(rest, std::cout, std::cerr);
    if (cmd == "compare") return gpuscale::cli::compare_command(rest, std::cout, std::cerr);
    if (cmd == "check") return gpuscale::cli::check_command(rest, std::cout, std::cerr);
    if (cmd == "report") return gpuscale::cli::report_command(rest, std::cout, std::cerr);
    if (cmd == "plan") return gpuscale::plan_command(rest, std::cout, std::cerr);
    if (cmd == "calibrate") return gpuscale::calibrate_command(rest, std::cout, std::cerr);
    std::cerr << "gpuscale: unknown command '" << cmd << "'\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gpuscale " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
