// The argument rules every gpuscale subcommand shares (cli/args.hpp): both flag forms, malformed
// numbers named by their flag, unknown flags rejected with exit 2, --help generated with exit 0.
#include "gpuscale/core/args.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale {
using test::run_command_line;

namespace {

test::CommandResult gpuscale(const std::string& args) {
  return run_command_line(std::string(GPUSCALE_BIN) + " " + args);
}

const char* kCommands[] = {"run", "validate", "compare", "check", "report", "plan", "calibrate"};

}  // namespace

TEST(Args, HelpIsGeneratedForEveryCommandWithExitZero) {
  for (const char* cmd : kCommands) {
    for (const char* flag : {"--help", "-h"}) {
      const auto r = gpuscale(std::string(cmd) + " " + flag);
      EXPECT_EQ(r.exit_code, 0) << cmd << " " << flag << "\n" << r.err;
      EXPECT_NE(r.out.find(std::string("Usage: gpuscale ") + cmd), std::string::npos) << cmd << "\n" << r.out;
      EXPECT_NE(r.out.find("--help"), std::string::npos) << cmd << "\n" << r.out;
      EXPECT_TRUE(r.err.empty()) << cmd << "\n" << r.err;
    }
  }
  const auto top = gpuscale("--help");
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : kCommands) EXPECT_NE(top.out.find(cmd), std::string::npos) << top.out;
  const auto bare = run_command_line(GPUSCALE_BIN);
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("Usage: gpuscale"), std::string::npos) << bare.err;
}

TEST(Args, HelpKeepsTheExitStatusSection) {
  for (const char* cmd : kCommands) {
    const auto r = gpuscale(std::string(cmd) + " --help");
    EXPECT_NE(r.out.find("exit status"), std::string::npos) << cmd << "\n" << r.out;
  }
}

TEST(Args, UnknownFlagsAreRejectedWithExitTwo) {
  for (const char* cmd : kCommands) {
    // (report's required -o given, so the unknown flag is what is wrong)
    const auto r = gpuscale(std::string(cmd) + " --frobnicate x.json y.json" +
                            (std::string(cmd) == "report" ? " -o page.html" : ""));
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find(std::string("(see gpuscale ") + cmd + " --help)"), std::string::npos) << r.err;
  }
  const auto r = gpuscale("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
}

TEST(Args, BadNumbersAreErrorsNamingTheFlag) {
  struct Case {
    std::string command, flag;
  };
  const Case cases[] = {
      {"run --bin-dir /nonexistent", "--timeout-s"},
      {"run --bin-dir /nonexistent", "--time-budget-s"},
      {"compare a.json b.json", "--threshold-pct"},
      {"check a.json", "--tolerance-pct"},
      {"plan --model llama-3-8b --method lora --gpu h100-sxm-80gb", "--seq-len"},
      {"plan --model llama-3-8b --method lora --gpu h100-sxm-80gb", "--gpus-per-node"},
      {"plan --model llama-3-8b --method lora --gpu h100-sxm-80gb", "--tokens"},
      {"plan --model llama-3-8b --method lora --gpu h100-sxm-80gb", "--price-per-gpu-hour"}};
  for (const auto& c : cases) {
    for (const std::string bad : {"3abc", "nan", "inf", "''"}) {
      for (const bool inline_form : {false, true}) {
        const std::string arg = inline_form ? c.flag + "=" + bad : c.flag + " " + bad;
        const auto r = gpuscale(c.command + " " + arg);
        EXPECT_EQ(r.exit_code, 2) << c.command << " " << arg << "\n" << r.err;
        EXPECT_NE(r.err.find(c.flag), std::string::npos) << c.command << " " << arg << "\n" << r.err;
        EXPECT_EQ(r.err.find("stoi"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("stod"), std::string::npos) << r.err;
      }
    }
  }
}

TEST(Args, BothFlagFormsWork) {
  // The same option as `--flag value` and `--flag=value` gives the same result.
  const std::string plan = "plan --model llama-3-8b --method lora --gpu h100-sxm-80gb --format json";
  const auto spaced = gpuscale(plan + " --seq-len 2048 --gpus-per-node 2 --compile --tokens 1e9");
  const auto inline_ = gpuscale(plan + " --seq-len=2048 --gpus-per-node=2 --compile=true --tokens=1e9");
  const auto underscored = gpuscale(plan + " --seq_len=2048 --gpus_per_node 2 --compile true --tokens 1e9");
  ASSERT_EQ(spaced.exit_code, 0) << spaced.err;
  EXPECT_EQ(inline_.exit_code, 0) << inline_.err;
  EXPECT_EQ(spaced.out, inline_.out);
  EXPECT_EQ(spaced.out, underscored.out);
  // Values are checked after parsing whichever form they came in.
  for (const std::string arg : {"--format xml", "--format=xml"}) {
    const auto r = gpuscale("compare a.json b.json " + arg);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--format: 'xml' is not table, markdown, csv or json"), std::string::npos) << r.err;
  }
  for (const std::string arg : {"--suite huge", "--suite=huge"}) {
    const auto r = gpuscale("run " + arg);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--suite: 'huge' is not quick or full"), std::string::npos) << r.err;
  }
  for (const std::string arg : {"--format json", "--format=json"}) {
    const auto r = gpuscale("check missing.json " + arg);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;  // got past the arguments
  }
  for (const std::string arg : {"-o page.html", "--output=page.html", "--output page.html"}) {
    const auto r = gpuscale("report missing.json " + arg);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("missing.json"), std::string::npos) << arg << "\n" << r.err;
  }
}

// The helper itself, in-process.
TEST(Args, ParseArgsReportsHelpAndErrors) {
  double x = 1;
  std::string s;
  auto app = cli::make_app("gpuscale demo", "A demo.", "exit status: 0 fine.");
  app->add_option("--x", x, "a number")->check(cli::finite_number("a number > 0", [](double v) {
    return v > 0;
  }));
  app->add_option("--s", s, "a string");
  std::ostringstream out, err;
  EXPECT_EQ(cli::parse_args(*app, {"--x=2.5", "--s", "a", "--s", "b"}, out, err), -1) << err.str();
  EXPECT_EQ(x, 2.5);
  EXPECT_EQ(s, "b");  // the last of a repeated option
  EXPECT_EQ(cli::parse_args(*app, {"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("Usage: gpuscale demo"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("exit status: 0 fine."), std::string::npos) << out.str();
  for (const std::string bad : {"-1", "3abc", "nan", "", "1e999"}) {
    err.str("");
    auto app2 = cli::make_app("gpuscale demo", "");
    app2->add_option("--x", x)->check(cli::finite_number("a number > 0", [](double v) { return v > 0; }));
    EXPECT_EQ(cli::parse_args(*app2, {"--x", bad}, out, err), 2) << bad;
    EXPECT_EQ(err.str(),
              "gpuscale demo: --x: '" + bad + "' is not a number > 0 (see gpuscale demo --help)\n");
  }
  EXPECT_FALSE(parse_finite(" 1"));
  EXPECT_FALSE(parse_finite("1 "));
  EXPECT_FALSE(parse_finite("-inf"));
  EXPECT_EQ(parse_finite("-1.5e3"), -1500.0);
}

}  // namespace gpuscale
