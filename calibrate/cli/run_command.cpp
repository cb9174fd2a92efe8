#include "run_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/host_info.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/results.hpp"
#include "gpuscale/core/schemas.hpp"
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

const char* kUsage = R"(usage: gpuscale run [options]

Runs the benchmark suite on every local GPU (or, without a usable GPU, on the host backend) and
writes one results document (schema results/schema/results.schema.json), then prints a summary.

options:
  -o, --output FILE       results document (default: gpuscale-results-<run id>.json)
  --suite quick|full      quick (default, about 2 minutes per GPU) or the full sweep
  --backend auto|gpu|host auto (default): the GPU when one is usable, else the host
  --families LIST         comma-separated: memory,compute,gemm,collective,transfer (default: all built)
  --devices all|LIST      GPU indices, e.g. 0,1 (default: all)
  --bin-dir DIR           where the bench_* binaries are (default: beside gpuscale, or the
                          build tree's bench/<family>/)
  --timeout-s S           time limit per binary and GPU (default 1800)
  --log-dir DIR           keep each binary's Google Benchmark console output there
  --note TEXT             free text stored in the document's run.note
  -h, --help              this text

exit status: 0 all benchmarks ok or skipped; 3 some benchmark reported an error (the document is
still written); 2 bad usage or no benchmark binary; 1 the document could not be written.

example:
  gpuscale run -o h200.json
)";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string find_binary(const std::string& name, const std::vector<fs::path>& dirs) {
  for (const auto& d : dirs) {
    const fs::path p = d / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

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
      const std::string key = !uuid.empty() ? uuid : x.value("host", std::string()) + "/" + x.at("index").dump();
      auto it = gpus.find(key);
      if (it == gpus.end() || x.size() > it->second.size()) gpus[key] = x;
    }
    for (const auto& b : f.at("benchmarks")) benchmarks.push_back(b);
  }
  if (!job.is_null()) system.update(job);
  else system.erase("ranks"), system.erase("hosts");
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
    int ok = 0, skipped = 0, error = 0;
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
        size = std::stod(part.substr(6));
        continue;
      }
      group += (group.empty() ? "" : "/") + part;
    }
    if (b.contains("gpu_index")) group = "gpu" + std::to_string(b["gpu_index"].get<int>()) + " " + group;
    if (!groups.count(group)) order.push_back(group);
    Row& r = groups[group];
    const std::string st = b.at("status");
    (st == "ok" ? r.ok : st == "skipped" ? r.skipped : r.error)++;
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
     << "value" << "  " << std::left << std::setw(15) << "unit" << std::right << std::setw(8) << "% peak"
     << std::setw(8) << "cv %" << "  ok/skip/err\n";
  for (const auto& g : order) {
    const Row& r = groups[g];
    char line[256];
    std::string name = g.size() > 63 ? g.substr(0, 60) + "..." : g;
    if (r.metric.empty())
      std::snprintf(line, sizeof line, "%-64s %12s  %-15s %8s %7s  %d/%d/%d\n", name.c_str(), "-", "-", "-",
                    "-", r.ok, r.skipped, r.error);
    else
      std::snprintf(line, sizeof line, "%-64s %12.1f  %-15s %8s %7.2f  %d/%d/%d\n", name.c_str(), r.value,
                    r.metric.c_str(), r.pct >= 0 ? std::to_string(static_cast<int>(r.pct + 0.5)).c_str() : "-",
                    r.cv * 100, r.ok, r.skipped, r.error);
    os << line;
  }
  return os.str();
}

int run_command(const std::vector<std::string>& args, const std::string& self_path, std::ostream& out,
                std::ostream& err) {
  std::string output, suite = "quick", backend = "auto", families_arg, devices_arg = "all", bin_dir,
                      log_dir, note;
  double timeout_s = 1800;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "-h" || a == "--help") {
        out << kUsage;
        return 0;
      } else if (a == "-o" || a == "--output") output = value();
      else if (a == "--suite") suite = value();
      else if (a == "--backend") backend = value();
      else if (a == "--families") families_arg = value();
      else if (a == "--devices") devices_arg = value();
      else if (a == "--bin-dir") bin_dir = value();
      else if (a == "--timeout-s") timeout_s = std::stod(value());
      else if (a == "--log-dir") log_dir = value();
      else if (a == "--note") note = value();
      else throw std::invalid_argument("unknown option '" + a + "'");
    }
    if (suite != "quick" && suite != "full") throw std::invalid_argument("--suite must be quick or full");
    if (backend != "auto" && backend != "gpu" && backend != "host")
      throw std::invalid_argument("--backend must be auto, gpu or host");
    if (timeout_s <= 0) throw std::invalid_argument("--timeout-s must be positive");
  } catch (const std::exception& e) {
    err << "gpuscale run: " << e.what() << " (see gpuscale run --help)\n";
    return 2;
  }

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
  const auto wanted = split_list(families_arg);
  for (const auto& f : kFamilies) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), f.name) == wanted.end()) continue;
    if (!find_binary(f.binary, dirs).empty()) families.push_back(&f);
  }
  for (const auto& w : wanted)
    if (std::none_of(std::begin(kFamilies), std::end(kFamilies), [&](const Family& f) { return w == f.name; })) {
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

  // Which GPUs: ask the first binary; without a usable GPU, say why in one line and use the host.
  std::vector<int> devices;
  if (backend != "host") {
    const std::string probe_bin = find_binary(families.front()->binary, dirs);
    const std::string tmp = (fs::temp_directory_path() / ("gpuscale-probe-" + run_id)).string();
    ProcessResult r = run_process({probe_bin, "--gpuscale_count_gpus"}, tmp, 120, false);
    int count = 0;
    if (r.exit_code == 0) {
      try {
        count = std::stoi(read_file(tmp));
      } catch (const std::exception&) {
        count = 0;
      }
    }
    fs::remove(tmp);
    if (count <= 0) {
      const std::string why = last_line(r.stderr_tail);
      if (backend == "gpu") {
        err << "gpuscale run: " << (why.empty() ? "no usable GPU" : why) << "\n";
        return 2;
      }
      err << "gpuscale run: " << (why.empty() ? "no usable GPU" : why) << "; measuring the host instead\n";
      backend = "host";
    } else {
      backend = "gpu";
      if (devices_arg == "all") {
        for (int i = 0; i < count; ++i) devices.push_back(i);
      } else {
        for (const auto& d : split_list(devices_arg)) {
          const int i = std::stoi(d);
          if (i < 0 || i >= count) {
            err << "gpuscale run: --devices: GPU " << i << " does not exist (" << count << " found)\n";
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
  std::vector<json> fragments;
  std::vector<std::string> failures;
  json binaries = json::array();
  for (const Family* f : families) {
    const std::string bin = find_binary(f->binary, dirs);
    const std::vector<int> targets = f->all_gpus_at_once ? std::vector<int>{devices.front()} : devices;
    for (int dev : targets) {
      const std::string tag = std::string(f->binary) + (backend == "gpu" ? "-gpu" + std::to_string(dev) : "-host");
      const std::string frag = (work / (tag + ".json")).string();
      const std::string log = log_dir.empty() ? std::string() : (fs::path(log_dir) / (tag + ".log")).string();
      err << "== " << tag << (backend == "host" ? " (host backend)" : "") << "\n";
      std::vector<std::string> cmd = {bin, "--backend=" + backend, "--suite=" + suite,
                                      "--device=" + std::to_string(dev), "--gpuscale_out=" + frag,
                                      "--gpuscale_progress",
                                      // JSON keeps Google Benchmark's context (and its console noise)
                                      // in the log: stderr carries only the progress lines.
                                      "--benchmark_format=json"};
      ProcessResult r;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        r = run_process(cmd, log, timeout_s);
      } catch (const std::exception& e) {
        failures.push_back(tag + ": " + e.what());
        continue;
      }
      json b = {{"name", f->binary},
                {"wall_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()},
                {"exit_code", r.exit_code}};
      if (backend == "gpu") b["device"] = dev;
      if (r.timed_out) b["timed_out"] = true;
      binaries.push_back(b);
      if (r.timed_out) {
        failures.push_back(tag + ": timed out after " + std::to_string(static_cast<int>(timeout_s)) + " s");
        continue;
      }
      if (r.exit_code == 2 && backend == "host" && r.stderr_tail.find("no host backend") != std::string::npos)
        continue;  // that family has no host backend
      if (r.exit_code != 0) {
        failures.push_back(tag + ": exit " + std::to_string(r.exit_code) + ": " + last_line(r.stderr_tail));
        continue;
      }
      try {
        fragments.push_back(read_json_file(frag));
      } catch (const std::exception& e) {
        failures.push_back(tag + ": " + e.what());
      }
    }
  }
  fs::remove_all(work);

  std::vector<std::string> cmdline = {"gpuscale", "run"};
  cmdline.insert(cmdline.end(), args.begin(), args.end());
  json run = {{"id", run_id},          {"started_utc", started}, {"finished_utc", utc_now_iso8601()},
              {"git_sha", build_git_sha()}, {"command_line", cmdline}, {"tool_version", tool_version()},
              {"suite", suite},         {"backend", backend}, {"binaries", binaries}};
  std::string full_note = note;
  for (const auto& f : failures) full_note += (full_note.empty() ? "" : "; ") + std::string("failed: ") + f;
  if (!full_note.empty()) run["note"] = full_note;
  if (fragments.empty()) {
    err << "gpuscale run: no benchmark binary produced results; nothing written\n";
    for (const auto& f : failures) err << "  " << f << "\n";
    return 1;
  }
  json doc = merge_fragments(fragments, run);
  const auto problems = validate_json(results_schema(), doc);
  if (!problems.empty()) {
    err << "gpuscale run: the results document does not match its schema (a bug); not written:\n";
    for (const auto& p : problems) err << "  " << p << "\n";
    return 1;
  }
  try {
    write_file_atomic(output, doc.dump(1) + "\n");
  } catch (const std::exception& e) {
    err << "gpuscale run: " << e.what() << "\n";
    return 1;
  }
  out << summary_table(doc);
  int errors = 0;
  for (const auto& b : doc["benchmarks"]) errors += b["status"] == "error";
  out << "\nwrote " << output << " (" << doc["benchmarks"].size() << " benchmarks, " << errors
      << " errors; backend " << backend << ")\n";
  for (const auto& f : failures) err << "gpuscale run: " << f << "\n";
  return errors > 0 || !failures.empty() ? 3 : 0;
}

}  // namespace gpuscale::cli
