#include "run_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "gpuscale/core/args.hpp"
#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/schemas.hpp"
#include "gpuscale/core/units.hpp"
#include "process.hpp"

namespace gpuscale::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Family {
  const char* name;
  const char* binary;
  bool all_gpus_at_once;  // collectives span every local GPU in one process
};
constexpr Family kFamilies[] = {{"memory", "bench_memory", false},
                                {"compute", "bench_compute", false},
                                {"gemm", "bench_gemm", false},
                                {"collective", "bench_collectives", true},
                                {"transfer", "bench_transfer", false}};

const char* kDescription =
    R"(Runs the benchmark suite on every local GPU (or, without a usable GPU, on the host backend) and
writes one results document (schema results/schema/results.schema.json), then prints a summary.)";

const char* kFooter =
    R"(The document is rewritten (atomically) after every binary, and each binary rewrites its own part
after every benchmark: a run that is killed, or a binary that crashes, hangs or exits non-zero,
keeps every benchmark that finished. Benchmarks a binary listed but never reached are recorded
with status not_run and the reason; run.binaries says how each binary ended. An entry that fails
the results schema is kept as an error naming its JSON pointer (run.schema_problems lists them).
SIGINT/SIGTERM stop the running binary, write what finished and exit 128+signal.

exit status: 0 all benchmarks ok or skipped; 3 some benchmark errored or was not run, or a binary
failed (the document is still written); 2 bad usage or no benchmark binary (or, with --backend gpu,
no usable GPU); 1 the document could not be written, or was written but fails its schema;
130/143 interrupted by SIGINT/SIGTERM (the document holds what finished).

example:
  gpuscale run -o h200.json)";

std::string find_binary(const std::string& name, const std::vector<fs::path>& dirs) {
  for (const auto& d : dirs) {
    const fs::path p = d / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

}  // namespace

// Google Benchmark lists names with its own suffixes (/iterations:1/manual_time); ids have none.
std::string id_from_listed_name(std::string name) {
  static const char* kSuffixes[] = {"iterations:", "manual_time", "real_time",        "process_time",
                                    "repeats:",    "min_time:",   "min_warmup_time:", "threads:"};
  for (;;) {
    const auto slash = name.rfind('/');
    if (slash == std::string::npos) return name;
    const std::string last = name.substr(slash + 1);
    if (std::none_of(std::begin(kSuffixes), std::end(kSuffixes),
                     [&](const char* sfx) { return last.rfind(sfx, 0) == 0; }))
      return name;
    name.erase(slash);
  }
}

namespace {

std::string last_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  const auto pos = s.rfind('\n');
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

}  // namespace

json merge_fragments(const std::vector<json>& fragments, const json& run) {
  json system;
  json job;  // the widest multi-process extent any fragment saw (ranks, hosts)
  // One entry per GPU: its UUID (unique across nodes), else node + index; of two descriptions of
  // one GPU the fuller one (a multi-process run adds host and rank) is kept.
  std::map<std::string, json> gpus;
  json benchmarks = json::array();
  for (const auto& f : fragments) {
    // The GPU fragments know the driver and library versions: prefer the richest system record.
    const json& s = f.at("system");
    if (system.is_null() || s.size() > system.size()) system = s;
    if (s.contains("ranks") && (job.is_null() || s["ranks"].get<int>() > job["ranks"].get<int>()))
      job = {{"ranks", s["ranks"]}, {"hosts", s.value("hosts", json::array())}};
    for (const auto& x : f.value("gpus", json::array())) {
      const std::string uuid = x.value("uuid", std::string());
      const std::string key =
          !uuid.empty() ? uuid : x.value("host", std::string()) + "/" + x.at("index").dump();
      auto it = gpus.find(key);
      if (it == gpus.end() || x.size() > it->second.size()) gpus[key] = x;
    }
    for (const auto& b : f.at("benchmarks")) benchmarks.push_back(b);
  }
  if (!job.is_null())
    system.update(job);
  else
    system.erase("ranks"), system.erase("hosts");
  std::vector<json> sorted;
  for (auto& [_, x] : gpus) sorted.push_back(x);
  std::stable_sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
    const auto ka = std::make_pair(a.value("host", std::string()), a.at("index").get<int>());
    const auto kb = std::make_pair(b.value("host", std::string()), b.at("index").get<int>());
    return ka < kb;
  });
  json g = json::array();
  for (auto& x : sorted) g.push_back(std::move(x));
  return {{"schema_version", 1}, {"run", run}, {"system", system}, {"gpus", g}, {"benchmarks", benchmarks}};
}

std::string summary_table(const json& doc) {
  struct Row {
    std::string status;
    double size = -1;
    std::string metric;
    double value = 0, pct = -1, cv = -1;
    int ok = 0, skipped = 0, error = 0, not_run = 0;
  };
  std::map<std::string, Row> groups;
  std::vector<std::string> order;
  for (const auto& b : doc.at("benchmarks")) {
    std::string id = b.at("id").get<std::string>();
    std::string group;
    double size = 0;
    std::stringstream ss(id);
    for (std::string part; std::getline(ss, part, '/');) {
      if (part.rfind("bytes:", 0) == 0) {
        size = parse_finite(part.substr(6)).value_or(0);  // bytes:abc sorts as the smallest
        continue;
      }
      group += (group.empty() ? "" : "/") + part;
    }
    if (b.contains("gpu_index")) group = "gpu" + std::to_string(b["gpu_index"].get<int>()) + " " + group;
    if (!groups.count(group)) order.push_back(group);
    Row& r = groups[group];
    const std::string st = b.at("status");
    (st == "ok" ? r.ok : st == "skipped" ? r.skipped : st == "not_run" ? r.not_run : r.error)++;
    if (st != "ok" || size < r.size) continue;
    const json& m = b.value("metrics", json::object());
    for (const auto& h : kHeadlineMetrics) {
      const char* k = h.name;
      if (m.contains(k)) {
        r.size = size;
        r.metric = k;
        r.value = m[k].get<double>();
        r.pct = m.contains("pct_of_peak") ? m["pct_of_peak"].get<double>() : -1;
        r.cv = b.contains("stats") ? b["stats"]["cv"].get<double>() : -1;
        break;
      }
    }
  }
  std::ostringstream os;
  os << std::left << std::setw(64) << "benchmark (largest size that ran)" << std::right << std::setw(12)
     << "value"
     << "  " << std::left << std::setw(15) << "unit" << std::right << std::setw(8) << "% peak" << std::setw(8)
     << "cv %"
     << "  ok/skip/err/not-run\n";
  for (const auto& g : order) {
    const Row& r = groups[g];
    char line[256];
    std::string name = g.size() > 63 ? g.substr(0, 60) + "..." : g;
    if (r.metric.empty())
      std::snprintf(line, sizeof line, "%-64s %12s  %-15s %8s %7s  %d/%d/%d/%d\n", name.c_str(), "-", "-",
                    "-", "-", r.ok, r.skipped, r.error, r.not_run);
    else
      std::snprintf(line, sizeof line, "%-64s %12.1f  %-15s %8s %7.2f  %d/%d/%d/%d\n", name.c_str(), r.value,
                    r.metric.c_str(),
                    r.pct >= 0 ? std::to_string(static_cast<int>(r.pct + 0.5)).c_str() : "-", r.cv * 100,
                    r.ok, r.skipped, r.error, r.not_run);
    os << line;
  }
  return os.str();
}

json not_run_entries(const std::vector<std::string>& listed, const json& fragment, const std::string& backend,
                     int device, const std::string& reason) {
  std::set<std::string> done;
  if (fragment.is_object())
    for (const auto& b : fragment.value("benchmarks", json::array()))
      if (b.is_object() && b.contains("id") && b["id"].is_string()) done.insert(b["id"].get<std::string>());
  json out = json::array();
  for (const auto& id : listed) {
    if (done.count(id)) continue;
    BenchmarkId parsed;
    try {
      parsed = BenchmarkId::parse(id);
    } catch (const std::exception&) {
      continue;  // not a gpuscale id: nothing to record it under
    }
    json e = {{"id", id},
              {"family", parsed.family},
              {"backend", parsed.host ? "host" : "gpu"},
              {"parameters", json::object()},
              {"status", "not_run"},
              {"reason", reason}};
    if (backend == "gpu" && !parsed.host) e["gpu_index"] = device;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> quarantine_invalid_entries(json& doc) {
  std::vector<std::string> problems = validate_json(results_schema(), doc);
  if (problems.empty()) return problems;
  // Problems inside one benchmark entry: that entry becomes an error naming the problem (its
  // numbers are not reported); an entry whose id or family itself is invalid is dropped.
  std::map<std::size_t, std::vector<std::string>> by_entry;
  for (const auto& p : problems) {
    static const std::string prefix = "/benchmarks/";
    if (p.rfind(prefix, 0) != 0) continue;
    std::size_t end = prefix.size();
    while (end < p.size() && std::isdigit(static_cast<unsigned char>(p[end]))) ++end;
    if (end == prefix.size() || end >= p.size() || (p[end] != '/' && p[end] != ':')) continue;
    by_entry[std::stoul(p.substr(prefix.size(), end - prefix.size()))].push_back(p);
  }
  json& benchmarks = doc["benchmarks"];
  std::vector<std::size_t> drop;
  for (const auto& [i, list] : by_entry) {
    if (i >= benchmarks.size()) continue;
    json& b = benchmarks[i];
    std::string reason = "entry failed the results schema: " + list.front();
    if (list.size() > 1) reason += " (and " + std::to_string(list.size() - 1) + " more)";
    json fixed = {{"status", "error"}, {"reason", reason}, {"parameters", json::object()}};
    for (const char* k : {"id", "family", "backend", "gpu_index"})
      if (b.is_object() && b.contains(k)) fixed[k] = b[k];
    if (b.is_object() && b.contains("parameters") && b["parameters"].is_object())
      fixed["parameters"] = b["parameters"];
    b = std::move(fixed);
    if (!validate_json(results_schema()["$defs"]["benchmark"], b).empty()) drop.push_back(i);
  }
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) benchmarks.erase(*it);
  return problems;
}

namespace {

std::atomic<int> g_stop{0};
extern "C" void on_stop_signal(int sig) {
  g_stop.store(sig);
}

// SIGINT/SIGTERM raise g_stop for the length of a run; the previous handlers come back after.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(0);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

// The output's lock: a second run to the same file is refused instead of silently overwriting
// (and disturbing) this one. Creating it also proves, before anything runs, that the folder is
// writable.
class OutputLock {
 public:
  explicit OutputLock(const std::string& output) : path_(output + ".lock") {
    const fs::path parent = fs::path(output).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec)
      throw std::runtime_error("cannot write " + output + ": cannot create " + parent.string() + ": " +
                               ec.message());
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot write " + output + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error(output + " is being written by another gpuscale run (lock " + path_ +
                               " is held); use another -o");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 ||
        ::write(fd_, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
      const std::string why = std::strerror(errno);
      release();
      throw std::runtime_error("cannot write " + output + ": " + why);
    }
  }
  ~OutputLock() { release(); }
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  void release() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
  }
  std::string path_;
  int fd_ = -1;
};

std::vector<std::string> list_ids(const std::string& listing_path) {
  std::vector<std::string> ids;
  std::ifstream in(listing_path);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) ids.push_back(id_from_listed_name(line));
  }
  return ids;
}

}  // namespace

int run_command(const std::vector<std::string>& args, const std::string& self_path, std::ostream& out,
                std::ostream& err) {
  std::string output, suite = "quick", backend = "auto", families_arg, devices_arg = "all", bin_dir, log_dir,
                      note;
  double timeout_s = 1800;
  double budget_s = std::numeric_limits<double>::infinity();
  {
    auto app = make_app("gpuscale run", kDescription, kFooter);
    const auto seconds = finite_number("a positive number of seconds", [](double v) { return v > 0; });
    app->add_option("-o,--output", output, "results document (default: gpuscale-results-<run id>.json)")
        ->type_name("FILE");
    app->add_option("--suite", suite, "quick (default, about 2 minutes per GPU) or the full sweep")
        ->type_name("quick|full")
        ->check(one_of({"quick", "full"}, "quick or full"));
    app->add_option("--backend", backend, "auto (default): the GPU when one is usable, else the host")
        ->type_name("auto|gpu|host")
        ->check(one_of({"auto", "gpu", "host"}, "auto, gpu or host"));
    app->add_option("--families", families_arg,
                    "comma-separated: memory,compute,gemm,collective,transfer (default: all built)")
        ->type_name("LIST");
    app->add_option("--devices", devices_arg, "GPU indices, e.g. 0,1 (default: all)")->type_name("all|LIST");
    app->add_option("--bin-dir", bin_dir,
                    "where the bench_* binaries are (default: beside gpuscale, or the build tree's "
                    "bench/<family>/)")
        ->type_name("DIR");
    app->add_option("--timeout-s", timeout_s, "time limit per binary and GPU (default 1800)")
        ->type_name("S")
        ->check(seconds);
    app->add_option("--time-budget-s", budget_s,
                    "time limit for the whole run: each binary gets what is left (at most --timeout-s) "
                    "less a share kept for each binary after it (10% of the budget, at least 10 s), so one "
                    "hang cannot take the others' time; binaries that no longer fit are not started and "
                    "their benchmarks are recorded as not_run (default: no overall limit)")
        ->type_name("S")
        ->check(seconds);
    app->add_option("--log-dir", log_dir, "keep each binary's Google Benchmark console output there")
        ->type_name("DIR");
    app->add_option("--note", note, "free text stored in the document's run.note")->type_name("TEXT");
    if (const int code = parse_args(*app, args, out, err); code >= 0) return code;
  }
  const auto run_start = std::chrono::steady_clock::now();
  auto budget_left = [&] {
    return budget_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  };

  std::vector<fs::path> dirs;
  if (!bin_dir.empty()) {
    dirs.push_back(bin_dir);
  } else {
    const fs::path self = fs::weakly_canonical(fs::path(self_path)).parent_path();
    // Installed: every binary in <prefix>/bin. Build tree: bench/<family>/bench_*.
    dirs = {self, self / ".." / "bench"};
    for (const char* sub : {"memory", "compute", "gemm", "collectives", "transfer"})
      dirs.push_back(self / ".." / "bench" / sub);
  }
  std::vector<const Family*> families;
  const auto wanted = split_commas(families_arg);
  for (const auto& f : kFamilies) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), f.name) == wanted.end()) continue;
    if (!find_binary(f.binary, dirs).empty()) families.push_back(&f);
  }
  for (const auto& w : wanted)
    if (std::none_of(std::begin(kFamilies), std::end(kFamilies),
                     [&](const Family& f) { return w == f.name; })) {
      err << "gpuscale run: unknown family '" << w << "'\n";
      return 2;
    }
  if (families.empty()) {
    err << "gpuscale run: no bench binary found in";
    for (const auto& d : dirs) err << " " << d;
    err << " (use --bin-dir)\n";
    return 2;
  }

  const std::string run_id = make_run_id();
  const std::string started = utc_now_iso8601();
  if (output.empty()) output = "gpuscale-results-" + run_id + ".json";
  // The destination first: a run whose document cannot be written is refused before it measures.
  std::unique_ptr<OutputLock> lock;
  try {
    lock = std::make_unique<OutputLock>(output);
  } catch (const std::exception& e) {
    err << "gpuscale run: " << e.what() << "\n";
    return 1;
  }
  StopSignals signals;

  // Which GPUs: ask the first binary; without a usable GPU, say why in one line and use the host
  // (or, with --backend gpu, stop).
  std::vector<int> devices;
  if (backend != "host") {
    const std::string probe_bin = find_binary(families.front()->binary, dirs);
    const std::string tmp = (fs::temp_directory_path() / ("gpuscale-probe-" + run_id)).string();
    ProcessResult r;
    try {
      r = run_process({probe_bin, "--gpuscale_count_gpus"}, tmp,
                      std::min(120.0, std::max(budget_left(), 1.0)), false, &g_stop);
    } catch (const std::exception& e) {
      r.stderr_tail = e.what();
    }
    int count = 0;
    if (r.ok()) {
      try {
        count = std::stoi(read_file(tmp));
      } catch (const std::exception&) {
        count = 0;
      }
    }
    fs::remove(tmp);
    if (count <= 0) {
      std::string why = last_line(r.stderr_tail);
      if (why.empty()) why = "no usable GPU (" + probe_bin + " --gpuscale_count_gpus: " + r.describe() + ")";
      if (backend == "gpu") {
        err << "gpuscale run: " << why << " (--backend gpu: not measuring the host instead)\n";
        return 2;
      }
      err << "gpuscale run: " << why << "; measuring the host instead\n";
      backend = "host";
    } else {
      backend = "gpu";
      if (devices_arg == "all") {
        for (int i = 0; i < count; ++i) devices.push_back(i);
      } else {
        for (const auto& d : split_commas(devices_arg)) {
          std::size_t used = 0;
          int i = -1;
          try {
            i = std::stoi(d, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          if (used != d.size() || i < 0 || i >= count) {
            err << "gpuscale run: --devices: '" << d << "' is not a GPU index (" << count << " found)\n";
            return 2;
          }
          devices.push_back(i);
        }
      }
    }
  }
  if (backend == "host") devices = {0};

  const fs::path work = fs::temp_directory_path() / ("gpuscale-run-" + run_id);
  fs::create_directories(work);
  if (!log_dir.empty()) fs::create_directories(log_dir);

  std::vector<json> fragments;  // each binary's fragment plus its not_run entries
  std::vector<std::string> failures;
  std::vector<std::string> schema_problems;
  json binaries = json::array();
  std::vector<std::string> cmdline = {"gpuscale", "run"};
  cmdline.insert(cmdline.end(), args.begin(), args.end());
  // A fragment for entries that no binary wrote (or for none): the host's description keeps the
  // document valid.
  auto host_fragment = [](json benchmarks) {
    return json{{"system", make_system_json(read_host_info(), {})}, {"benchmarks", std::move(benchmarks)}};
  };
  // The document as it stands, written atomically: after every binary, and at the end.
  json doc;
  std::string write_error;
  auto write_document = [&]() {
    json run = {{"id", run_id},
                {"started_utc", started},
                {"finished_utc", utc_now_iso8601()},
                {"git_sha", build_git_sha()},
                {"command_line", cmdline},
                {"tool_version", tool_version()},
                {"suite", suite},
                {"backend", backend},
                {"binaries", binaries}};
    std::string full_note = note;
    for (const auto& f : failures) full_note += (full_note.empty() ? "" : "; ") + std::string("failed: ") + f;
    if (!full_note.empty()) run["note"] = full_note;
    if (fragments.empty()) fragments.push_back(host_fragment(json::array()));  // nothing measured yet
    doc = merge_fragments(fragments, run);
    schema_problems = quarantine_invalid_entries(doc);
    if (!schema_problems.empty()) {
      doc["run"]["schema_problems"] = schema_problems;
      // What is still wrong after the entries were set aside stays flagged in the document.
      schema_problems = validate_json(results_schema(), doc);
    }
    try {
      write_file_atomic(output, doc.dump(1) + "\n");
      write_error.clear();
    } catch (const std::exception& e) {
      write_error = e.what();
    }
  };

  struct Target {
    const Family* family;
    int device;
  };
  std::vector<Target> targets;
  for (const Family* f : families) {
    const std::vector<int> devs = f->all_gpus_at_once ? std::vector<int>{devices.front()} : devices;
    for (int dev : devs) targets.push_back({f, dev});
  }
  constexpr double kMinStartS = 10;  // a binary is not started with less than this left
  for (std::size_t ti = 0; ti < targets.size(); ++ti) {
    const Family* f = targets[ti].family;
    const int dev = targets[ti].device;
    const std::string bin = find_binary(f->binary, dirs);
    const std::string tag =
        std::string(f->binary) + (backend == "gpu" ? "-gpu" + std::to_string(dev) : "-host");
    const std::string frag = (work / (tag + ".json")).string();
    const std::string log = log_dir.empty() ? std::string() : (fs::path(log_dir) / (tag + ".log")).string();
    const std::vector<std::string> common = {bin, "--backend=" + backend, "--suite=" + suite,
                                             "--device=" + std::to_string(dev)};
    json b = {{"name", f->binary}, {"wall_s", 0.0}, {"exit_code", -1}};
    if (backend == "gpu") b["device"] = dev;
    // What the binary will run, so that what it never reaches is recorded as not_run.
    const std::string listing = (work / (tag + ".list")).string();
    auto list_tests = [&](double limit) {
      std::vector<std::string> cmd = common;
      cmd.push_back("--benchmark_list_tests=true");
      return run_process(cmd, listing, limit, false, &g_stop);
    };
    // The binary was not started (interrupted, out of time, or it could not be): said in its record.
    auto not_started = [&](const std::string& why) {
      b["status"] = "not_started";
      b["reason"] = why;
      binaries.push_back(b);
      failures.push_back(tag + ": not started (" + why + ")");
    };

    if (g_stop.load() != 0 || budget_left() < kMinStartS) {
      not_started(g_stop.load() != 0 ? "interrupted" : "time budget exhausted");
      if (g_stop.load() == 0) {
        // Listing costs a fraction of a second: what the budget left out is recorded as not_run.
        try {
          if (list_tests(10).ok()) {
            json missing = not_run_entries(list_ids(listing), json(), backend, dev,
                                           std::string(f->binary) + " not started: time budget exhausted");
            if (!missing.empty()) fragments.push_back(host_fragment(std::move(missing)));
          }
        } catch (const std::exception&) {
        }
      }
      continue;
    }
    err << "== " << tag << (backend == "host" ? " (host backend)" : "") << " [" << ti + 1 << "/"
        << targets.size();
    if (std::isfinite(budget_s)) err << ", " << static_cast<long>(budget_left()) << " s of the budget left";
    err << "]\n";

    std::vector<std::string> listed;
    try {
      const ProcessResult lr = list_tests(std::min(60.0, budget_left()));
      if (lr.exit_code == 2 && backend == "host" &&
          lr.stderr_tail.find("no host backend") != std::string::npos) {
        err << "   (" << f->binary << " has no host backend)\n";
        continue;
      }
      if (lr.ok()) listed = list_ids(listing);
    } catch (const std::exception& e) {
      not_started(e.what());
      continue;
    }
    if (g_stop.load() != 0) {
      not_started("interrupted");
      continue;
    }
    std::vector<std::string> cmd = common;
    cmd.insert(cmd.end(), {"--gpuscale_out=" + frag, "--gpuscale_progress",
                           // JSON keeps Google Benchmark's context (and its console noise) in the
                           // log: stderr carries only the progress lines.
                           "--benchmark_format=json"});
    // Under a budget, the binaries still to come keep a share: a hang here cannot take their time.
    const double later = static_cast<double>(targets.size() - ti - 1);
    const double keep_each = std::isfinite(budget_s) ? std::max(kMinStartS, 0.1 * budget_s) : 0;
    const double left_now = budget_left() - 1;
    const double limit = std::min(timeout_s, std::max(left_now - later * keep_each, left_now / (later + 1)));
    ProcessResult r;
    try {
      r = run_process(cmd, log, limit, true, &g_stop);
    } catch (const std::exception& e) {
      not_started(e.what());
      continue;
    }
    b["wall_s"] = r.wall_s;
    b["exit_code"] = r.exit_code;
    b["status"] = r.ok()               ? "ok"
                  : r.interrupted      ? "interrupted"
                  : r.timed_out        ? "timed_out"
                  : r.term_signal != 0 ? "crashed"
                                       : "exit";
    if (r.term_signal != 0) b["signal"] = r.term_signal;
    if (r.timed_out) b["timed_out"] = true;
    std::string how = r.describe();
    if (!r.ok()) {
      // The binary's own last word (an error message; progress lines are indented, not its words).
      const std::string line = last_line(r.stderr_tail);
      if (!r.timed_out && !r.interrupted && !line.empty() && line.rfind("  ", 0) != 0) how += ": " + line;
      b["reason"] = how;
      failures.push_back(tag + ": " + how);
    }
    // Whatever the exit: every benchmark the binary finished is in its fragment.
    json fragment;
    if (fs::exists(frag)) {
      try {
        fragment = read_json_file(frag);
        if (!fragment.is_object() || !fragment.contains("system") || !fragment.contains("benchmarks") ||
            !fragment["benchmarks"].is_array())
          throw std::runtime_error(frag + ": not a results fragment");
      } catch (const std::exception& e) {
        failures.push_back(tag + ": " + e.what());
        fragment = json();
      }
    } else if (!r.ok()) {
      err << "   " << tag << " wrote no results before it ended\n";
    }
    const std::string reason =
        std::string(f->binary) + " " + (r.ok() ? "ended without running it" : how) + " before reaching it";
    json missing = not_run_entries(listed, fragment, backend, dev, reason);
    if (!missing.empty()) err << "   " << missing.size() << " benchmarks not run (" << how << ")\n";
    if (fragment.is_null()) fragment = host_fragment(json::array());
    for (auto& m : missing) fragment["benchmarks"].push_back(std::move(m));
    fragments.push_back(std::move(fragment));
    binaries.push_back(b);
    write_document();
    if (!write_error.empty()) err << "gpuscale run: " << write_error << " (will try again)\n";
  }
  write_document();
  lock.reset();

  const int stop_signal = g_stop.load();
  if (!write_error.empty()) {
    err << "gpuscale run: " << write_error << "\n";
    err << "gpuscale run: every binary's results are kept in " << work.string() << "\n";
    return 1;
  }
  fs::remove_all(work);
  out << summary_table(doc);
  int errors = 0, not_run = 0;
  for (const auto& x : doc["benchmarks"]) {
    errors += x["status"] == "error";
    not_run += x["status"] == "not_run";
  }
  out << "\nwrote " << output << " (" << doc["benchmarks"].size() << " benchmarks, " << errors << " errors, "
      << not_run << " not run; backend " << backend << ")\n";
  for (const auto& f : failures) err << "gpuscale run: " << f << "\n";
  if (!schema_problems.empty()) {
    err << "gpuscale run: the document was written but does not match its schema (run.schema_problems):\n";
    for (std::size_t i = 0; i < schema_problems.size() && i < 20; ++i)
      err << "  " << schema_problems[i] << "\n";
    return stop_signal ? 128 + stop_signal : 1;
  }
  if (doc["run"].contains("schema_problems"))
    err << "gpuscale run: " << doc["run"]["schema_problems"].size()
        << " schema problems in benchmark entries: those entries are recorded as errors\n";
  if (stop_signal) {
    err << "gpuscale run: interrupted (signal " << stop_signal << "); " << output << " holds what finished\n";
    return 128 + stop_signal;
  }
  return errors > 0 || not_run > 0 || !failures.empty() ? 3 : 0;
}

}  // namespace gpuscale::cli
