// What the benchmarks declare must not change when the harness under them changes: the ids, the
// parameters and the declared work of every benchmark, compared with golden files generated from
// the code before the change (tests/bench/golden/*.jsonl, one entry per line, listing order).
//
//   host_<binary>_<suite>.jsonl  a real host-backend run of bench_memory and bench_collectives
//                                (--backend=host, OMP_NUM_THREADS=2; samples and metrics differ per
//                                run and are not compared), and its listing
//   gpu_<binary>_<suite>.jsonl   (CUDA builds) the entries the GPU bodies declare, built on the host at
//                                fixed machine facts: an H200, 8 NCCL ranks, 2 GPUs for the peer matrix
//
// A change that is meant to change what is declared regenerates them, and the diff shows it:
//   GPUSCALE_UPDATE_GOLDEN=1 ctest --test-dir build/ci -R Golden
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "gpuscale/core/results.hpp"
#if GOLDEN_WITH_CUDA
#include "gpu_entries.hpp"
#endif

namespace gpuscale::bench {
namespace {

using nlohmann::json;

bool updating() {
  const char* v = std::getenv("GPUSCALE_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

std::string golden_path(const std::string& name) {
  return std::string(GOLDEN_DIR) + "/" + name + ".jsonl";
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// One golden line: what a benchmark declares, nothing measured.
std::string declared_line(const std::string& id, const json& parameters, const json& work) {
  return json{{"id", id}, {"parameters", parameters}, {"work", work}}.dump();
}

std::string declared_line(const BenchmarkEntry& e) {
  const json j = to_json(e);
  return declared_line(e.id, e.parameters, j.value("work", json::object()));
}

// Compares `lines` with the golden file `name` (or rewrites it when updating), naming the first
// line that differs.
void expect_golden(const std::string& name, const std::vector<std::string>& lines) {
  const std::string path = golden_path(name);
  if (updating()) {
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  const std::vector<std::string> golden = read_lines(path);
  ASSERT_FALSE(golden.empty()) << path << " is missing or empty (GPUSCALE_UPDATE_GOLDEN=1 writes it)";
  for (std::size_t i = 0; i < std::min(golden.size(), lines.size()); ++i)
    ASSERT_EQ(lines[i], golden[i]) << name << ": line " << i + 1 << " differs";
  ASSERT_EQ(lines.size(), golden.size())
      << name << ": " << lines.size() << " entries, golden has " << golden.size();
}

// "memory/host/copy/bytes:1048576/iterations:1/manual_time" -> the id.
std::string id_of_listed(std::string name) {
  for (const char* suffix : {"/manual_time", "/iterations:1"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
      name.resize(name.size() - s.size());
  }
  return name;
}

std::vector<std::string> listed_ids(const std::string& command) {
  const auto r = test::run_command_line(command + " --benchmark_list_tests=true");
  EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
  std::vector<std::string> ids;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(id_of_listed(line));
  return ids;
}

// A host-backend run of `binary` for `suite`, as fast as the sampling allows: every entry's
// declaration, in the order the binary ran them, checked against its listing and the golden file.
void check_host_run(const std::string& name, const std::string& binary, const std::string& suite) {
  const std::string command = "OMP_NUM_THREADS=2 " + binary + " --backend=host --suite=" + suite;
  const std::vector<std::string> listed = listed_ids(command);
  ASSERT_FALSE(listed.empty());
  const std::string out = testing::TempDir() + "golden-" + name + "-" + suite + ".json";
  const auto r = test::run_command_line(command + " --max_time_s=0 --target_cv=1 --gpuscale_out=" + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json fragment = json::parse(test::slurp(out));
  std::remove(out.c_str());
  std::vector<std::string> ids, lines;
  for (const json& b : fragment.at("benchmarks")) {
    ids.push_back(b.at("id").get<std::string>());
    lines.push_back(declared_line(b.at("id"), b.at("parameters"), b.value("work", json::object())));
  }
  ASSERT_EQ(ids, listed) << name << " ran other benchmarks than it lists";
  expect_golden("host_" + name + "_" + suite, lines);
}

TEST(Golden, HostMemoryQuick) {
  check_host_run("bench_memory", BENCH_MEMORY_BIN, "quick");
}
TEST(Golden, HostMemoryFull) {
  check_host_run("bench_memory", BENCH_MEMORY_BIN, "full");
}
TEST(Golden, HostCollectivesQuick) {
  check_host_run("bench_collectives", BENCH_COLLECTIVES_BIN, "quick");
}
TEST(Golden, HostCollectivesFull) {
  check_host_run("bench_collectives", BENCH_COLLECTIVES_BIN, "full");
}

#if GOLDEN_WITH_CUDA
void check_gpu_entries(const std::string& binary, const std::string& suite) {
  fixtures::MachineFacts facts;
  facts.nccl_ranks = 8;
  facts.gpus = 2;
  std::vector<std::string> lines;
  for (const BenchmarkEntry& e : fixtures::gpu_entries(binary, suite, facts))
    lines.push_back(declared_line(e));
  ASSERT_FALSE(lines.empty()) << binary;
  expect_golden("gpu_" + binary + "_" + suite, lines);
}

class GoldenGpu : public testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(GoldenGpu, EntriesDeclareWhatTheyDeclaredBefore) {
  check_gpu_entries(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Binaries, GoldenGpu,
                         testing::Combine(testing::Values("bench_memory", "bench_compute", "bench_gemm",
                                                          "bench_collectives", "bench_transfer"),
                                          testing::Values("quick", "full")),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                         });
#endif

}  // namespace
}  // namespace gpuscale::bench
