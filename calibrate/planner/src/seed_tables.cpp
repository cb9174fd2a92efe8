#include "gpuscale/planner/seed_tables.hpp"

namespace gpuscale::planner {
std::string seed_tables_markdown() { return "TODO\n"; }
}  // namespace gpuscale::planner
