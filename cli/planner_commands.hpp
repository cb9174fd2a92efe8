// The `gpuscale plan` and `gpuscale calibrate` subcommands. `args` exclude the program name and the
// subcommand word. Exit codes: 0 ok, 2 usage or bad input (nothing written), 1 other errors.
//
//   gpuscale calibrate h200.json [more.json...] -o h200.profile.json [--export llm-analysis FILE]
//   gpuscale calibrate --builtin h100-sxm-80gb -o h100.profile.json
//   gpuscale plan --model llama-3.1-8b --method qlora --gpu "NVIDIA H100 80GB HBM3" --seq-len 4096
//   gpuscale plan --scenario finetune.json --format json -o plan.json
//   gpuscale plan --seed-tables -o docs/seed-tables.md
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gpuscale {

int plan_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int calibrate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gpuscale
