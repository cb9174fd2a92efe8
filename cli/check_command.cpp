#include "check_command.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "cross_run.hpp"
#include "gpuscale/core/args.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/core/stats.hpp"
#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/error.hpp"

namespace gpuscale::cli {
using nlohmann::json;

namespace {

const char* kDescription =
    R"(Node acceptance from the results document alone (no GPU needed). One line per item and GPU:
pass, warn, fail or n/a (not recorded in the document), the figure and what it was held against.
  expected range   HBM at the plateau, MAMF per precision, host<->device copies, collective busbw,
                   against --expect (a reference run or a profile of the SKU), else the SKU's
                   datasheet x the published achieved fraction (each line names its source);
                   below expected x (1 - T%) warns, below x (1 - 2T%) fails
  peers            a GPU slower than the median of the node's other GPUs beyond their spread
                   (max(5%, 3 robust standard deviations)) fails
  state            PCIe link width and generation, power limit, max SM clock, ECC, MIG,
                   memory errors (ECC counters, row remapper), NVLink links active, throttling
                   and the driver's clock event reasons while benchmarks ran, errored
                   benchmarks, NVLink between peers)";

const char* kFooter = R"(exit status: 0 no fail, 1 any fail, 2 bad input.

examples:
  gpuscale check node.json
  gpuscale check node.json --expect known-good-h200.json --format json)";

constexpr double kPeerFloorPct = 5;   // peers closer than this are never told apart
constexpr double kPeerMadFactor = 3;  // ... nor within 3 robust standard deviations of them
constexpr double kPowerCapFraction = 0.95;
constexpr double kClockFraction = 0.95;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string num(double v) {
  const double a = std::abs(v);
  return fmt(a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g", v);
}

// As series_of names instances. Entries of multi-node runs do not carry their node, so GPUs of the
// same index on two nodes are not told apart here.
std::string gpu_name(const json& g) {
  return "gpu" + std::to_string(g.value("index", 0));
}

// Robust standard deviation: 1.4826 x the median absolute deviation.
double robust_sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = median(v);
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::abs(x - m));
  return 1.4826 * median(dev);
}

int rank_of(const std::string& s) {
  return s == "fail" ? 3 : s == "warn" ? 2 : s == "pass" ? 1 : 0;
}

// The worse of two statuses (n/a < pass < warn < fail).
std::string worse(const std::string& a, const std::string& b) {
  return rank_of(a) >= rank_of(b) ? a : b;
}

// --- expectations ----------------------------------------------------------------------------

struct Expected {
  double value = 0;
  std::string source;
};

// The largest width measured for each memory op of a document (narrow accesses do not reach the
// plateau on every GPU: only the widest is held against the HBM expectation).
std::map<std::string, int> widest_widths(const json& doc) {
  std::map<std::string, int> out;
  for (const auto& b : doc["benchmarks"]) {
    const auto id = split_id(b.value("id", std::string()));
    if (!id || id->family != "memory") continue;
    const auto pos = id->axes_label.find("width:");
    if (pos == std::string::npos) continue;
    const auto w = parse_finite(id->axes_label.substr(pos + 6));
    if (w) out[id->name] = std::max(out[id->name], static_cast<int>(*w));
  }
  return out;
}

std::string axis_value(const SplitId& id, const std::string& axis) {
  const std::string key = axis + ":";
  std::size_t pos = 0;
  const std::string& a = id.axes_label;
  while ((pos = a.find(key, pos)) != std::string::npos) {
    if (pos == 0 || a[pos - 1] == '/') {
      const auto end = a.find('/', pos);
      return a.substr(pos + key.size(),
                      end == std::string::npos ? std::string::npos : end - pos - key.size());
    }
    pos += key.size();
  }
  return "";
}

// What a profile says an entry of `s` at `size` should reach; nullopt when it says nothing about it.
std::optional<Expected> from_profile(const planner::Profile& p, const Series& s, double size,
                                     const json& entry, const std::map<std::string, int>& widths) {
  const SplitId& id = s.id;
  if (id.host) return std::nullopt;
  const std::string metric = s.metric->name;
  if (id.family == "memory" && metric == "bandwidth_gbps") {
    const std::string op = id.name == "memcpy" ? "copy" : id.name;
    if (!p.memory.count(op)) return std::nullopt;
    const std::string w = axis_value(id, "width");
    if (!w.empty() && widths.count(id.name) && std::to_string(widths.at(id.name)) != w) return std::nullopt;
    const json& work = entry.value("work", json::object());
    const double moved = work.value("bytes_read", 0.0) + work.value("bytes_written", 0.0);
    if (moved <= 0) return std::nullopt;
    const auto& ab = p.memory.at(op);
    return Expected{moved / ab.time_s(moved) / 1e9, ab.source.kind + ": " + ab.source.citation};
  }
  if (id.family == "gemm" && id.name == "mamf" && metric == "tflops") {
    if (axis_value(id, "fast_accum") == "off")
      return std::nullopt;  // the published figures ran fast accumulation
    std::string prec = axis_value(id, "precision");
    if (prec == "fp8") prec = "fp8_e4m3";
    const auto it = p.gemm.find(prec);
    if (it == p.gemm.end()) return std::nullopt;
    return Expected{it->second.peak_tflops * it->second.efficiency,
                    it->second.source.kind + ": " + it->second.source.citation};
  }
  if (id.family == "transfer" && metric == "bandwidth_gbps" && (id.name == "h2d" || id.name == "d2h") &&
      axis_value(id, "memory") == "pinned" && axis_value(id, "engine") == "copy_engine") {
    const auto it = p.transfer.find(id.name);
    if (it == p.transfer.end() || size <= 0) return std::nullopt;
    return Expected{size / it->second.time_s(size) / 1e9,
                    it->second.source.kind + ": " + it->second.source.citation};
  }
  if (id.family == "collective" && metric == "busbw_gbps" && size > 0) {
    const auto ranks = parse_finite(axis_value(id, "ranks"));
    if (!ranks || *ranks < 2) return std::nullopt;
    const planner::CollectiveFit* c = p.collective(id.name, static_cast<int>(*ranks));
    if (!c || c->op != id.name) return std::nullopt;
    const double algbw = size / c->ab.time_s(size) / 1e9;
    return Expected{algbw * bus_factor(id.name, static_cast<int>(*ranks)),
                    c->ab.source.kind + ": " + c->ab.source.citation};
  }
  return std::nullopt;
}

struct Context {
  const json& doc;
  const CheckOptions& opt;
  std::map<std::string, Series> series;
  std::map<std::string, Series> ref_series;
  std::map<std::string, planner::Profile> datasheet;  // by SKU
  std::map<std::string, int> widths;
  double tolerance = 10;
  std::string expectation;  // words for the header
};

const planner::Profile* profile_for(Context& c, const std::string& sku) {
  if (c.opt.profile && c.opt.profile->sku == sku) return &*c.opt.profile;
  if (c.opt.reference) return nullptr;
  const GpuSpec* spec = find_spec_by_key(sku);
  if (!spec) return nullptr;
  auto it = c.datasheet.find(sku);
  if (it == c.datasheet.end()) it = c.datasheet.emplace(sku, planner::datasheet_profile(*spec)).first;
  return &it->second;
}

// One comparison against the expected range: its status and a JSON record.
json judge(const std::string& bench, double measured, const Expected& e, bool higher_is_better,
           double tol_pct, const std::string& unit, std::string& status) {
  const double ratio = higher_is_better ? measured / e.value : e.value / measured;
  status = ratio >= 1 - tol_pct / 100 ? "pass" : ratio >= 1 - 2 * tol_pct / 100 ? "warn" : "fail";
  return {{"benchmark", bench},
          {"measured", measured},
          {"expected", e.value},
          {"unit", unit},
          {"pct_of_expected", 100 * measured / e.value},
          {"status", status},
          {"source", e.source}};
}

// --- items -----------------------------------------------------------------------------------

void add(std::vector<CheckItem>& out, std::string status, std::string subject, std::string item,
         std::string figure, std::string expected, std::string detail, json checks = json::array()) {
  out.push_back({std::move(status), std::move(subject), std::move(item), std::move(figure),
                 std::move(expected), std::move(detail), std::move(checks)});
}

std::string pcie_text(int gen, int width) {
  return "Gen" + std::to_string(gen) + " x" + std::to_string(width);
}

// Expected-range comparisons of every series at its plateau, grouped by (subject, family).
struct Group {
  std::string status = "n/a";
  json checks = json::array();
  double worst_ratio = 1e300;
  json worst;
};

void expected_items(Context& c, std::vector<CheckItem>& out,
                    std::map<std::string, std::map<std::string, Group>>& groups) {
  for (const auto& [key, s] : c.series) {
    if (s.id.name == "d2d_peer") continue;  // pairs: peer items below
    // Compared at the plateau: the largest size, or with a reference the largest size both have.
    double size = s.by_size.rbegin()->first;
    const Series* ref = nullptr;
    if (c.opt.reference) {
      const auto it = c.ref_series.find(key);
      if (it == c.ref_series.end()) continue;
      ref = &it->second;
      const auto common = largest_common_size({&s, ref});
      if (!common) continue;
      size = *common;
    }
    Expected ref_expected;
    if (ref) {
      const SeriesValue rv = series_value(*c.opt.reference, *ref, size);
      ref_expected = {rv.value, "reference run " + (*c.opt.reference)["run"]["id"].get<std::string>() + " (" +
                                    c.opt.reference_file + "), median of " + std::to_string(rv.instances) +
                                    " instance(s)"};
    }
    for (const Instance& inst : s.by_size.at(size)) {
      const json& e = *inst.entry;
      const std::string subject = s.id.family == "collective" ? "node" : inst.name;
      std::optional<Expected> exp;
      if (ref) {
        exp = ref_expected;
      } else if (const GpuSpec* spec = spec_of_entry(c.doc, e)) {
        if (const planner::Profile* p = profile_for(c, std::string(spec->key)))
          exp = from_profile(*p, s, size, e, c.widths);
      }
      if (!exp || !(exp->value > 0)) continue;
      const double v = e["metrics"][s.metric->name].get<double>();
      std::string st;
      const std::string bench = s.id.label + (size > 0 ? " @" + size_text(s.id, size) : "");
      json j =
          judge(bench, v, *exp, s.metric->higher_is_better, c.tolerance, metric_unit(s.metric->name), st);
      Group& g = groups[subject][s.id.family];
      g.status = worse(g.status, st);
      const double ratio = s.metric->higher_is_better ? v / exp->value : exp->value / v;
      if (ratio < g.worst_ratio) g.worst_ratio = ratio, g.worst = j;
      g.checks.push_back(std::move(j));
    }
  }
  (void)out;
}

void emit_expected(Context& c, std::vector<CheckItem>& out, const std::string& subject,
                   std::map<std::string, std::map<std::string, Group>>& groups) {
  const auto it = groups.find(subject);
  if (it == groups.end()) return;
  for (auto& [family, g] : it->second) {
    const json& w = g.worst;
    int fails = 0, warns = 0;
    for (const auto& ch : g.checks) fails += ch["status"] == "fail", warns += ch["status"] == "warn";
    const std::string unit = w["unit"].get<std::string>();
    std::string detail = std::to_string(g.checks.size()) + " compared";
    if (fails || warns) detail += ", " + std::to_string(fails) + " fail, " + std::to_string(warns) + " warn";
    detail += "; lowest " + w["benchmark"].get<std::string>() + " (" + w["source"].get<std::string>() + ")";
    add(out, g.status, subject, family + " vs expected",
        num(w["measured"].get<double>()) + " " + unit + " (" +
            fmt("%.0f%%", w["pct_of_expected"].get<double>()) + ")",
        ">= " + num(w["expected"].get<double>() * (1 - c.tolerance / 100)) + " " + unit + " (" +
            num(w["expected"].get<double>()) + " -" + fmt("%g%%", c.tolerance) + ")",
        detail, g.checks);
  }
}

// Each GPU against the other GPUs of the node, per family, at each series' plateau.
std::map<std::string, std::map<std::string, Group>> peer_groups(Context& c, int gpus) {
  std::map<std::string, std::map<std::string, Group>> groups;
  if (gpus < 2) return groups;
  for (const auto& [key, s] : c.series) {
    if (s.id.family == "collective" || s.id.name == "d2d_peer") continue;
    // The largest size that most GPUs ran.
    double size = 0;
    std::size_t most = 0;
    for (const auto& [sz, inst] : s.by_size)
      if (inst.size() >= most) most = inst.size(), size = sz;
    const auto& inst = s.by_size.at(size);
    if (inst.size() < 2) continue;
    for (std::size_t i = 0; i < inst.size(); ++i) {
      std::vector<double> peers;
      for (std::size_t j = 0; j < inst.size(); ++j)
        if (j != i) peers.push_back((*inst[j].entry)["metrics"][s.metric->name].get<double>());
      const double v = (*inst[i].entry)["metrics"][s.metric->name].get<double>();
      const double m = median(peers);
      if (!(m > 0)) continue;
      const double tol = std::max(kPeerFloorPct, kPeerMadFactor * 100 * robust_sd(peers) / m);
      const double dev = 100 * (v - m) / m * (s.metric->higher_is_better ? 1 : -1);  // + is better
      const std::string st = dev >= -tol ? "pass" : inst.size() >= 3 ? "fail" : "warn";
      const std::string bench = s.id.label + (size > 0 ? " @" + size_text(s.id, size) : "");
      json j = {{"benchmark", bench},    {"measured", v},
                {"peers_median", m},     {"unit", metric_unit(s.metric->name)},
                {"deviation_pct", dev},  {"spread_pct", tol},
                {"peers", peers.size()}, {"status", st}};
      Group& g = groups[inst[i].name][s.id.family];
      g.status = worse(g.status, st);
      if (dev < g.worst_ratio) g.worst_ratio = dev, g.worst = j;
      g.checks.push_back(std::move(j));
    }
  }
  return groups;
}

void emit_peers(std::vector<CheckItem>& out, const std::string& subject,
                const std::map<std::string, std::map<std::string, Group>>& groups) {
  const auto it = groups.find(subject);
  if (it == groups.end()) return;
  for (const auto& [family, g] : it->second) {
    const json& w = g.worst;
    int beyond = 0;
    for (const auto& ch : g.checks) beyond += ch["status"] != "pass";
    const std::string unit = w["unit"].get<std::string>();
    add(out, g.status, subject, family + " vs peers",
        num(w["measured"].get<double>()) + " " + unit + " (" +
            fmt("%+.1f%%", w["deviation_pct"].get<double>()) + ")",
        "peers' median " + num(w["peers_median"].get<double>()) + " " + unit + " +-" +
            fmt("%.1f%%", w["spread_pct"].get<double>()),
        std::to_string(beyond) + " of " + std::to_string(g.checks.size()) +
            " beyond the peers' spread; worst " + w["benchmark"].get<std::string>(),
        g.checks);
  }
}

// The entries of one GPU (gpu_index), every status.
std::vector<const json*> entries_of_gpu(const json& doc, int index) {
  std::vector<const json*> out;
  for (const auto& b : doc["benchmarks"])
    if (b.contains("gpu_index") && b["gpu_index"].get<int>() == index) out.push_back(&b);
  return out;
}

struct ThrottleCount {
  int throttled = 0, sampled = 0;
  bool light_work =
      false;  // throttled while streaming memory or copying: a healthy GPU holds its clock there
  double min_clock = 0, max_power = 0, max_temp = 0;
};

ThrottleCount throttle_count(const std::vector<const json*>& entries) {
  ThrottleCount t;
  for (const json* e : entries) {
    if (!e->contains("environment")) continue;
    const json& env = (*e)["environment"];
    if (env.value("samples", 0) <= 0) continue;
    ++t.sampled;
    if (!env.value("throttled", false)) continue;
    ++t.throttled;
    const std::string fam = e->value("family", std::string());
    t.light_work |= fam == "memory" || fam == "transfer";
    const double clk = env.value("sm_clock_mhz_min", 0.0);
    if (clk > 0 && (t.min_clock == 0 || clk < t.min_clock)) t.min_clock = clk;
    t.max_power = std::max(t.max_power, env.value("power_w_median", 0.0));
    t.max_temp = std::max(t.max_temp, env.value("temperature_c_max", 0.0));
  }
  return t;
}

// Transfers of a GPU at their largest size that fell short of the expected range (for the PCIe
// generation item): "" when none did, nullopt when none was compared.
std::optional<std::string> short_transfers(
    const std::map<std::string, std::map<std::string, Group>>& expected, const std::string& subject) {
  const auto it = expected.find(subject);
  if (it == expected.end()) return std::nullopt;
  const auto f = it->second.find("transfer");
  if (f == it->second.end() || f->second.checks.empty()) return std::nullopt;
  std::string s;
  for (const auto& ch : f->second.checks)
    if (ch["status"] != "pass")
      s += (s.empty() ? "" : ", ") + ch["benchmark"].get<std::string>() + " " +
           num(ch["measured"].get<double>()) + " GB/s (" +
           fmt("%.0f%%", ch["pct_of_expected"].get<double>()) + " of expected)";
  return s;
}

// Memory errors (ECC counters, row remapper), as NVML reported them when the run described the GPU.
// `h`: the GPU's recorded health (an empty object when the run recorded none).
void memory_error_items(std::vector<CheckItem>& out, const std::string& who, const json& h) {
  auto count = [&h](const char* key) -> std::optional<std::uint64_t> {
    if (!h.contains(key)) return std::nullopt;
    return h[key].get<std::uint64_t>();
  };
  const auto now = count("ecc_uncorrected_volatile"), corrected = count("ecc_corrected_volatile");
  const auto life = count("ecc_uncorrected_aggregate"), rows = count("remapped_rows_uncorrectable");
  const bool pending = h.value("row_remap_pending", false), failed = h.value("row_remap_failed", false);
  if (!now && !corrected && !life && !rows && !h.contains("row_remap_pending") &&
      !h.contains("row_remap_failed")) {
    add(out, "n/a", who, "memory errors", "not recorded", "0",
        "the run recorded no ECC or row-remapper counters for this GPU (ECC off, or the driver does not "
        "report them)");
    return;
  }
  std::string fig = (now ? std::to_string(*now) : std::string("?")) + " uncorrected";
  if (corrected && *corrected) fig += ", " + std::to_string(*corrected) + " corrected";
  if (failed) {
    add(out, "fail", who, "memory errors", fig + ", row remap failed", "0",
        "a faulty memory row could not be remapped: NVIDIA's guidance is to replace the GPU");
  } else if (now && *now > 0) {
    add(out, "fail", who, "memory errors", fig, "0",
        "uncorrected ECC errors since the driver was loaded: results and training state on this GPU may be "
        "corrupt; drain it and reset the GPU");
  } else if (pending) {
    add(out, "fail", who, "memory errors", fig + ", row remap pending", "0",
        "a remapped row waits for a GPU reset: until then the faulty row stays in use");
  } else if ((life && *life > 0) || (rows && *rows > 0)) {
    add(out, "warn", who, "memory errors", fig, "0",
        "uncorrected errors in the GPU's past (" + (life ? std::to_string(*life) : std::string("?")) +
            " over its life, " + (rows ? std::to_string(*rows) : std::string("?")) +
            " rows remapped for them): retired since; watch for new ones");
  } else {
    add(out, "pass", who, "memory errors", fig, "0", "");
  }
}

// NVLink: every link the GPU reports is active, and as many as its peers'.
void nvlink_items(std::vector<CheckItem>& out, const std::string& who, const json& h, bool sxm,
                  const std::vector<double>& peer_links_active) {
  if (!h.contains("nvlink_links") || !h.contains("nvlink_links_active")) {
    add(out, "n/a", who, "nvlink links", "not recorded", "",
        "the run recorded no NVLink link state for this GPU (no NVLink, or the driver does not report it)");
    return;
  }
  const int links = h["nvlink_links"].get<int>(), active = h["nvlink_links_active"].get<int>();
  const std::string fig = std::to_string(active) + " of " + std::to_string(links) + " active";
  const double peers = peer_links_active.empty() ? 0 : median(peer_links_active);
  if (peers > 0 && active < peers)
    add(out, "fail", who, "nvlink links", fig,
        format_fixed(peers, peers == std::floor(peers) ? 0 : 1) + " active (peers' median)",
        "fewer active links than its peers");
  else if (active < links && sxm)
    add(out, "fail", who, "nvlink links", fig, "all active",
        std::to_string(links - active) +
            " link(s) down: peer traffic takes fewer lanes (NCCL rings slow down)");
  else if (active < links)
    add(out, "warn", who, "nvlink links", fig, "all active",
        std::to_string(links - active) + " link(s) inactive (a PCIe card's bridges may connect only some)");
  else
    add(out, "pass", who, "nvlink links", fig, "all active", "");
}

// Why the driver held the clocks down while this GPU's benchmarks ran (NVML clock event reasons).
void clock_event_items(std::vector<CheckItem>& out, const std::string& who,
                       const std::vector<const json*>& entries) {
  std::map<std::string, int> seen;  // reason -> benchmarks that saw it
  int recorded = 0;
  for (const json* e : entries) {
    if (!e->contains("environment") || !(*e)["environment"].contains("clock_events")) continue;
    ++recorded;
    for (const auto& r : (*e)["environment"]["clock_events"]) ++seen[r.get<std::string>()];
  }
  if (!recorded) {
    add(out, "n/a", who, "clock events", "not recorded", "",
        "no benchmark of this GPU recorded the driver's clock event reasons");
    return;
  }
  std::string fig, hardware;
  for (const auto& [reason, n] : seen) {
    fig += (fig.empty() ? "" : ", ") + reason + " (" + std::to_string(n) + ")";
    if (reason.starts_with("hw_")) hardware += (hardware.empty() ? "" : ", ") + reason;
  }
  if (fig.empty()) fig = "none";
  fig += " in " + std::to_string(recorded) + " benchmarks";
  if (!hardware.empty())
    add(out, "fail", who, "clock events", fig, "no hardware slowdown",
        "hardware slowdown (" + hardware +
            "): overheating, a power-supply brake or a fault held the clocks down; inspect the node");
  else if (seen.count("sw_thermal_slowdown"))
    add(out, "warn", who, "clock events", fig, "no thermal slowdown",
        "the driver slowed the clocks for temperature: check the cooling");
  else
    add(out, "pass", who, "clock events", fig, "no hardware or thermal slowdown",
        seen.count("sw_power_cap") ? "at the power cap under load (normal under dense tensor work)" : "");
}

void gpu_state_items(Context& c, std::vector<CheckItem>& out, const json& g,
                     const std::vector<double>& peer_power, const std::vector<double>& peer_clock,
                     const std::vector<double>& peer_throttle_fraction,
                     const std::vector<double>& peer_links_active,
                     const std::map<std::string, std::map<std::string, Group>>& expected) {
  const std::string who = gpu_name(g);
  const std::string sku = g.value("sku", std::string("unknown"));
  const GpuSpec* spec = find_spec_by_key(sku);
  if (!spec)
    add(out, "warn", who, "sku", g.value("name", std::string("?")), "a spec-table SKU",
        "unknown SKU: no datasheet expectation, peers only");
  else
    add(out, "pass", who, "sku", g.value("name", std::string("?")), sku, "");

  // PCIe: a link narrower than its maximum is downtrained. A lower generation can be an idle link
  // saving power (NVML reads the current state), so it fails only with copies that fell short.
  if (!g.contains("pcie")) {
    add(out, "n/a", who, "pcie link", "not recorded", "", "the run recorded no PCIe link state for this GPU");
  } else {
    const json& p = g["pcie"];
    const int gc = p.value("generation_current", 0), gm = p.value("generation_max", 0);
    const int wc = p.value("width_current", 0), wm = p.value("width_max", 0);
    const std::string fig = pcie_text(gc, wc), exp = pcie_text(gm, wm);
    const auto shortfall = short_transfers(expected, who);
    if (wc > 0 && wm > 0 && wc < wm) {
      add(out, "fail", who, "pcie link", fig, exp,
          "width below its maximum: a downtrained link" +
              (shortfall && !shortfall->empty() ? "; " + *shortfall : std::string()));
    } else if (gc > 0 && gm > 0 && gc < gm) {
      if (shortfall && !shortfall->empty())
        add(out, "fail", who, "pcie link", fig, exp,
            "generation below its maximum and host copies short: " + *shortfall);
      else if (shortfall)
        add(out, "warn", who, "pcie link", fig, exp,
            "generation below its maximum when read, but host copies reached their expected range (an idle "
            "link trains down to save power)");
      else
        add(out, "warn", who, "pcie link", fig, exp,
            "generation below its maximum when read; no host copy measured to tell an idle link from a "
            "downtrained one");
    } else if (spec && gm > 0 && gm < spec->pcie_generation) {
      add(out, "warn", who, "pcie link", fig, "Gen" + std::to_string(spec->pcie_generation),
          "the slot or platform allows less than the SKU's generation");
    } else {
      add(out, "pass", who, "pcie link", fig, exp, "");
    }
  }

  // Power limit: below the SKU's TDP or its peers' is a capped GPU.
  if (!g.contains("power_limit_w")) {
    add(out, "n/a", who, "power limit", "not recorded", "", "");
  } else {
    const double w = g["power_limit_w"].get<double>();
    const double peers = peer_power.empty() ? 0 : median(peer_power);
    if (spec && spec->tdp_w > 0 && w < kPowerCapFraction * spec->tdp_w)
      add(out, "fail", who, "power limit", num(w) + " W", num(spec->tdp_w) + " W (SKU TDP)",
          "power-capped below the SKU's TDP (spec table)");
    else if (peers > 0 && w < kPowerCapFraction * peers)
      add(out, "fail", who, "power limit", num(w) + " W", num(peers) + " W (peers' median)",
          "power-capped below its peers");
    else
      add(out, "pass", who, "power limit", num(w) + " W",
          spec && spec->tdp_w > 0 ? num(spec->tdp_w) + " W (SKU TDP)" : "", "");
  }

  // Max SM clock: the driver's maximum, against the SKU's boost clock and the peers.
  if (!g.contains("max_sm_clock_mhz")) {
    add(out, "n/a", who, "max sm clock", "not recorded", "", "");
  } else {
    const double mhz = g["max_sm_clock_mhz"].get<double>();
    const double peers = peer_clock.empty() ? 0 : median(peer_clock);
    if (peers > 0 && std::abs(mhz - peers) > 0.02 * peers)
      add(out, "warn", who, "max sm clock", num(mhz) + " MHz", num(peers) + " MHz (peers' median)",
          "differs from its peers (clocks locked?)");
    else if (spec && spec->boost_clock_mhz > 0 && mhz < kClockFraction * spec->boost_clock_mhz)
      add(out, "warn", who, "max sm clock", num(mhz) + " MHz",
          num(spec->boost_clock_mhz) + " MHz (SKU boost)", "below the SKU's boost clock (clocks locked?)");
    else
      add(out, "pass", who, "max sm clock", num(mhz) + " MHz",
          spec && spec->boost_clock_mhz > 0 ? num(spec->boost_clock_mhz) + " MHz (SKU boost)" : "", "");
  }

  if (!g.contains("ecc_enabled"))
    add(out, "n/a", who, "ecc mode", "not recorded", "on", "");
  else if (g["ecc_enabled"].get<bool>())
    add(out, "pass", who, "ecc mode", "on", "on", "");
  else
    add(out, "warn", who, "ecc mode", "off", "on",
        "ECC off: memory errors go undetected (data-center GPUs ship with it on)");

  if (!g.contains("mig_enabled"))
    add(out, "n/a", who, "mig mode", "not recorded", "off", "");
  else if (g["mig_enabled"].get<bool>())
    add(out, "fail", who, "mig mode", "on", "off", "MIG on: a job sees a slice of the GPU");
  else
    add(out, "pass", who, "mig mode", "off", "off", "");

  const json health = g.value("health", json::object());
  memory_error_items(out, who, health);
  nvlink_items(out, who, health, spec && spec->sxm(), peer_links_active);

  // Throttling while benchmarks ran (SM clock below 90% of its maximum).
  const auto entries = entries_of_gpu(c.doc, g.value("index", 0));
  const ThrottleCount t = throttle_count(entries);
  if (t.sampled == 0) {
    add(out, "n/a", who, "throttling", "no clock samples", "",
        "no benchmark of this GPU recorded its clocks");
  } else {
    const double frac = static_cast<double>(t.throttled) / t.sampled;
    const std::string fig = std::to_string(t.throttled) + " of " + std::to_string(t.sampled) + " benchmarks";
    std::string why;
    if (t.throttled) {
      why = "lowest SM clock " + num(t.min_clock) + " MHz";
      if (g.contains("max_sm_clock_mhz")) why += " of " + num(g["max_sm_clock_mhz"].get<double>());
      if (g.contains("power_limit_w") && t.max_power >= kPowerCapFraction * g["power_limit_w"].get<double>())
        why += "; at its power limit (" + num(t.max_power) + " W)";
      if (t.max_temp > 0) why += "; up to " + num(t.max_temp) + " C";
    }
    if (!t.throttled) {
      add(out, "pass", who, "throttling", fig, "none", "");
    } else if (!peer_throttle_fraction.empty()) {
      const double peers = median(peer_throttle_fraction);
      if (frac > peers + 0.1)
        add(out, "fail", who, "throttling", fig, fmt("as its peers (median %.0f%%)", 100 * peers),
            "throttles more than its peers: " + why);
      else
        add(out, "warn", who, "throttling", fig, fmt("as its peers (median %.0f%%)", 100 * peers),
            "throttles like its peers (a power- or heat-limited node; dense tensor work can hold clocks "
            "below 90% of the maximum under the power limit): " +
                why);
    } else {
      add(out, t.light_work ? "fail" : "warn", who, "throttling", fig, "none",
          (t.light_work ? "throttled while streaming memory or copying: "
                        : "throttled under compute load: ") +
              why);
    }
  }

  clock_event_items(out, who, entries);

  // Benchmarks that errored (a wrong result or a CUDA error) or never ran.
  int errors = 0, not_run = 0;
  std::string first;
  for (const json* e : entries) {
    const std::string st = e->value("status", std::string());
    if (st == "error") {
      if (!errors++) first = (*e)["id"].get<std::string>() + ": " + e->value("reason", std::string());
    }
    not_run += st == "not_run";
  }
  if (errors)
    add(out, "fail", who, "benchmark errors", std::to_string(errors) + " errored", "0",
        "first: " + first.substr(0, 200));
  else if (not_run)
    add(out, "warn", who, "benchmark errors", std::to_string(not_run) + " not run", "0",
        "their binary crashed, hung or ran out of time");
  else
    add(out, "pass", who, "benchmark errors", "0", "0", "");
}

void peer_link_items(Context& c, std::vector<CheckItem>& out) {
  const json& gpus = gpus_of(c.doc);
  if (gpus.size() < 2) {
    add(out, "n/a", "node", "nvlink / peer access", "one GPU", "", "no peers");
    return;
  }
  const GpuSpec* spec = find_spec_by_key(gpus[0].value("sku", std::string()));
  const bool expect_nvlink = spec && spec->nvlink_gbps > 0 && spec->sxm();
  std::map<std::string, std::pair<std::string, bool>> pairs;  // "src:0/dst:1" -> link, peer access
  for (const auto& b : c.doc["benchmarks"]) {
    const auto id = split_id(b.value("id", std::string()));
    if (!id || id->name != "d2d_peer" || id->instance.empty()) continue;
    const json& p = b.value("parameters", json::object());
    if (!p.contains("link")) continue;
    pairs.emplace(id->instance, std::make_pair(p["link"].get<std::string>(), p.value("peer_access", false)));
  }
  if (pairs.empty()) {
    add(out, "n/a", "node", "nvlink / peer access", "no peer copies in the run",
        expect_nvlink ? "NVLink" : "", "run bench_transfer on two or more GPUs to record the peer links");
    return;
  }
  std::map<std::string, int> by_link;
  std::string off_nvlink, no_access;
  for (const auto& [pair, lp] : pairs) {
    ++by_link[lp.first];
    if (lp.first != "nvlink") off_nvlink += (off_nvlink.empty() ? "" : ", ") + pair;
    if (!lp.second) no_access += (no_access.empty() ? "" : ", ") + pair;
  }
  std::string fig;
  for (const auto& [link, n] : by_link)
    fig += (fig.empty() ? "" : ", ") + std::to_string(n) + " pairs " + link;
  if (expect_nvlink && !off_nvlink.empty())
    add(out, "fail", "node", "nvlink / peer access", fig, "every pair over NVLink",
        std::string(spec->key) +
            " GPUs are connected by NVLink; not over NVLink: " + off_nvlink.substr(0, 300));
  else if (!no_access.empty())
    add(out, expect_nvlink ? "fail" : "warn", "node", "nvlink / peer access", fig,
        "peer access between every pair",
        "no peer access (copies staged through host memory): " + no_access.substr(0, 300));
  else
    add(out, "pass", "node", "nvlink / peer access", fig,
        expect_nvlink ? "every pair over NVLink" : "peer access", "");

  // Pair bandwidth against the other pairs, at each peer series' largest size.
  for (const auto& [key, s] : c.series) {
    if (s.id.name != "d2d_peer") continue;
    const auto& inst = s.by_size.rbegin()->second;
    if (inst.size() < 3) continue;
    std::vector<double> all;
    for (const auto& i : inst) all.push_back((*i.entry)["metrics"][s.metric->name].get<double>());
    const double m = median(all);
    const double tol = std::max(kPeerFloorPct, kPeerMadFactor * 100 * robust_sd(all) / m);
    json checks = json::array();
    std::string slow;
    double worst = 0, worst_v = m;
    for (std::size_t i = 0; i < inst.size(); ++i) {
      const double dev = 100 * (all[i] - m) / m;
      checks.push_back(
          {{"pair", inst[i].name}, {"measured", all[i]}, {"pairs_median", m}, {"deviation_pct", dev}});
      if (dev < -tol) slow += (slow.empty() ? "" : ", ") + inst[i].name + " " + num(all[i]);
      if (dev < worst) worst = dev, worst_v = all[i];
    }
    add(out, slow.empty() ? "pass" : "fail", "node", "peer bw " + axis_value(s.id, "engine"),
        "lowest " + num(worst_v) + " GB/s (" + fmt("%+.1f%%", worst) + ")",
        "pairs' median " + num(m) + " GB/s +-" + fmt("%.1f%%", tol),
        s.id.label + ", " + std::to_string(inst.size()) + " pairs" +
            (slow.empty() ? std::string() : "; slower than the other pairs: " + slow.substr(0, 300)),
        checks);
  }
}

}  // namespace

std::vector<CheckItem> check_document(const json& doc, const CheckOptions& opt) {
  std::vector<CheckItem> out;
  Context c{doc, opt, series_of(doc), {}, {}, widest_widths(doc), 10, {}};
  if (opt.reference) c.ref_series = series_of(*opt.reference);
  const bool measured = opt.reference || (opt.profile && opt.profile->kind == "measured");
  c.tolerance = opt.tolerance_pct ? *opt.tolerance_pct : measured ? 5 : 10;
  const json& gpus = gpus_of(doc);
  if (gpus.empty()) {
    add(out, "fail", "node", "gpus", "none (host backend)", "one or more GPUs",
        "the run measured no GPU: nothing to accept");
    return out;
  }
  std::map<std::string, std::map<std::string, Group>> expected;
  expected_items(c, out, expected);
  const auto peers = peer_groups(c, static_cast<int>(gpus.size()));

  // Each GPU's peers' recorded power limit, max clock, throttled fraction and active NVLink links.
  std::vector<double> power, clock, throttle, links;
  for (const auto& g : gpus) {
    power.push_back(g.value("power_limit_w", 0.0));
    clock.push_back(g.value("max_sm_clock_mhz", 0.0));
    links.push_back(g.contains("health") ? g["health"].value("nvlink_links_active", 0.0) : 0.0);
    const ThrottleCount t = throttle_count(entries_of_gpu(doc, g.value("index", 0)));
    throttle.push_back(t.sampled ? static_cast<double>(t.throttled) / t.sampled : -1);
  }
  auto others = [](const std::vector<double>& v, std::size_t skip) {
    std::vector<double> o;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (i != skip && v[i] >= 0 && !(v[i] == 0)) o.push_back(v[i]);
    return o;
  };
  auto others_fraction = [](const std::vector<double>& v, std::size_t skip) {
    std::vector<double> o;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (i != skip && v[i] >= 0) o.push_back(v[i]);
    return o;
  };
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    gpu_state_items(c, out, gpus[i], others(power, i), others(clock, i), others_fraction(throttle, i),
                    others(links, i), expected);
    emit_expected(c, out, gpu_name(gpus[i]), expected);
    emit_peers(out, gpu_name(gpus[i]), peers);
  }
  // Entries without a GPU index (node-wide) that errored.
  int node_errors = 0;
  std::string first;
  for (const auto& b : doc["benchmarks"])
    if (!b.contains("gpu_index") && b.value("status", std::string()) == "error" && !node_errors++)
      first = b["id"].get<std::string>() + ": " + b.value("reason", std::string());
  if (node_errors)
    add(out, "fail", "node", "benchmark errors", std::to_string(node_errors) + " errored", "0",
        "first: " + first.substr(0, 200));
  emit_expected(c, out, "node", expected);
  peer_link_items(c, out);
  return out;
}

int check_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string input, expect, format = "table";
  CheckOptions opt;
  {
    auto app = make_app("gpuscale check", kDescription, kFooter);
    double tolerance_pct = 0;
    app->add_option("RUN.json", input, "the results document of the node")->type_name("")->required();
    app->add_option("--expect", expect, "a results document (reference run) or a GPU profile of the SKU")
        ->type_name("FILE");
    app->add_option("--tolerance-pct", tolerance_pct,
                    "default 5 against a reference or a measured profile, 10 against the datasheet")
        ->type_name("T")
        ->check(finite_number("a number in (0, 50)", [](double v) { return v > 0 && v < 50; }));
    app->add_option("--format", format, "table (default) or json")
        ->type_name("F")
        ->check(one_of({"table", "json"}, "table or json"));
    if (const int code = parse_args(*app, args, out, err); code >= 0) return code;
    if (app->count("--tolerance-pct")) opt.tolerance_pct = tolerance_pct;
  }
  json doc;
  try {
    doc = read_results_document(input);
    if (!expect.empty()) {
      const json e = read_json_file(expect);
      if (e.is_object() && e.contains("benchmarks")) {
        opt.reference = read_results_document(expect);
        opt.reference_file = expect;
        const std::string ref_sku = run_sku(*opt.reference);
        bool match = false;
        for (const auto& g : doc["gpus"]) match |= g.value("sku", std::string()) == ref_sku;
        if (!match)
          throw std::runtime_error(expect + ": a reference run of " + ref_sku + "; " + input +
                                   " has no GPU of that SKU (" + gpus_text(doc) + ")");
      } else {
        opt.profile = planner::profile_from_json(e, expect);
        opt.profile_file = expect;
        bool match = false;
        for (const auto& g : doc["gpus"]) match |= g.value("sku", std::string()) == opt.profile->sku;
        if (!match)
          throw std::runtime_error(expect + ": a profile of " + opt.profile->sku + "; " + input +
                                   " has no GPU of that SKU (" + gpus_text(doc) + ")");
      }
    }
  } catch (const std::exception& e) {
    err << "gpuscale check: " << e.what() << "\n";
    return 2;
  }
  const auto items = check_document(doc, opt);
  std::map<std::string, int> counts;
  for (const auto& i : items) ++counts[i.status];
  const int code = counts["fail"] ? 1 : 0;
  const bool measured = opt.reference || (opt.profile && opt.profile->kind == "measured");
  const double tol = opt.tolerance_pct ? *opt.tolerance_pct : measured ? 5 : 10;
  std::string expectation =
      opt.reference
          ? "reference run " + (*opt.reference)["run"]["id"].get<std::string>() + " (" + expect + ")"
      : opt.profile ? opt.profile->kind + " profile of " + opt.profile->sku + " (" + expect + ")"
                    : "datasheet x published achieved fraction of each GPU's SKU (built-in profile)";
  if (format == "json") {
    json j = {{"file", input},
              {"run_id", doc["run"]["id"]},
              {"gpus", gpus_text(doc)},
              {"fixture", is_fixture(doc)},
              {"expectation",
               {{"kind", opt.reference ? "reference"
                         : opt.profile ? "profile"
                                       : "datasheet"},
                {"description", expectation},
                {"tolerance_pct", tol}}},
              {"items", json::array()}};
    for (const auto& i : items) {
      json r = {{"status", i.status}, {"subject", i.subject},   {"item", i.item},
                {"figure", i.figure}, {"expected", i.expected}, {"detail", i.detail}};
      if (!i.checks.empty()) r["checks"] = i.checks;
      j["items"].push_back(r);
    }
    j["summary"] = {
        {"pass", counts["pass"]}, {"warn", counts["warn"]}, {"fail", counts["fail"]}, {"n/a", counts["n/a"]}};
    j["result"] = code ? "fail" : "pass";
    j["exit_code"] = code;
    out << j.dump(2) << "\n";
    return code;
  }
  out << "check: " << input << ", " << gpus_text(doc) << ", run " << doc["run"]["id"].get<std::string>()
      << "\n";
  if (is_fixture(doc))
    out << "  [FIXTURE, not a measurement] note: " << doc["run"].value("note", std::string()) << "\n";
  out << "expected: " << expectation << "; below -" << tol << "% warns, below -" << 2 * tol << "% fails\n";
  char line[1024];
  for (const auto& i : items) {
    std::string status = i.status;
    std::transform(status.begin(), status.end(), status.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    std::snprintf(line, sizeof line, "%-5s %-10s %-22s %-30s %-34s %s", status.c_str(), i.subject.c_str(),
                  i.item.c_str(), i.figure.c_str(),
                  i.expected.empty() ? "" : ("expected " + i.expected).c_str(), i.detail.c_str());
    std::string text = line;
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << "\n";
  }
  out << "summary: " << counts["pass"] << " pass, " << counts["warn"] << " warn, " << counts["fail"]
      << " fail, " << counts["n/a"] << " n/a (not recorded): " << (code ? "FAIL" : "PASS") << "\n";
  return code;
}

}  // namespace gpuscale::cli
