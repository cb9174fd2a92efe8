// Fuzz target: a results document through everything that reads one — the schema, the entry
// parser, run's summary table, report's charts, compare (two and N runs), check, and calibrate.
#include "check_command.hpp"
#include "compare_command.hpp"
#include "fuzz_common.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/planner/calibrate.hpp"
#include "report_command.hpp"
#include "run_command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return gpuscale::fuzz::run(data, size, [](const nlohmann::json& doc) {
    if (!gpuscale::validate_json(gpuscale::results_schema(), doc).empty()) return;
    for (const auto& b : doc["benchmarks"]) gpuscale::benchmark_entry_from_json(b);
    gpuscale::cli::summary_table(doc);
    for (const auto& c : gpuscale::cli::charts_for(doc)) gpuscale::cli::svg_chart(c);
    gpuscale::cli::compare_documents(doc, doc, 5);
    gpuscale::cli::compare_runs({doc, doc}, {});
    gpuscale::cli::check_document(doc, {});
    gpuscale::planner::calibrate({{"fuzz-input.json", doc}});
  });
}
