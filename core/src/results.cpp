#include "gpuscale/core/results.hpp"

#include <algorithm>
#include <stdexcept>

#include "gpuscale/core/units.hpp"

namespace gpuscale {

using nlohmann::json;

std::string to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::skipped:
      return "skipped";
    case Status::error:
      return "error";
    case Status::not_run:
      return "not_run";
  }
  return "error";
}

Status status_from_string(const std::string& s) {
  if (s == "ok") return Status::ok;
  if (s == "skipped") return Status::skipped;
  if (s == "error") return Status::error;
  if (s == "not_run") return Status::not_run;
  throw std::runtime_error("status: '" + s + "' is not ok, skipped, error or not_run");
}

json to_json(const BenchmarkEntry& e) {
  json j;
  j["id"] = e.id;
  j["family"] = e.family;
  j["backend"] = e.backend;
  if (e.gpu_index) j["gpu_index"] = *e.gpu_index;
  j["parameters"] = e.parameters;
  j["status"] = to_string(e.status);
  if (!e.reason.empty()) j["reason"] = e.reason;
  j["samples_s"] = e.samples_s;
  if (e.stats) {
    const Stats& s = *e.stats;
    j["stats"] = {
        {"median_s", s.median}, {"min_s", s.min}, {"max_s", s.max}, {"mean_s", s.mean},
        {"stddev_s", s.stddev}, {"cv", s.cv},     {"n", s.n},       {"outliers_dropped", s.outliers_dropped}};
  }
  json w = json::object();
  if (e.work.bytes_read > 0) w["bytes_read"] = e.work.bytes_read;
  if (e.work.bytes_written > 0) w["bytes_written"] = e.work.bytes_written;
  if (e.work.flops > 0) w["flops"] = e.work.flops;
  if (!e.work.peak.empty()) w["peak"] = e.work.peak;
  if (e.work.message_bytes > 0) {
    w["message_bytes"] = e.work.message_bytes;
    w["bus_factor"] = e.work.bus_factor;  // 0 is meaningful: all_reduce on one rank moves no bus data
  }
  if (e.work.loads > 0) w["loads"] = e.work.loads;
  if (!w.empty()) j["work"] = w;
  j["metrics"] = e.metrics;
  if (e.environment) {
    const Environment& v = *e.environment;
    j["environment"] = {{"sm_clock_mhz_min", v.sm_clock_mhz_min},
                        {"sm_clock_mhz_median", v.sm_clock_mhz_median},
                        {"memory_clock_mhz_median", v.memory_clock_mhz_median},
                        {"temperature_c_max", v.temperature_c_max},
                        {"power_w_median", v.power_w_median},
                        {"samples", v.samples},
                        {"throttled", v.throttled}};
    if (v.clock_events) j["environment"]["clock_events"] = *v.clock_events;
  }
  return j;
}

namespace {

template <typename T>
T field(const json& j, const char* name, const std::string& where) {
  if (!j.contains(name)) throw std::runtime_error(where + "/" + name + ": required field is missing");
  try {
    return j.at(name).get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + "/" + name + ": wrong type (" + j.at(name).dump() + ")");
  }
}

template <typename T>
T field_or(const json& j, const char* name, T fallback, const std::string& where) {
  return j.contains(name) ? field<T>(j, name, where) : fallback;
}

}  // namespace

BenchmarkEntry benchmark_entry_from_json(const json& j) {
  if (!j.is_object()) throw std::runtime_error("benchmark entry is not an object");
  BenchmarkEntry e;
  e.id = field<std::string>(j, "id", "");
  const std::string at = "benchmark " + e.id;
  e.family = field<std::string>(j, "family", at);
  e.backend = field_or<std::string>(j, "backend", "gpu", at);
  if (j.contains("gpu_index")) e.gpu_index = field<int>(j, "gpu_index", at);
  e.parameters = j.value("parameters", json::object());
  e.status = status_from_string(field<std::string>(j, "status", at));
  e.reason = field_or<std::string>(j, "reason", "", at);
  e.samples_s = field_or<std::vector<double>>(j, "samples_s", {}, at);
  if (j.contains("stats")) {
    const json& s = j["stats"];
    const std::string sat = at + "/stats";
    e.stats = Stats{field<double>(s, "median_s", sat), field<double>(s, "min_s", sat),
                    field<double>(s, "max_s", sat),    field<double>(s, "mean_s", sat),
                    field<double>(s, "stddev_s", sat), field<double>(s, "cv", sat),
                    field<std::size_t>(s, "n", sat),   field_or<std::size_t>(s, "outliers_dropped", 0, sat)};
  }
  if (j.contains("work")) {
    const json& w = j["work"];
    const std::string wat = at + "/work";
    e.work.bytes_read = field_or<double>(w, "bytes_read", 0, wat);
    e.work.bytes_written = field_or<double>(w, "bytes_written", 0, wat);
    e.work.flops = field_or<double>(w, "flops", 0, wat);
    e.work.peak = field_or<std::string>(w, "peak", "", wat);
    e.work.message_bytes = field_or<double>(w, "message_bytes", 0, wat);
    e.work.bus_factor = field_or<double>(w, "bus_factor", 0, wat);
    e.work.loads = field_or<double>(w, "loads", 0, wat);
  }
  e.metrics = field_or<std::map<std::string, double>>(j, "metrics", {}, at);
  if (j.contains("environment")) {
    const json& v = j["environment"];
    const std::string vat = at + "/environment";
    Environment env;
    env.sm_clock_mhz_min = field_or<double>(v, "sm_clock_mhz_min", 0, vat);
    env.sm_clock_mhz_median = field_or<double>(v, "sm_clock_mhz_median", 0, vat);
    env.memory_clock_mhz_median = field_or<double>(v, "memory_clock_mhz_median", 0, vat);
    env.temperature_c_max = field_or<double>(v, "temperature_c_max", 0, vat);
    env.power_w_median = field_or<double>(v, "power_w_median", 0, vat);
    env.samples = field_or<int>(v, "samples", 0, vat);
    env.throttled = field_or<bool>(v, "throttled", false, vat);
    if (v.contains("clock_events"))
      env.clock_events = field<std::vector<std::string>>(v, "clock_events", vat);
    e.environment = env;
  }
  return e;
}

void derive_metrics(BenchmarkEntry& e, const GpuSpec* spec, double max_sm_clock_mhz) {
  e.metrics.clear();
  if (e.samples_s.empty()) {
    e.stats.reset();
    return;
  }
  e.stats = compute_stats(e.samples_s);
  if (e.status != Status::ok) return;
  const double t = e.stats->median;
  const bool on_gpu = e.backend == "gpu";
  e.metrics["time_s"] = t;

  const double bytes = e.work.bytes_read + e.work.bytes_written;
  if (bytes > 0) {
    const double bw = bandwidth_gbps(bytes, t);
    e.metrics["bandwidth_gbps"] = bw;
    if (on_gpu && spec && e.family == "memory")
      e.metrics["pct_of_peak"] = pct_of(bw, spec->memory_bandwidth_gbps);
  }
  if (e.work.flops > 0) {
    const double rate = tflops(e.work.flops, t);
    const auto peak = peak_from_string(e.work.peak);
    e.metrics[peak == Peak::int8_tensor ? "tops" : "tflops"] = rate;
    if (on_gpu && spec && peak && spec->peak(*peak) > 0) {
      e.metrics["pct_of_peak"] = pct_of(rate, spec->peak(*peak));
      if (e.environment && e.environment->sm_clock_mhz_median > 0 && spec->flops_per_clock(*peak) > 0)
        e.metrics["clock_normalised_efficiency_pct"] = clock_normalised_efficiency_pct(
            rate, spec->flops_per_clock(*peak), e.environment->sm_clock_mhz_median);
    }
  }
  if (e.work.message_bytes > 0) {
    const double algbw = bandwidth_gbps(e.work.message_bytes, t);
    e.metrics["algbw_gbps"] = algbw;
    e.metrics["busbw_gbps"] = algbw * e.work.bus_factor;
  }
  if (e.work.loads > 0) e.metrics["latency_ns"] = t / e.work.loads * 1e9;
  if (e.environment && max_sm_clock_mhz > 0 && e.environment->samples > 0)
    e.environment->throttled = e.environment->sm_clock_mhz_min < kThrottleFraction * max_sm_clock_mhz;
}

std::vector<std::string> clock_event_names(std::uint64_t mask) {
  static constexpr const char* kNames[] = {"gpu_idle",
                                           "applications_clocks_setting",
                                           "sw_power_cap",
                                           "hw_slowdown",
                                           "sync_boost",
                                           "sw_thermal_slowdown",
                                           "hw_thermal_slowdown",
                                           "hw_power_brake_slowdown",
                                           "display_clock_setting"};
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    if (!(mask >> bit & 1u)) continue;
    names.push_back(bit < static_cast<int>(std::size(kNames)) ? kNames[bit] : "bit_" + std::to_string(bit));
  }
  return names;
}

namespace {

// Calls f(key, field) for every field of a GpuHealth, in the document's order: the one list the
// document's keys, empty(), and both directions of the conversion follow.
template <typename Health, typename F>
void for_each_health_field(Health& h, F&& f) {
  f("ecc_uncorrected_volatile", h.ecc_uncorrected_volatile);
  f("ecc_corrected_volatile", h.ecc_corrected_volatile);
  f("ecc_uncorrected_aggregate", h.ecc_uncorrected_aggregate);
  f("remapped_rows_uncorrectable", h.remapped_rows_uncorrectable);
  f("remapped_rows_correctable", h.remapped_rows_correctable);
  f("row_remap_pending", h.row_remap_pending);
  f("row_remap_failed", h.row_remap_failed);
  f("nvlink_links", h.nvlink_links);
  f("nvlink_links_active", h.nvlink_links_active);
}

json health_json(const GpuHealth& h) {
  json j = json::object();
  for_each_health_field(h, [&j](const char* key, const auto& v) {
    if (v) j[key] = *v;
  });
  return j;
}

GpuHealth health_from_json(const json& j) {
  GpuHealth h;
  for_each_health_field(h, [&j](const char* key, auto& v) {
    if (j.contains(key)) v = j.at(key).get<typename std::decay_t<decltype(v)>::value_type>();
  });
  return h;
}

}  // namespace

bool GpuHealth::empty() const {
  bool any = false;
  for_each_health_field(*this, [&any](const char*, const auto& v) { any = any || v.has_value(); });
  return !any;
}

json to_json(const GpuInfo& g) {
  json j = {{"index", g.index},
            {"name", g.name},
            {"uuid", g.uuid},
            {"sku", g.sku},
            {"sm_count", g.sm_count},
            {"compute_capability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor)},
            {"memory_bytes", g.memory_bytes},
            {"l2_bytes", g.l2_bytes}};
  if (!g.pci_bus_id.empty()) j["pci_bus_id"] = g.pci_bus_id;
  if (g.memory_free_bytes) j["memory_free_bytes"] = *g.memory_free_bytes;
  if (g.max_sm_clock_mhz) j["max_sm_clock_mhz"] = *g.max_sm_clock_mhz;
  if (g.max_memory_clock_mhz) j["max_memory_clock_mhz"] = *g.max_memory_clock_mhz;
  if (g.power_limit_w) j["power_limit_w"] = *g.power_limit_w;
  if (g.ecc_enabled) j["ecc_enabled"] = *g.ecc_enabled;
  if (g.mig_enabled) j["mig_enabled"] = *g.mig_enabled;
  if (g.numa_node) j["numa_node"] = *g.numa_node;
  if (g.pcie)
    j["pcie"] = {{"generation_current", g.pcie->generation_current},
                 {"generation_max", g.pcie->generation_max},
                 {"width_current", g.pcie->width_current},
                 {"width_max", g.pcie->width_max}};
  if (g.health && !g.health->empty()) j["health"] = health_json(*g.health);
  if (!g.host.empty()) j["host"] = g.host;
  if (g.rank) j["rank"] = *g.rank;
  return j;
}

GpuInfo gpu_info_from_json(const json& j) {
  GpuInfo g;
  g.index = j.at("index").get<int>();
  g.name = j.at("name").get<std::string>();
  g.uuid = j.at("uuid").get<std::string>();
  g.sku = j.at("sku").get<std::string>();
  g.sm_count = j.at("sm_count").get<int>();
  const std::string cc = j.at("compute_capability").get<std::string>();
  const auto dot = cc.find('.');
  if (dot == std::string::npos)
    throw std::invalid_argument("compute_capability '" + cc + "' is not MAJOR.MINOR");
  g.cc_major = std::stoi(cc.substr(0, dot));
  g.cc_minor = std::stoi(cc.substr(dot + 1));
  g.memory_bytes = j.at("memory_bytes").get<std::uint64_t>();
  g.l2_bytes = j.at("l2_bytes").get<std::uint64_t>();
  g.pci_bus_id = j.value("pci_bus_id", std::string());
  if (j.contains("memory_free_bytes")) g.memory_free_bytes = j["memory_free_bytes"].get<std::uint64_t>();
  if (j.contains("max_sm_clock_mhz")) g.max_sm_clock_mhz = j["max_sm_clock_mhz"].get<double>();
  if (j.contains("max_memory_clock_mhz")) g.max_memory_clock_mhz = j["max_memory_clock_mhz"].get<double>();
  if (j.contains("power_limit_w")) g.power_limit_w = j["power_limit_w"].get<double>();
  if (j.contains("ecc_enabled")) g.ecc_enabled = j["ecc_enabled"].get<bool>();
  if (j.contains("mig_enabled")) g.mig_enabled = j["mig_enabled"].get<bool>();
  if (j.contains("numa_node")) g.numa_node = j["numa_node"].get<int>();
  if (j.contains("pcie")) {
    const auto& p = j["pcie"];
    g.pcie = PcieInfo{p.value("generation_current", 0), p.value("generation_max", 0),
                      p.value("width_current", 0), p.value("width_max", 0)};
  }
  if (j.contains("health")) g.health = health_from_json(j["health"]);
  g.host = j.value("host", std::string());
  if (j.contains("rank")) g.rank = j["rank"].get<int>();
  return g;
}

json make_system_json(const HostInfo& host, const LibraryVersions& libs) {
  json j = {{"hostname", host.hostname},
            {"cpu_model", host.cpu_model},
            {"cpu_logical_cores", host.cpu_logical_cores},
            {"os", host.os},
            {"kernel", host.kernel}};
  if (host.memory_bytes) j["memory_bytes"] = host.memory_bytes;
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("driver_version", libs.driver_version);
  put("cuda_runtime_version", libs.cuda_runtime_version);
  put("cuda_driver_version", libs.cuda_driver_version);
  put("cublas_version", libs.cublas_version);
  put("nccl_version", libs.nccl_version);
  put("mpi_version", libs.mpi_version);
  return j;
}

void add_job_extent(json& system, int ranks, const std::vector<std::string>& hosts) {
  system["ranks"] = ranks;
  std::vector<std::string> unique;
  for (const auto& h : hosts)
    if (std::find(unique.begin(), unique.end(), h) == unique.end()) unique.push_back(h);
  system["hosts"] = unique;
}

json make_document(const RunInfo& run, const json& system, const std::vector<GpuInfo>& gpus,
                   const std::vector<BenchmarkEntry>& benchmarks) {
  json r = {{"id", run.id},
            {"started_utc", run.started_utc},
            {"finished_utc", run.finished_utc},
            {"git_sha", run.git_sha},
            {"command_line", run.command_line},
            {"tool_version", run.tool_version},
            {"suite", run.suite},
            {"backend", run.backend}};
  if (!run.note.empty()) r["note"] = run.note;
  json g = json::array();
  for (const auto& x : gpus) g.push_back(to_json(x));
  json b = json::array();
  for (const auto& x : benchmarks) b.push_back(to_json(x));
  return {{"schema_version", kResultsSchemaVersion},
          {"run", r},
          {"system", system},
          {"gpus", g},
          {"benchmarks", b}};
}

}  // namespace gpuscale
