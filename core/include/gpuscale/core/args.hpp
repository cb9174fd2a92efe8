// The one argument parser of every gpuscale binary: each subcommand of the gpuscale command (and
// its top-level dispatch) and each bench binary declares its options on a CLI11 app made here and
// parses through parse_args, so the rules are the same everywhere: `--flag=value` and `--flag value`
// both work, unknown flags are rejected, a malformed number is an error naming its flag, `--help` is
// generated from the declarations (with the program's description above the options and its footer
// - details, exit status, examples - below them).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpuscale::cli {

// The app of a program ("gpuscale", "gpuscale run", "bench_memory"). `description` is
// printed after the usage line, `footer` after the options. A repeated option keeps its last value
// (vector options and positionals collect every value).
std::unique_ptr<CLI::App> make_app(const std::string& program, const std::string& description,
                                   const std::string& footer = "");

// Parses `args` (in command-line order). Returns -1 when the command should go on; otherwise the
// exit status after printing: 0 for --help (the generated help, to `out`), 2 for a usage error
// ("<program>: <message> (see <program> --help)", to `err`).
int parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// A check for a number option, run on its text before CLI11 converts it: the text must be a finite
// number (core's parse_finite) for which `accept` (when given) holds; the error, prefixed by
// CLI11 with the flag's name, is "'TEXT' is not WHAT".
CLI::Validator finite_number(const std::string& what = "a finite number",
                             std::function<bool(double)> accept = {});

// A check that the option's text is one of `values`; the error is "'TEXT' is not WHAT".
CLI::Validator one_of(std::vector<std::string> values, const std::string& what);

// A comma-separated list without its empty items: "a,b,,c" -> ["a", "b", "c"].
std::vector<std::string> split_commas(const std::string& text);

// The usage error (exit 2) parse_args reports, for checks made after parsing.
void usage_error(const CLI::App& app, const std::string& message, std::ostream& err);

}  // namespace gpuscale::cli
