// The seed survey's tables regenerated from the planner, side by side with the survey's rules of
// thumb (VRAM by model size per method, 70B per method with the GPUs that fit, training time).
// `gpuscale plan --seed-tables` prints them; docs/seed-tables.md is that output.
#pragma once

#include <string>

namespace gpuscale::planner {

std::string seed_tables_markdown();

}  // namespace gpuscale::planner
