// `gpuscale run` keeps every result it can: against stand-in bench binaries
// (tests/cli/standin/standin-bench) that hang, crash, exit 3, write an invalid value, leave a
// grandchild holding stderr, or find no GPU; under a time budget; when killed or interrupted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "command.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "minimal_document.hpp"
#include "run_command.hpp"
#include "temp_dir.hpp"

namespace gpuscale {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_command_line;

namespace {

class RunResilience : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs::create_directories(dir_ / "bin");
    for (const char* b :
         {"bench_memory", "bench_compute", "bench_gemm", "bench_collectives", "bench_transfer"})
      fs::create_symlink(STANDIN_BENCH, dir_ / "bin" / b);
  }
  std::string run_cmd(const std::string& env, const std::string& opts) const {
    return env + " " + GPUSCALE_BIN + " run --bin-dir " + path("bin") + " " + opts;
  }
  // Starts the run in the background: its pid in `pid`, its stderr in `err`, its exit code in `rc`
  // once it ends.
  void start(const std::string& env, const std::string& opts) const {
    std::system(("(" + run_cmd(env, opts) + " >/dev/null 2>" + path("err") + " & echo $! > " + path("pid") +
                 "; wait $!; echo $? > " + path("rc") + ") &")
                    .c_str());
  }
  static std::string ready(const std::string& file) {
    return fs::exists(file) ? test::slurp(file) : std::string();
  }
};

const json& binary(const json& doc, const std::string& name) {
  for (const auto& b : doc["run"]["binaries"])
    if (b["name"] == name) return b;
  throw std::runtime_error("no binary " + name);
}

std::map<std::string, std::string> statuses(const json& doc) {
  std::map<std::string, std::string> s;
  for (const auto& b : doc["benchmarks"]) s[b["id"]] = b["status"];
  return s;
}

bool wait_for(const std::function<bool()>& ready, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_F(RunResilience, KeepsEveryFinishedBenchmarkWhateverEachBinaryDid) {
  const std::string out = path("r.json");
  auto r =
      run_command_line(run_cmd("STANDIN_MEMORY=grandchild STANDIN_COMPUTE=hang STANDIN_GEMM=crash "
                               "STANDIN_COLLECTIVE=exit3 STANDIN_TRANSFER=invalid",
                               "--backend gpu --timeout-s 3 -o " + out));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const json doc = read_json_file(out);
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  const auto s = statuses(doc);
  EXPECT_EQ(s.size(), 15u);
  // memory: all three; the grandchild holding stderr did not hold the run (it sleeps 600 s).
  EXPECT_EQ(binary(doc, "bench_memory")["status"], "ok");
  EXPECT_LT(binary(doc, "bench_memory")["wall_s"].get<double>(), 300);
  EXPECT_EQ(s.at("memory/standin/n:3"), "ok");
  // compute hung after one: killed at the limit, the rest not_run with the reason.
  EXPECT_EQ(binary(doc, "bench_compute")["status"], "timed_out");
  EXPECT_EQ(s.at("compute/standin/n:1"), "ok");
  EXPECT_EQ(s.at("compute/standin/n:2"), "not_run");
  // gemm crashed after one: the signal is named, not "exit -1".
  EXPECT_EQ(binary(doc, "bench_gemm")["status"], "crashed");
  EXPECT_EQ(binary(doc, "bench_gemm")["signal"], SIGSEGV);
  EXPECT_EQ(s.at("gemm/standin/n:1"), "ok");
  EXPECT_EQ(s.at("gemm/standin/n:3"), "not_run");
  // collectives exited 3 after two: both kept.
  EXPECT_EQ(binary(doc, "bench_collectives")["exit_code"], 3);
  EXPECT_EQ(s.at("collective/standin/n:2"), "ok");
  EXPECT_EQ(s.at("collective/standin/n:3"), "not_run");
  // transfer's invalid entry is an error naming its pointer; its neighbours are kept.
  EXPECT_EQ(s.at("transfer/standin/n:1"), "ok");
  EXPECT_EQ(s.at("transfer/standin/n:2"), "error");
  EXPECT_EQ(s.at("transfer/standin/n:3"), "ok");
  ASSERT_TRUE(doc["run"].contains("schema_problems"));
  EXPECT_NE(doc["run"]["schema_problems"][0].get<std::string>().find("/samples_s/0"), std::string::npos);
  for (const auto& b : doc["benchmarks"])
    if (b["id"] == "gemm/standin/n:2")
      EXPECT_NE(b["reason"].get<std::string>().find("crashed (signal 11"), std::string::npos);
}

TEST_F(RunResilience, AKilledRunKeepsTheDocumentOfEveryFinishedBinary) {
  const std::string out = path("k.json");
  start("STANDIN_COMPUTE=hang STANDIN_HANG_S=30", "--backend gpu -o " + out);
  // After bench_memory, the document is already there with its three benchmarks.
  ASSERT_TRUE(wait_for([&] { return fs::exists(out); }, 60));
  ASSERT_TRUE(wait_for([&] { return !ready(path("pid")).empty(); }, 10));
  const pid_t pid = std::stoi(ready(path("pid")));
  ::kill(pid, SIGKILL);
  const json doc = read_json_file(out);
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  EXPECT_EQ(statuses(doc).at("memory/standin/n:3"), "ok");
  EXPECT_EQ(doc["run"]["binaries"][0]["name"], "bench_memory");
  std::system("pkill -KILL -f 'sleep 30' 2>/dev/null");  // the orphaned stand-in's sleep
}

TEST_F(RunResilience, SigtermStopsTheBinaryWritesWhatFinishedAndExits143) {
  const std::string out = path("t.json"), hanging = path("hanging");
  start("STANDIN_COMPUTE=hang STANDIN_HANG_S=120 STANDIN_HANG_MARKER=" + hanging, "--backend gpu -o " + out);
  ASSERT_TRUE(wait_for([&] { return fs::exists(hanging); }, 60));  // compute finished one, then hangs
  ASSERT_TRUE(wait_for([&] { return !ready(path("pid")).empty(); }, 10));
  ::kill(std::stoi(ready(path("pid"))), SIGTERM);
  ASSERT_TRUE(wait_for([&] { return !ready(path("rc")).empty(); }, 30));
  EXPECT_EQ(std::stoi(ready(path("rc"))), 143);
  const json doc = read_json_file(out);
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  const auto s = statuses(doc);
  EXPECT_EQ(s.at("memory/standin/n:1"), "ok");
  EXPECT_EQ(s.at("compute/standin/n:1"), "ok");  // finished before the signal
  EXPECT_EQ(s.at("compute/standin/n:2"), "not_run");
  EXPECT_EQ(binary(doc, "bench_compute")["status"], "interrupted");
  EXPECT_EQ(binary(doc, "bench_gemm")["status"], "not_started");
  const std::string run_id = doc["run"]["id"];
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / ("gpuscale-run-" + run_id)));
  EXPECT_FALSE(fs::exists(out + ".lock"));
}

TEST_F(RunResilience, WhenTheDocumentCannotBeWrittenEveryBinarysResultsAreKeptAndNamed) {
  const std::string out = path("gone/r.json"), hanging = path("hanging");
  start("STANDIN_COMPUTE=hang STANDIN_HANG_S=3 STANDIN_HANG_MARKER=" + hanging, "--backend gpu -o " + out);
  ASSERT_TRUE(wait_for([&] { return fs::exists(hanging); }, 60));
  fs::remove_all(path("gone"));  // the destination disappears while the run goes on
  ASSERT_TRUE(wait_for([&] { return !ready(path("rc")).empty(); }, 60));
  EXPECT_EQ(std::stoi(ready(path("rc"))), 1);
  const std::string err = ready(path("err"));
  const std::string key = "every binary's results are kept in ";
  const auto at = err.find(key);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string kept = err.substr(at + key.size(), err.find('\n', at) - at - key.size());
  EXPECT_TRUE(fs::exists(fs::path(kept) / "bench_memory-gpu0.json")) << kept;
  EXPECT_TRUE(fs::exists(fs::path(kept) / "bench_compute-gpu0.json")) << kept;
  fs::remove_all(kept);
}

TEST_F(RunResilience, TimeBudgetBoundsTheRunAndRecordsWhatItLeftOut) {
  const std::string out = path("b.json");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_command_line(
      run_cmd("STANDIN_COMPUTE=hang STANDIN_HANG_S=120", "--backend gpu --time-budget-s 12 -o " + out));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_LT(wall, 100);  // bounded by the budget, not by the 120 s hang or the 1800 s default limit
  const json doc = read_json_file(out);
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  EXPECT_EQ(binary(doc, "bench_compute")["status"], "timed_out");
  EXPECT_EQ(binary(doc, "bench_gemm")["status"], "not_started");
  EXPECT_EQ(binary(doc, "bench_transfer")["status"], "not_started");
  bool found = false;
  for (const auto& b : doc["benchmarks"])
    if (b["id"] == "gemm/standin/n:1") {
      found = true;
      EXPECT_EQ(b["status"], "not_run");
      EXPECT_NE(b["reason"].get<std::string>().find("time budget"), std::string::npos);
    }
  EXPECT_TRUE(found);
}

TEST_F(RunResilience, BackendGpuFailsLoudlyInsteadOfMeasuringTheHost) {
  const std::string out = path("g.json");
  auto r = run_command_line(run_cmd("STANDIN_MEMORY=nogpu", "--backend gpu -o " + out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("stand-in told so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not measuring the host"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".lock"));
}

TEST_F(RunResilience, ASecondRunToTheSameOutputIsRefused) {
  const std::string out = path("l.json");
  const int fd = ::open((out + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto r = run_command_line(run_cmd("", "--backend gpu -o " + out));
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("being written by another gpuscale run"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RunResilience, DestinationIsCheckedBeforeAnythingRuns) {
  // A folder that cannot be made (its parent is a file): refused at once, nothing written.
  std::ofstream(path("file")) << "x";
  const std::string bad = path("file/sub/out.json");
  auto r = run_command_line(run_cmd("STANDIN_MEMORY=hang", "--backend gpu -o " + bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("== bench_memory"), std::string::npos) << "nothing may run: " << r.err;
  // A folder that does not exist yet is created.
  const std::string fresh = path("new/dir/out.json");
  r = run_command_line(run_cmd("", "--backend gpu -o " + fresh));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(fresh));
}

TEST_F(RunResilience, NumbersAreParsedWholeInBothFlagForms) {
  const std::string out = path("n.json");
  EXPECT_EQ(run_command_line(run_cmd("", "--backend=gpu --timeout-s=30 -o " + out)).exit_code, 0);
  auto r = run_command_line(run_cmd("", "--backend gpu --timeout-s 3abc -o " + out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--timeout-s: '3abc'"), std::string::npos) << r.err;
  r = run_command_line(run_cmd("", "--time-budget-s=nan -o " + out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--time-budget-s"), std::string::npos) << r.err;
}

TEST(RunPieces, ListedNamesLoseGoogleBenchmarksSuffixes) {
  EXPECT_EQ(cli::id_from_listed_name("memory/copy/bytes:1048576/width:16/iterations:1/manual_time"),
            "memory/copy/bytes:1048576/width:16");
  EXPECT_EQ(cli::id_from_listed_name("gemm/mamf/precision:bf16/repeats:3/iterations:1/real_time"),
            "gemm/mamf/precision:bf16");
  EXPECT_EQ(cli::id_from_listed_name("compute/fma/type:fp32"), "compute/fma/type:fp32");
}

TEST(RunPieces, NotRunEntriesCoverWhatTheFragmentLacks) {
  const json fragment = {{"benchmarks", {{{"id", "memory/copy/bytes:1/width:16"}}}}};
  const json m = cli::not_run_entries({"memory/copy/bytes:1/width:16", "memory/latency/bytes:2", "not an id"},
                                      fragment, "gpu", 3, "bench_memory crashed");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["id"], "memory/latency/bytes:2");
  EXPECT_EQ(m[0]["status"], "not_run");
  EXPECT_EQ(m[0]["gpu_index"], 3);
  EXPECT_EQ(m[0]["reason"], "bench_memory crashed");
}

TEST(RunPieces, InvalidEntriesBecomeErrorsNamingThePointer) {
  auto entry = [](const std::string& id) {
    return json{{"id", id},
                {"family", "memory"},
                {"backend", "gpu"},
                {"parameters", json::object()},
                {"status", "ok"},
                {"samples_s", {0.001}},
                {"metrics", {{"bandwidth_gbps", 100.0}}}};
  };
  json doc =
      test::minimal_document({entry("memory/copy/bytes:1/width:16"), entry("memory/copy/bytes:2/width:16"),
                              entry("memory/copy/bytes:4/width:16")});
  ASSERT_TRUE(validate_json(results_schema(), doc).empty()) << validate_json(results_schema(), doc)[0];
  ASSERT_GE(doc["benchmarks"].size(), 2u);
  doc["benchmarks"][1]["metrics"]["bandwidth_gbps"] = nullptr;  // what NaN becomes in JSON
  doc["benchmarks"][0]["family"] = "disks";                     // not even an entry: dropped
  const std::size_t n = doc["benchmarks"].size();
  const auto problems = cli::quarantine_invalid_entries(doc);
  EXPECT_EQ(problems.size(), 2u);
  EXPECT_TRUE(validate_json(results_schema(), doc).empty());
  ASSERT_EQ(doc["benchmarks"].size(), n - 1);
  EXPECT_EQ(doc["benchmarks"][0]["status"], "error");
  EXPECT_NE(doc["benchmarks"][0]["reason"].get<std::string>().find("/benchmarks/1/metrics/bandwidth_gbps"),
            std::string::npos);
  EXPECT_FALSE(doc["benchmarks"][0].contains("metrics"));
}

}  // namespace gpuscale
