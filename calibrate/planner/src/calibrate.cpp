// Calibration: results documents -> GPU profile (see calibrate.hpp).
#include "gpuscale/planner/calibrate.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/fit.hpp"
#include "gpuscale/planner/framework.hpp"
#include "gpuscale/planner/plan.hpp"

namespace gpuscale::planner {
namespace {

using json = nlohmann::json;

double elem_bytes(const std::string& precision) {
  if (precision == "fp8_e4m3" || precision == "fp8_e5m2") return 1;
  if (precision == "tf32" || precision == "fp32") return 4;
  return 2;
}

const json& field(const json& j, const char* key, const std::string& where, const std::string& ptr) {
  if (!j.is_object() || !j.contains(key)) throw InputError(where, ptr + "/" + key, "missing");
  return j.at(key);
}

double number(const json& j, const char* key, const std::string& where, const std::string& ptr) {
  const auto& v = field(j, key, where, ptr);
  if (!v.is_number()) throw InputError(where, ptr + "/" + key, "expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!(x > 0)) throw InputError(where, ptr + "/" + key, "must be positive, got " + v.dump());
  return x;
}

std::string text(const json& j, const char* key, const std::string& where, const std::string& ptr) {
  const auto& v = field(j, key, where, ptr);
  if (!v.is_string()) throw InputError(where, ptr + "/" + key, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

// A memory entry that measures latency (op pointer_chase: metrics.latency_ns from work.loads), not
// bandwidth. The profile has no latency coefficient, so calibration leaves these out on purpose
// rather than reading them as bandwidth points.
bool is_latency_entry(const json& par) {
  return par.is_object() && par.value("op", std::string()) == "pointer_chase";
}

template <class T>
struct Group {
  std::vector<T> points;
  std::set<std::string> runs;
};

std::vector<std::string> ids(const std::set<std::string>& s) {
  return {s.begin(), s.end()};
}

}  // namespace

Profile calibrate(const std::vector<ResultsInput>& inputs) {
  if (inputs.empty()) throw InputError("calibrate", "", "no results documents given");
  std::string sku;
  std::string sku_file;
  std::uint64_t total = 0, free_bytes = 0;
  std::set<std::string> all_runs, mem_runs;
  std::map<std::string, Group<GemmPoint>> gemm;
  std::map<std::string, Group<XY>> memory;
  std::map<std::pair<std::string, int>, Group<XY>> coll;
  std::map<std::string, Group<XY>> transfer, transfer_other;
  double largest_alloc = 0;

  for (const auto& in : inputs) {
    const auto& d = in.doc;
    const std::string& w = in.path;
    if (!d.is_object()) throw InputError(w, "", "a results document must be a JSON object");
    const auto& run = field(d, "run", w, "");
    const std::string run_id = text(run, "id", w, "/run");
    all_runs.insert(run_id);
    const auto& gpus = field(d, "gpus", w, "");
    if (!gpus.is_array() || gpus.empty())
      throw InputError(w, "/gpus", "no GPU in the document (a host-only run?)");
    for (std::size_t i = 0; i < gpus.size(); ++i) {
      const std::string ptr = "/gpus/" + std::to_string(i);
      const std::string s = text(gpus[i], "sku", w, ptr);
      if (s == "unknown")
        throw InputError(
            w, ptr + "/sku",
            "the GPU did not match the spec table ('unknown'): no datasheet peaks to fit against");
      if (sku.empty()) sku = s, sku_file = w;
      if (s != sku)
        throw InputError(
            w, ptr + "/sku",
            "'" + s + "' differs from '" + sku + "' in " + sku_file + ": a profile is fitted from one SKU");
      total = static_cast<std::uint64_t>(number(gpus[i], "memory_bytes", w, ptr));
      if (gpus[i].contains("memory_free_bytes") && gpus[i]["memory_free_bytes"].is_number_integer()) {
        free_bytes = std::max<std::uint64_t>(free_bytes, gpus[i]["memory_free_bytes"].get<std::uint64_t>());
        mem_runs.insert(run_id);
      }
    }
    const auto& benches = field(d, "benchmarks", w, "");
    if (!benches.is_array()) throw InputError(w, "/benchmarks", "expected an array");
    for (std::size_t i = 0; i < benches.size(); ++i) {
      const auto& b = benches[i];
      const std::string ptr = "/benchmarks/" + std::to_string(i);
      if (!b.is_object() || b.value("status", std::string()) != "ok") continue;
      const std::string family = text(b, "family", w, ptr);
      const auto& par = field(b, "parameters", w, ptr);
      const std::string pp = ptr + "/parameters";
      if (family != "gemm" && family != "memory" && family != "collective" && family != "transfer") continue;
      if (b.value("backend", std::string("gpu")) == "host") continue;  // host runs say nothing of the GPU
      const double t = number(field(b, "stats", w, ptr), "median_s", w, ptr + "/stats");
      if (family == "gemm") {
        auto& g = gemm[text(par, "precision", w, pp)];
        g.points.push_back({number(par, "m", w, pp), number(par, "n", w, pp), number(par, "k", w, pp), t});
        g.runs.insert(run_id);
      } else if (family == "memory") {
        if (is_latency_entry(par)) continue;
        const std::string op = text(par, "op", w, pp);
        double moved = 0;
        if (b.contains("metrics") && b["metrics"].contains("bandwidth_gbps"))
          moved = number(b["metrics"], "bandwidth_gbps", w, ptr + "/metrics") * 1e9 * t;
        else
          throw InputError(w, ptr + "/metrics/bandwidth_gbps",
                           "missing: needed for the bytes a memory benchmark moved");
        largest_alloc = std::max(largest_alloc, number(par, "bytes", w, pp));
        auto& g = memory[op];
        g.points.push_back({moved, t});
        g.runs.insert(run_id);
      } else if (family == "collective") {
        const std::string op = text(par, "collective", w, pp);  // bench_collectives' name for the op
        // The profile gives busbw from core's bus factors: a collective core has no factor for is
        // left out (like any entry the profile has no coefficient for), not a failed calibration.
        if (!has_bus_factor(op)) continue;
        const int ranks = static_cast<int>(number(par, "ranks", w, pp));
        auto& g = coll[{op, ranks}];
        g.points.push_back({number(par, "bytes", w, pp), t});
        g.runs.insert(run_id);
      } else {
        std::string dir = text(par, "direction", w, pp);
        // bench_transfer's bidir copies `bytes` each way at once: the profile's "bidirectional" fit
        // counts the bytes of both directions, as the benchmark's own bandwidth does.
        const double both_ways = dir == "bidir" ? 2 : 1;
        if (dir == "bidir") dir = "bidirectional";
        const bool preferred = par.value("memory", std::string("pinned")) == "pinned" &&
                               par.value("engine", std::string("copy_engine")) == "copy_engine";
        auto& g = (preferred ? transfer : transfer_other)[dir];
        g.points.push_back({both_ways * number(par, "bytes", w, pp), t});
        g.runs.insert(run_id);
      }
    }
  }

  const GpuSpec* spec = find_spec_by_key(sku);
  if (!spec) throw InputError(sku_file, "/gpus/0/sku", "'" + sku + "' is not a spec-table key");
  Profile p = datasheet_profile(*spec);
  p.kind = "measured";
  p.run_ids = ids(all_runs);

  for (auto& [op, g] : memory) {
    if (g.points.size() < 2) continue;
    auto ab = fit_alpha_beta(g.points);
    ab.source.run_ids = ids(g.runs);
    p.memory[op] = ab;
  }
  if (memory.count("copy") == 0 && memory.count("memcpy")) p.memory["copy"] = p.memory["memcpy"];
  for (auto& [prec, g] : gemm) {
    if (g.points.size() < 3) continue;
    GemmModel base = p.gemm.count(prec) ? p.gemm[prec] : p.gemm_for("bf16");
    base.bandwidth_gbps = p.bandwidth_gbps("read");
    if (!p.gemm.count(prec)) {
      const auto peak = prec == "fp8_e4m3" ? Peak::fp8_tensor : Peak::bf16_tensor;
      base.peak_tflops = spec->peak(peak);
    }
    auto m = fit_gemm(g.points, base, elem_bytes(prec));
    m.source.run_ids = ids(g.runs);
    m.source.citation = "peak " + std::to_string(m.peak_tflops) + " TFLOPS: " + std::string(spec->source);
    p.gemm[prec] = m;
  }
  for (auto& [key, g] : coll) {
    if (g.points.size() < 2) continue;
    CollectiveFit c;
    c.op = key.first;
    c.ranks = key.second;
    c.ab = fit_alpha_beta(g.points);
    c.ab.source.run_ids = ids(g.runs);
    // Measured fits replace the datasheet entries for the same op at the same or fewer ranks.
    std::erase_if(p.collectives, [&](const CollectiveFit& f) {
      return f.op == c.op && f.ranks <= c.ranks && f.ab.source.kind != "measured";
    });
    p.collectives.push_back(c);
  }
  std::sort(p.collectives.begin(), p.collectives.end(),
            [](const auto& a, const auto& b) { return a.op != b.op ? a.op < b.op : a.ranks < b.ranks; });
  for (auto* groups : {&transfer_other, &transfer}) {  // preferred runs win
    for (auto& [dir, g] : *groups) {
      if (g.points.size() < 2) continue;
      auto ab = fit_alpha_beta(g.points);
      ab.source.run_ids = ids(g.runs);
      p.transfer[dir] = ab;
    }
  }
  if (total > 0) {
    p.usable.total_bytes = total;
    if (free_bytes > 0 && free_bytes <= total) {
      p.usable.context_bytes = total - free_bytes;
      p.usable.largest_block_bytes = free_bytes;
      p.usable.source = {"measured", ids(mem_runs),
                         "context = memory_bytes - memory_free_bytes after context creation; largest block "
                         "assumed = free memory (largest tested array " +
                             std::to_string(static_cast<long long>(largest_alloc)) + " B)"};
    } else {
      p.usable.largest_block_bytes = p.usable.usable_bytes();
      p.usable.source = {"measured", ids(all_runs), "memory_bytes measured; CUDA context 0.5 GiB assumed"};
    }
  }
  return p;
}

void set_end_to_end_from_run(Profile& p, const json& scenario, double tokens_per_s_per_gpu,
                             const std::string& where) {
  if (!(tokens_per_s_per_gpu > 0))
    throw InputError(where, "tokens_per_s_per_gpu",
                     "must be positive, got " + std::to_string(tokens_per_s_per_gpu));
  Scenario s = parse_scenario(scenario, where);
  if (!s.training()) throw InputError(where, "method", "an end-to-end run must train (full, lora or qlora)");
  if (s.gpu.sku != p.sku)
    throw InputError(where, "gpu", "the run is on " + s.gpu.sku + ", the profile is " + p.sku);
  s.gpu = p;
  s.end_to_end_efficiency = 1.0;
  const auto tp = plan_time(s);
  const auto& t = tp.t;
  const double kernels = t.kernel_time();
  const double measured_step = tp.tokens_per_step / tokens_per_s_per_gpu;
  const double efficiency = kernels / (measured_step - (t.step - kernels));
  if (!(efficiency > 0 && efficiency <= 1))
    throw InputError(where, "tokens_per_s_per_gpu",
                     std::to_string(tokens_per_s_per_gpu) +
                         " tokens/s per GPU is faster than the kernel-level plan of "
                         "this scenario (" +
                         std::to_string(tp.tokens_per_s_per_gpu) +
                         "): the scenario does not describe "
                         "the run (GPUs, micro-batch, checkpointing, fused kernels?)");
  char cite[512];
  std::snprintf(
      cite, sizeof cite,
      "measured end to end: %.1f tokens/s per GPU for %s (%s, %s, %lld x %s, micro-batch %lld x %lld tokens) "
      "over the kernel-level plan's %.1f",
      tokens_per_s_per_gpu, where.c_str(), s.model.name.c_str(), to_string(s.method).c_str(),
      static_cast<long long>(s.gpus()), p.sku.c_str(), static_cast<long long>(s.micro_batch),
      static_cast<long long>(s.seq_len), tp.tokens_per_s_per_gpu);
  // A run that names a framework the planner knows measures that framework: it is kept under its
  // name, for plans of that framework; otherwise it is the profile's value for every plan.
  if (const Framework* fw = find_framework(s.framework)) {
    p.framework_efficiency[fw->key] = {efficiency, {"measured", {}, cite}};
    return;
  }
  p.end_to_end_efficiency = efficiency;
  p.end_to_end_source = {"measured", {}, cite};
}

}  // namespace gpuscale::planner
