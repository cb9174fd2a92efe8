// gpuscale: one command for the whole flow.
//   gpuscale run        run the benchmark suite, write one results document
//   gpuscale validate   check a results document against its schema
//   gpuscale compare    results documents side by side, across nodes and GPU generations
//   gpuscale check      node acceptance from one results document (pass / warn / fail)
//   gpuscale report     charts of one or more results documents as one HTML page
//   gpuscale calibrate  fit results documents into a GPU profile
//   gpuscale plan       memory / time / cost of a fine-tuning or inference scenario
#include <iostream>
#include <string>
#include <vector>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "check_command.hpp"
#include "compare_command.hpp"
#include "report_command.hpp"
#include "run_command.hpp"
#include "planner_commands.hpp"

namespace {

const char* kUsage = R"(usage: gpuscale <command> [options]

commands:
  run         run the benchmark suite on every local GPU (or the host) and write one results document
  validate    check results documents against results/schema/results.schema.json
  compare     runs side by side across nodes and GPU generations (ratios, % of peak, noise-aware
              verdicts, per dollar); regressions and lost benchmarks exit 1
  check       accept or reject a node from its results document: pass / warn / fail per GPU; a fail exits 1
  report      an HTML page with charts (sweeps, roofline, several runs overlaid, the compare table)
  calibrate   fit results documents into a GPU profile
  plan        memory, time and cost of a fine-tuning or inference scenario
  version     print the version and the git SHA it was built from

'gpuscale <command> --help' describes each command.

examples:
  gpuscale run -o h200.json
  gpuscale compare last-week.json h200.json
  gpuscale check h200.json
  gpuscale report h200.json -o h200.html
  gpuscale calibrate h200.json -o h200.profile.json
  gpuscale plan --model llama-3-8b --method qlora --gpu h200-sxm-141gb
)";

int validate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    (args.empty() ? err : out) << "usage: gpuscale validate RESULTS.json...\n"
                                  "Checks each document against the results schema; prints every violation\n"
                                  "as FILE: /json/pointer: message. Exit 0 when all are valid, 2 otherwise.\n";
    return args.empty() ? 2 : 0;
  }
  int bad = 0;
  for (const auto& path : args) {
    try {
      const auto problems = gpuscale::validate_json(gpuscale::results_schema(), gpuscale::read_json_file(path));
      for (const auto& p : problems) err << path << ": " << p << "\n";
      if (problems.empty()) out << path << ": valid\n";
      else ++bad;
    } catch (const std::exception& e) {
      err << e.what() << "\n";
      ++bad;
    }
  }
  return bad ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  try {
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "version" || cmd == "--version") {
      std::cout << "gpuscale " << gpuscale::tool_version() << " (" << gpuscale::build_git_sha() << ")\n";
      return 0;
    }
    if (cmd == "run") return gpuscale::cli::run_command(args, argv[0], std::cout, std::cerr);
    if (cmd == "validate") return validate_command(args, std::cout, std::cerr);
    if (cmd == "compare") return gpuscale::cli::compare_command(args, std::cout, std::cerr);
    if (cmd == "check") return gpuscale::cli::check_command(args, std::cout, std::cerr);
    if (cmd == "report") return gpuscale::cli::report_command(args, std::cout, std::cerr);
    if (cmd == "plan") return gpuscale::plan_command(args, std::cout, std::cerr);
    if (cmd == "calibrate") return gpuscale::calibrate_command(args, std::cout, std::cerr);
    std::cerr << "gpuscale: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gpuscale " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
