// Validation against published measured runs (tests/data/published_measurements.csv, copied from
// the public sources each row names). Every row whose settings are stated is planned through the
// same column-to-scenario rules (no per-row constants) with the datasheet profile of its GPU; the
// error table goes to the build tree (validation.md) and, with GPUSCALE_UPDATE_DOCS=1, to
// docs/validation.md, which a second test checks is current.
//
// Targets (issue 5): peak memory within 10% median and 25% worst, tokens/s within 15% median; the
// doc reports each as met or not from the numbers computed here, and each is asserted. The two
// runs the end-to-end efficiencies come from (fms-fsdp's Llama-2 7B on A100 and H100, in
// more_published_measurements.csv) are marked in the doc and left out of every statistic; a test
// checks that each efficiency still reproduces its run, so a kernel-model change forces re-deriving.
//
// Run: ctest -R Validation --output-on-failure
//      GPUSCALE_UPDATE_DOCS=1 ./build/tests/planner/planner_validation_tests   (regenerate the docs:
//                                 validation.md and seed-tables.md)
//      GPUSCALE_VALIDATION_DUMP=1 ...   (each row's plan time and memory breakdown on stderr)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>

#include "csv.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/seed_tables.hpp"

namespace {

using json = nlohmann::json;
using namespace gpuscale::planner;
using Row = std::map<std::string, std::string>;

const std::string kData = GPUSCALE_TEST_DATA_DIR;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
bool has(const std::string& s, const std::string& what) {
  return lower(s).find(lower(what)) != std::string::npos;
}

std::optional<double> leading_number(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i == s.size() || !(std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) return std::nullopt;
  return std::stod(s.substr(i));
}

struct Case {
  std::string id, model, summary, skip_reason, mem_metric;
  json scenario;
  // A GPU the spec table does not have, as the source states it: its memory, and its HBM bandwidth
  // relative to the SKU it is planned as.
  double gpu_memory_bytes = 0, hbm_scale = 1;
  std::optional<double> mem_measured;  // bytes
  std::optional<double> tps_measured;
  double mem_pred = 0, tps_pred = 0;
};

struct Ablation {
  bool compile = false;
  std::int64_t loss_chunks = 1;
};

// "TP 8", "PP8", "VP 2" in a parallelism column.
std::optional<std::int64_t> degree(const std::string& text, const char* name) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(std::string("\\b") + name + "\\s*(\\d+)")))
    return std::stoll(m[1]);
  return std::nullopt;
}

// The column-to-scenario rules, the same for every row.
Case make_case(const Row& r, const json& cfg, std::map<std::string, Ablation>& ablations) {
  Case c;
  c.id = r.at("row_id");
  c.model = r.at("model");
  auto get = [&](const char* k) {
    auto it = r.find(k);
    return it == r.end() ? std::string() : it->second;
  };
  const std::string method = get("method"), par = get("parallelism"), ckpt = get("grad_checkpointing"),
                    opt = get("optimizer"), prec = get("precision"), fw = get("framework"),
                    gpu = get("gpu_type");

  // Measurements.
  const std::string mem = get("peak_mem_per_gpu_gb");
  if (auto v = leading_number(mem); v && mem.find('<') == std::string::npos)
    c.mem_measured = *v * (has(mem, "gib") ? 1073741824.0 : 1e9);
  c.mem_metric = get("peak_mem_metric");
  if (auto v = leading_number(get("tokens_per_sec_per_gpu"))) c.tps_measured = *v;

  // Ablation rows: each technique stays on in the rows after it (as the source states).
  auto& ab = ablations[get("source")];
  json fw_defaults = json::object();
  for (const auto& [name, d] : cfg["framework_defaults"].items())
    if (fw.rfind(name, 0) == 0) fw_defaults = d;
  if (has(get("workload_kind"), "ablation")) {
    if (has(method, "+ compile")) ab.compile = true;
    if (has(method, "chunked cross entropy")) ab.loss_chunks = fw_defaults.value("loss_chunks", 8);
  }

  json s;
  if (has(par, "naive model parallel"))
    return c.skip_reason =
               "naive model parallelism (layers spread over GPUs run one after another) is not modelled",
           c;
  // Model.
  json models = cfg["models"];
  if (!models.contains(c.model)) return c.skip_reason = "architecture not in validation_models.json", c;
  json m = models[c.model];
  if (m.contains("same_as")) m = models[m["same_as"].get<std::string>()];
  const auto seq = leading_number(get("seq_len"));
  if (!seq) return c.skip_reason = "sequence length not stated", c;
  if (has(get("seq_len"), "unpacked") && !has(get("seq_len"), "padded"))
    return c.skip_reason = "unpacked samples: tokens per sample not stated", c;
  if (m.contains("preset")) {
    s["model"] = m["preset"];
  } else {
    json inl = m["inline"];
    if (inl.contains("learned_positions") && inl["learned_positions"] == "seq_len")
      inl["learned_positions"] = static_cast<std::int64_t>(*seq);
    inl["name"] = c.model;
    s["model"] = inl;
  }
  s["seq_len"] = static_cast<std::int64_t>(*seq);
  const auto mb = leading_number(get("micro_batch"));
  if (!mb) return c.skip_reason = "micro-batch not stated", c;
  s["micro_batch"] = static_cast<std::int64_t>(*mb);
  s["grad_accum"] = static_cast<std::int64_t>(leading_number(get("grad_accum")).value_or(1));

  // Method and precision.
  if (has(method, "qlora"))
    s["method"] = "qlora";
  else if (has(method, "lora"))
    s["method"] = "lora";
  else
    s["method"] = "full";
  s["precision"] = (has(prec, "fp8") || has(prec, "float8")) ? "fp8"
                   : (has(prec, "amp") || has(prec, "mixed") || has(prec, "deepspeed") || has(prec, "gptq"))
                       ? "amp-bf16"
                       : "bf16";

  // GPU and parallelism.
  std::string sku;
  if (has(gpu, "h100") && has(gpu, "96gb hbm2e")) {
    // torchtitan's Grand Teton H100s: 96 GB of HBM2e at 2.4 TB/s (docs/performance.md), planned as
    // the H100 SXM with that memory and its bandwidth scaled by 2.4 / 3.35; their 500 W compute
    // clock is not published, so compute stays the H100 SXM's.
    sku = "h100-sxm-80gb";
    c.gpu_memory_bytes = 96e9;
    c.hbm_scale = 2400.0 / 3350.0;
  } else if (has(gpu, "h100"))
    sku = "h100-sxm-80gb";
  else if (has(gpu, "a100"))
    sku = has(gpu, "40gb") ? "a100-sxm-40gb" : "a100-sxm-80gb";
  else
    return c.skip_reason = "GPU model not stated (" + gpu + ")", c;
  s["gpu"] = sku;
  const auto n = static_cast<std::int64_t>(leading_number(get("gpu_count")).value_or(1));
  s["gpus_per_node"] = std::min<std::int64_t>(n, 8);
  s["nodes"] = std::max<std::int64_t>(1, n / 8);
  s["sharding"] = (has(par, "fsdp") || has(par, "hsdp") || has(par, "zero-3") || has(par, "full_shard"))
                      ? "zero3"
                  : has(par, "distributed optimizer") ? "zero1"
                                                      : "none";
  // Model parallelism as the column states it; the data-parallel degree is what remains.
  if (auto t = degree(par, "TP")) s["tensor_parallel"] = *t;
  if (auto p = degree(par, "PP")) s["pipeline_parallel"] = *p;
  if (auto cp = degree(par, "CP")) s["context_parallel"] = *cp;
  if (auto v = degree(par, "VP"); v && *v > 1) s["virtual_stages"] = *v;
  if (has(par, "sequence parallel") || has(ckpt, "sequence parallel")) s["sequence_parallel"] = true;
  if (has(par, "async tp")) s["tp_comm_overlap"] = true;
  // No grad_accum column: the global batch over micro-batch x data-parallel degree.
  if (!leading_number(get("grad_accum")) && leading_number(get("global_batch"))) {
    const std::int64_t dp =
        n / (s.value("tensor_parallel", std::int64_t{1}) * s.value("pipeline_parallel", std::int64_t{1}) *
             s.value("context_parallel", std::int64_t{1}));
    s["grad_accum"] =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(*leading_number(get("global_batch"))) /
                                      (static_cast<std::int64_t>(*mb) * std::max<std::int64_t>(dp, 1)));
  }

  // Checkpointing and optimizer.
  const std::string ck = lower(ckpt);
  if (has(ck, "selective op"))
    s["activation_checkpointing"] = "selective-op";
  else if (auto every = degree(ck, "selective layer"))
    s["activation_checkpointing"] = "selective-layer:" + std::to_string(*every);
  else if (has(ck, "selective"))
    s["activation_checkpointing"] = "selective";
  else if (ck.rfind("true", 0) == 0 || ck.rfind("yes", 0) == 0 || has(ck, "full"))
    s["activation_checkpointing"] = "full";
  else
    s["activation_checkpointing"] = "none";
  if (has(ck, "offload")) s["activation_offload"] = true;
  if (has(opt, "8bit"))
    s["optimizer"] = has(opt, "paged") ? "paged-adamw-8bit" : "adamw-8bit";
  else if (has(opt, "sgd"))
    s["optimizer"] = "sgd";
  else
    s["optimizer"] = "adamw";
  if (has(opt, "optimizer_in_bwd")) s["optimizer_in_backward"] = true;

  // LoRA settings: the row's columns, else the framework's published default config.
  if (s["method"] != "full") {
    if (auto rk = leading_number(get("lora_rank")))
      s["lora_rank"] = static_cast<std::int64_t>(*rk);
    else if (fw_defaults.contains("lora_rank"))
      s["lora_rank"] = fw_defaults["lora_rank"];
    else
      return c.skip_reason = "LoRA rank not stated", c;
    const std::string tg = get("lora_targets");
    if (!tg.empty() && cfg["lora_targets"].contains(tg))
      s["lora_targets"] = cfg["lora_targets"][tg];
    else if (fw_defaults.contains("lora_targets"))
      s["lora_targets"] = fw_defaults["lora_targets"];
    else
      return c.skip_reason = "LoRA targets not stated", c;
  }
  s["flash_attention"] = fw_defaults.value("flash_attention", true);
  if (fw_defaults.contains("framework")) s["framework"] = fw_defaults["framework"];
  if (ab.compile || fw_defaults.value("compile", false) || has(fw, "torch.compile")) s["compile"] = true;
  if (fw_defaults.value("fused_loss", false)) s["fused_loss"] = true;
  if (ab.loss_chunks > 1) s["loss_chunks"] = ab.loss_chunks;

  std::ostringstream sum;
  sum << s["method"].get<std::string>() << ", " << s["precision"].get<std::string>() << ", s=" << *seq
      << " b=" << *mb << " ga=" << s["grad_accum"] << ", " << n << "x" << sku << ", "
      << s["sharding"].get<std::string>() << ", ckpt " << s["activation_checkpointing"].get<std::string>();
  if (s.value("activation_offload", false)) sum << "+offload";
  if (s.contains("tensor_parallel"))
    sum << ", TP " << s["tensor_parallel"] << (s.value("sequence_parallel", false) ? "+SP" : "")
        << (s.value("tp_comm_overlap", false) ? " overlapped" : "");
  if (s.contains("pipeline_parallel"))
    sum << ", PP " << s["pipeline_parallel"]
        << (s.contains("virtual_stages") ? " x" + s["virtual_stages"].dump() : "");
  if (s.contains("context_parallel") && s["context_parallel"] != 1) sum << ", CP " << s["context_parallel"];
  sum << ", " << s["optimizer"].get<std::string>();
  if (s.value("optimizer_in_backward", false)) sum << " in bwd";
  if (s.value("compile", false)) sum << ", compile";
  if (s.value("fused_loss", false)) sum << ", fused CE";
  if (s.contains("loss_chunks")) sum << ", CE chunks " << s["loss_chunks"];
  if (s.contains("lora_rank")) sum << ", r=" << s["lora_rank"];
  if (s.contains("framework")) sum << ", " << s["framework"].get<std::string>();
  c.summary = sum.str();
  c.scenario = s;
  return c;
}

double compared_memory(const MemoryBreakdown& b, const std::string& metric) {
  if (has(metric, "active") || has(metric, "allocated")) return b.allocated();
  if (has(metric, "reserved")) return b.reserved();
  return b.total();
}

struct Summary {
  std::vector<double> mem_err, tps_err;
  int used = 0;
  std::map<std::string, double> calibration_tps_err;  // rows the end-to-end efficiencies come from
  std::vector<double> kernel_tps_err;                 // the same rows planned at end_to_end_efficiency 1
  std::vector<std::pair<double, double>> tps_points;  // (measured, planned), calibration rows excluded
  std::vector<std::string> host_bound;                // rows the plan warns are at risk of being host-bound
  int fits_known = 0;                                 // rows that say whether the run fitted
  std::vector<std::string> fits_wrong;                // ... and the planner disagrees
};

bool is_calibration_row(const std::string& id) {
  for (const auto& r : end_to_end_references())
    if (id == r.validation_row) return true;
  return false;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
double worst(const std::vector<double>& v) {
  double w = 0;
  for (double x : v) w = std::max(w, std::abs(x));
  return w;
}
std::vector<double> absv(std::vector<double> v) {
  for (auto& x : v) x = std::abs(x);
  return v;
}

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", 100 * x);
  return b;
}
std::string num(double x, const char* f = "%.1f") {
  char b[32];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

Summary run_file(const std::string& csv, const json& cfg, std::ostream& md) {
  Summary sum;
  std::map<std::string, Ablation> ablations;
  std::vector<Case> skipped;
  md << "| row | model | settings (as planned) | memory measured | metric | planned | error | tokens/s "
        "measured | planned | error |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : gpuscale::test::read_csv(csv)) {
    Case c = make_case(r, cfg, ablations);
    if (c.skip_reason.empty() && !c.mem_measured && !c.tps_measured)
      c.skip_reason = "no memory or tokens/s measured";
    if (!c.skip_reason.empty()) {
      skipped.push_back(c);
      continue;
    }
    auto s = parse_scenario(c.scenario, csv + " row " + c.id);
    if (c.gpu_memory_bytes > 0) {
      s.gpu.usable.total_bytes = static_cast<std::uint64_t>(c.gpu_memory_bytes);
      s.gpu.usable.largest_block_bytes = s.gpu.usable.usable_bytes();
      for (auto& [op, ab] : s.gpu.memory) ab.bandwidth_gbps *= c.hbm_scale;
      for (auto& [name, g] : s.gpu.gemm) g.bandwidth_gbps *= c.hbm_scale;
    }
    const auto p = plan(s);
    for (const auto& w : p.warnings)
      if (w.rfind("host-bound", 0) == 0) sum.host_bound.push_back(c.id);
    if (const std::string f = lower(r.count("fits") ? r.at("fits") : "");
        f.rfind("yes", 0) == 0 || f.rfind("no", 0) == 0) {
      ++sum.fits_known;
      if ((f.rfind("yes", 0) == 0) != p.fits) sum.fits_wrong.push_back(c.id);
    }
    if (std::getenv("GPUSCALE_VALIDATION_DUMP")) {
      auto j = plan_to_json(p);
      std::cerr << "DUMP " << c.id << " " << j["time"].dump() << " mem " << j["memory"]["breakdown"].dump()
                << "\n";
    }
    ++sum.used;
    md << "| " << c.id << " | " << c.model << " | " << c.summary << " | ";
    if (c.mem_measured) {
      const double pred = compared_memory(p.memory.peak, c.mem_metric);
      const double e = pred / *c.mem_measured - 1;
      sum.mem_err.push_back(e);
      md << num(*c.mem_measured / 1e9) << " GB | "
         << (c.mem_metric.empty() ? "-" : c.mem_metric.substr(0, 40)) << " | " << num(pred / 1e9) << " GB | "
         << pct(e) << " | ";
    } else {
      md << "- | - | " << num(p.memory.peak.total() / 1e9) << " GB | - | ";
    }
    if (c.tps_measured) {
      const double e = p.time.tokens_per_s_per_gpu / *c.tps_measured - 1;
      if (is_calibration_row(c.id)) {
        sum.calibration_tps_err[c.id] = e;
      } else {
        sum.tps_err.push_back(e);
        sum.tps_points.emplace_back(*c.tps_measured, p.time.tokens_per_s_per_gpu);
        if (s.training()) {
          Scenario k = s;
          k.end_to_end_efficiency = 1.0;
          sum.kernel_tps_err.push_back(plan_time(k).tokens_per_s_per_gpu / *c.tps_measured - 1);
        }
      }
      md << num(*c.tps_measured, "%.0f") << " | " << num(p.time.tokens_per_s_per_gpu, "%.0f") << " | "
         << pct(e) << (is_calibration_row(c.id) ? " (calibration run, not counted)" : "") << " |\n";
    } else {
      md << "- | " << num(p.time.tokens_per_s_per_gpu, "%.0f") << " | - |\n";
    }
  }
  md << "\nNot planned (settings not stated or not modelled):\n\n";
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& c : skipped) by_reason[c.skip_reason].push_back(c.id + " (" + c.model + ")");
  for (const auto& [reason, ids] : by_reason) {
    md << "- " << reason << ": ";
    for (std::size_t i = 0; i < ids.size(); ++i) md << (i ? ", " : "") << ids[i];
    md << "\n";
  }
  md << "\n";
  return sum;
}

void summary_md(const Summary& s, std::ostream& md) {
  auto line = [&](const char* what, const std::vector<double>& e) {
    md << "| " << what << " | " << e.size() << " | ";
    if (e.empty())
      md << "- | - | - |\n";
    else
      md << pct(median(absv(e))) << " | " << pct(worst(e)) << " | " << pct(median(e)) << " |\n";
  };
  md << "| quantity | rows | median abs error | worst abs error | median signed error "
        "|\n|---|---|---|---|---|\n";
  line("peak memory", s.mem_err);
  line("tokens/s per GPU", s.tps_err);
  if (!s.kernel_tps_err.empty()) line("tokens/s per GPU, kernel level (efficiency 1)", s.kernel_tps_err);
  md << "\nFits or not (the source says whether the run fitted in memory): "
     << s.fits_known - s.fits_wrong.size() << " of " << s.fits_known << " rows agree";
  if (!s.fits_wrong.empty()) {
    md << "; the planner disagrees on ";
    for (std::size_t i = 0; i < s.fits_wrong.size(); ++i) md << (i ? ", " : "") << s.fits_wrong[i];
  }
  md << ".\n";
  md << "Host-bound warning (under " << num(kHostBoundLayerSeconds * 1e3, "%.0f")
     << " ms of GPU work per layer per micro-batch, eager): ";
  if (s.host_bound.empty()) md << "none";
  for (std::size_t i = 0; i < s.host_bound.size(); ++i) md << (i ? ", " : "") << s.host_bound[i];
  md << ".\n\n";
}

// Each target, met or not, from the computed errors.
std::string target_status(const Summary& s) {
  std::ostringstream os;
  auto line = [&](const char* what, double value, double target) {
    os << "- " << what << ": " << pct(value) << " against " << pct(target) << ": "
       << (value <= target ? "**met**" : "**not met**") << "\n";
  };
  line("peak memory, median abs error", median(absv(s.mem_err)), 0.10);
  line("peak memory, worst abs error", worst(s.mem_err), 0.25);
  line("tokens/s per GPU, median abs error", median(absv(s.tps_err)), 0.15);
  os << "\n";
  return os.str();
}

// Planned against measured tokens/s per GPU, log-log, one colour per file, with the y = x line and
// the +-15% band of the target: docs/validation-tokens.svg.
std::string scatter_svg(const std::vector<std::pair<std::string, const Summary*>>& files) {
  const double W = 680, H = 520, L = 70, R = 200, T = 30, B = 60;
  double lo = 1e300, hi = 0;
  for (const auto& [_, s] : files)
    for (auto [m, p] : s->tps_points) lo = std::min({lo, m, p}), hi = std::max({hi, m, p});
  lo = std::pow(10, std::floor(std::log10(lo)));
  hi = std::pow(10, std::ceil(std::log10(hi)));
  auto X = [&](double v) {
    return L + (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (W - L - R);
  };
  auto Y = [&](double v) {
    return H - B - (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (H - T - B);
  };
  std::ostringstream o;
  auto f = [](double v) { return num(v, "%.1f"); };
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
       "fill=\"white\"/>\n"
    << "<text x=\"" << L
    << "\" y=\"18\" font-size=\"14\">Planned vs measured tokens/s per GPU (published runs)</text>\n";
  for (double d = lo; d <= hi * 1.0001; d *= 10) {
    o << "<line x1=\"" << f(X(d)) << "\" y1=\"" << f(Y(lo)) << "\" x2=\"" << f(X(d)) << "\" y2=\"" << f(Y(hi))
      << "\" stroke=\"#ddd\"/><line x1=\"" << f(X(lo)) << "\" y1=\"" << f(Y(d)) << "\" x2=\"" << f(X(hi))
      << "\" y2=\"" << f(Y(d)) << "\" stroke=\"#ddd\"/>\n<text x=\"" << f(X(d)) << "\" y=\"" << f(H - B + 16)
      << "\" text-anchor=\"middle\">" << num(d, "%.0f") << "</text><text x=\"" << f(L - 6) << "\" y=\""
      << f(Y(d) + 4) << "\" text-anchor=\"end\">" << num(d, "%.0f") << "</text>\n";
  }
  auto diag = [&](double k, const char* style) {  // y = k x, clipped to the plot
    const double x0 = k < 1 ? lo / k : lo, x1 = k > 1 ? hi / k : hi;
    o << "<line x1=\"" << f(X(x0)) << "\" y1=\"" << f(Y(k * x0)) << "\" x2=\"" << f(X(x1)) << "\" y2=\""
      << f(Y(k * x1)) << "\" stroke=\"#888\" " << style << "/>\n";
  };
  diag(1.0, "stroke-width=\"1.5\"");
  diag(1.15, "stroke-dasharray=\"4 3\"");
  diag(0.85, "stroke-dasharray=\"4 3\"");
  o << "<text x=\"" << f((W - R + L) / 2) << "\" y=\"" << f(H - 18)
    << "\" text-anchor=\"middle\">measured (published)</text>\n"
    << "<text transform=\"translate(16," << f((H - B + T) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\">planned (datasheet profile)</text>\n";
  const char* colours[] = {"#9a9a9a", "#ff7f0e", "#2ca02c", "#1f77b4"};
  int i = 0;
  for (const auto& [name, s] : files) {
    const char* c = colours[i % 4];
    for (auto [m, p] : s->tps_points)
      o << "<circle cx=\"" << f(X(m)) << "\" cy=\"" << f(Y(p)) << "\" r=\"3.5\" fill=\"" << c
        << "\" fill-opacity=\"0.8\"/>\n";
    const double ly = T + 20 + 20 * i;
    o << "<circle cx=\"" << f(W - R + 16) << "\" cy=\"" << f(ly - 4) << "\" r=\"4\" fill=\"" << c
      << "\"/><text x=\"" << f(W - R + 26) << "\" y=\"" << f(ly) << "\">" << name << " ("
      << s->tps_points.size() << ")</text>\n";
    ++i;
  }
  o << "<text x=\"" << f(W - R + 10) << "\" y=\"" << f(T + 20 + 20 * i + 10)
    << "\" fill=\"#555\">solid: planned = measured</text>\n"
    << "<text x=\"" << f(W - R + 10) << "\" y=\"" << f(T + 20 + 20 * i + 26)
    << "\" fill=\"#555\">dashed: +-15%</text>\n</svg>\n";
  return o.str();
}

struct Report {
  std::string svg;
  std::string markdown;
  Summary main, more, foundry, frameworks;
};

// The same-machine section: the planner against a training run on the very GPU the profile was
// fitted from. Its rows are scripts/plan_vs_measured.py's table of a GPU check's train_reference.json
// planned on that check's profile, committed to tests/data/same_machine/ (plan_vs_measured.md beside
// its two inputs; the scripts.same_machine_rows_current test keeps it current with the planner).
// Until a GPU run has produced them the section says there are none.
std::string same_machine_md() {
  std::string md =
      "## Same machine: a training run on the GPU the profile was measured on\n\n"
      "The closed loop of a GPU check: the suite's results fitted into a profile (`gpuscale calibrate`), "
      "`scripts/train_reference.py` run on the same GPU (Llama 1B- and 3B-shaped models with random weights; "
      "full "
      "fine-tuning and LoRA, with and without activation checkpointing, at two sequence lengths; PyTorch's "
      "`max_memory_allocated` / `max_memory_reserved` and tokens/s), and the same configurations planned "
      "from that "
      "profile (`scripts/plan_vs_measured.py`).\n\n";
  const std::string rows = kData + "/same_machine/plan_vs_measured.md";
  if (std::filesystem::exists(rows)) return md + gpuscale::read_file(rows);
  return md +
         "**No same-machine rows exist yet**: no GPU run has produced them. They come from a GPU run's "
         "`train_reference.json` and `profile.json`, committed to `tests/data/same_machine/` with the table "
         "`plan_vs_measured.py` writes from them; they are never typed in.\n";
}

// The framework runs: what each new planner mode was checked against.
std::string frameworks_section_md() {
  return "## framework_runs.csv (reported, not asserted): checkpointing modes, TP / PP / CP, FP8, "
         "frameworks\n\n"
         "Published runs of torchtitan (H100 and A100) and NeMo (H100, FP8), copied with their sources into "
         "`tests/data/framework_runs.csv`, and the Korthikanti et al. Megatron-LM rows of "
         "`published_measurements.csv` "
         "(planned since tensor and pipeline parallelism are modelled; they count in that file's statistics "
         "above). "
         "Each framework's end-to-end efficiency on an architecture comes from one of these runs (marked "
         "*calibration "
         "run*, left out of every statistic): megatron on Ampere from row 80 (Megatron 22B, TP 8, full "
         "recompute), "
         "megatron on Hopper from W27 (NeMo Llama-2 7B, FP8), torchtitan on Hopper from W01 (Llama 3.1 8B "
         "FSDP, "
         "per-op checkpointing) and on Ampere from W20 (Llama 3 8B, per-op). What each mode was checked "
         "against:\n\n"
         "- per-op selective checkpointing (`selective-op`): W01-W03, W08-W10 (peak memory and tokens/s, "
         "H100), W20, "
         "W24, W25 (tokens/s, A100);\n"
         "- every-N-th-layer checkpointing (`selective-layer:2`): W19, W23 (tokens/s only: no memory "
         "published);\n"
         "- no checkpointing against per-op and per-layer on the same model: W22-W24;\n"
         "- the loss paths: torchtitan's (FP32 upcast, logits freed before backward) on every W01-W26 memory "
         "row; "
         "Megatron's vocab-parallel loss on rows 80-84 and W27-W31 (no memory published there);\n"
         "- tensor parallelism with sequence parallelism: W11, W12 (memory and tokens/s; W12 with async TP "
         "as "
         "tp_comm_overlap), W29, W31, rows 81, 83, 84; without: rows 80, 82;\n"
         "- pipeline parallelism: 1F1B W13, W15-W18, row 84; interleaved W14 (torchtitan, 2 stages per "
         "rank), "
         "W28, W29, W31, rows 82, 83 (3 virtual stages);\n"
         "- context parallelism: W04-W07 and W15-W18 (memory and tokens/s, up to 262k tokens), W30, W31;\n"
         "- FP8 (GEMMs, amax and cast traffic): W03, W04-W18 (torchao Float8), W27-W31 (Transformer "
         "Engine).\n\n"
         "Settings a source does not state are in each row's `notes` (torchtitan's 405B micro-batch count "
         "and "
         "interleaving, NeMo's checkpointing and sequence parallelism, taken from the repositories' default "
         "configs). "
         "The torchtitan H100 rows ran on 96 GB HBM2e H100s at 500 W: planned with 96 GB and the H100 SXM's "
         "HBM "
         "bandwidth scaled to 2.4 TB/s, at the H100 SXM's compute (the lower clock at 500 W is not "
         "published, so it "
         "lands in torchtitan's Hopper efficiency).\n\n";
}

const Report& report() {
  static const Report rep = [] {
    const json cfg = gpuscale::read_json_file(kData + "/validation_models.json");
    Report r;
    std::ostringstream main_md, more_md, md;
    r.main = run_file(kData + "/published_measurements.csv", cfg, main_md);
    r.more = run_file(kData + "/more_published_measurements.csv", cfg, more_md);
    std::ostringstream foundry_md, frameworks_md;
    r.foundry = run_file(kData + "/llm_foundry_a100.csv", cfg, foundry_md);
    r.frameworks = run_file(kData + "/framework_runs.csv", cfg, frameworks_md);
    md << "# Planner validation against published measurements\n\n"
       << "Generated by `tests/planner/validation_test.cpp` (regenerate: `GPUSCALE_UPDATE_DOCS=1 "
          "build/tests/planner/planner_validation_tests`); do not edit by hand. Every row whose settings are "
          "stated is planned with the *datasheet* profile of its GPU through one set of column-to-scenario "
          "rules "
          "(`tests/data/validation_models.json` holds the architectures and the frameworks' published "
          "default "
          "configs, no per-row constants). Memory is compared with the quantity the source reports: "
          "`active`/`allocated` against the planner's allocated bytes, `reserved` against allocated + "
          "allocator "
          "reserve, anything else against the full per-GPU total (with the CUDA context). Errors are planned "
          "/ "
          "measured - 1. The data and its caveats: `tests/data/published_measurements.README.md`.\n\n"
          "Time is planned kernel by kernel, then divided by the end-to-end efficiency (what a training "
          "framework reaches of the kernel-level rate). The profile's default efficiencies come from two "
          "runs in "
          "`more_published_measurements.csv`, fms-fsdp's Llama-2 7B on A100 and on H100; rows that name a "
          "framework "
          "the planner knows (`framework`: megatron, torchtitan) use that framework's own efficiency, each "
          "from one "
          "published run of it (row 80 and W27 for megatron, W01 and W20 for torchtitan). Those six runs are "
          "marked "
          "*calibration run* below and left out of every statistic; every other row is predicted, not "
          "fitted.\n\n"
       << "Targets (issue 5, on `published_measurements.csv`): peak memory within 10% median and 25% worst; "
          "tokens/s within 15% median.\n\n"
       << target_status(r.main)
       << "![Planned against measured tokens/s per GPU, every file](validation-tokens.svg)\n\n"
       << "## published_measurements.csv\n\n";
    summary_md(r.main, md);
    md << main_md.str();
    md << "## more_published_measurements.csv (reported, not asserted)\n\n"
       << "Caveats from the data's README: Qwen's Q-LoRA is GPTQ int4 in fp16 (planned as NF4 QLoRA); Qwen-1 "
          "uses "
          "MHA with a 152k vocabulary; fms-fsdp's 'selective AC' checkpoints a fraction of the layers, which "
          "the "
          "planner's Korthikanti-style `selective` does not model; HSDP is planned as FSDP over all GPUs. "
          "Known limit: "
          "micro-batches of a few hundred tokens (the Qwen rows at 256 and 512) are host-bound in eager "
          "frameworks "
          "(Python and dispatch per operator, DeepSpeed's per-parameter hooks); the planner does not model "
          "the host "
          "and over-predicts them.\n\n";
    summary_md(r.more, md);
    md << more_md.str();
    md << "## llm_foundry_a100.csv (reported, not asserted)\n\n"
       << "llm-foundry's MPT table on 8 x A100 80GB: the framework and settings of the H100 rows above, on "
          "the other "
          "architecture. No constant of the planner comes from these rows. The longest sequences (32k, 64k) "
          "and MPT-30B at "
          "8k run slower than planned on both GPUs; the attention kernel those runs used is not stated.\n\n";
    summary_md(r.foundry, md);
    md << foundry_md.str();
    md << frameworks_section_md();
    summary_md(r.frameworks, md);
    md << frameworks_md.str();
    md << same_machine_md();
    r.svg = scatter_svg({{"more published", &r.more},
                         {"llm-foundry A100", &r.foundry},
                         {"framework runs (TP/PP/CP)", &r.frameworks},
                         {"published (targets)", &r.main}});
    r.markdown = md.str();
    return r;
  }();
  return rep;
}

// docs/NAME is `text`: with GPUSCALE_UPDATE_DOCS=1 it is rewritten first, otherwise a difference
// fails with how to regenerate it.
void expect_committed_doc(const std::string& name, const std::string& text) {
  const std::string path = std::string(GPUSCALE_DOCS_DIR) + "/" + name;
  if (const char* u = std::getenv("GPUSCALE_UPDATE_DOCS"); u && std::string(u) == "1")
    gpuscale::write_file_atomic(path, text);
  std::string committed;
  try {
    committed = gpuscale::read_file(path);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  EXPECT_TRUE(committed == text)
      << "docs/" << name << " is stale: GPUSCALE_UPDATE_DOCS=1 build/tests/planner/planner_validation_tests";
}

TEST(Validation, WritesErrorTable) {
  const auto& r = report();
  gpuscale::write_file_atomic(GPUSCALE_VALIDATION_OUT, r.markdown);
  std::cout << r.markdown.substr(0, r.markdown.find("## published_measurements.csv") + 600) << "\n";
  EXPECT_GE(r.main.used, 10);
}

TEST(Validation, PeakMemoryMedianWithin10Percent) {
  const auto& s = report().main;
  ASSERT_GE(s.mem_err.size(), 5u);
  EXPECT_LE(median(absv(s.mem_err)), 0.10);
}

TEST(Validation, PeakMemoryWorstWithin25Percent) {
  const auto& s = report().main;
  ASSERT_GE(s.mem_err.size(), 5u);
  EXPECT_LE(worst(s.mem_err), 0.25);
}

TEST(Validation, TokensPerSecondMedianWithin15Percent) {
  const auto& s = report().main;
  ASSERT_GE(s.tps_err.size(), 5u);
  EXPECT_LE(median(absv(s.tps_err)), 0.15);
}

// Each built-in end-to-end efficiency is a published run's tokens/s over the kernel-level plan of
// that run; when the kernel model changes the value must be re-derived, or the run's plan drifts.
TEST(Validation, EndToEndEfficienciesReproduceTheirRuns) {
  std::map<std::string, double> cal;
  for (const Summary* s : {&report().main, &report().more, &report().foundry, &report().frameworks})
    cal.insert(s->calibration_tps_err.begin(), s->calibration_tps_err.end());
  ASSERT_EQ(cal.size(), end_to_end_references().size());
  for (const auto& ref : end_to_end_references()) {
    ASSERT_TRUE(cal.count(ref.validation_row)) << ref.validation_row;
    EXPECT_LE(std::abs(cal.at(ref.validation_row)), 0.02)
        << ref.architecture << " " << ref.framework << ": re-derive the efficiency (" << ref.efficiency
        << " x measured / planned)";
    EXPECT_GT(ref.efficiency, 0);
    EXPECT_LE(ref.efficiency, 1);
  }
}

TEST(Validation, CommittedScatterPlotIsCurrent) {
  expect_committed_doc("validation-tokens.svg", report().svg);
  EXPECT_NE(report().svg.find("<circle"), std::string::npos);
}

// docs/seed-tables.md is `gpuscale plan --seed-tables`; planner changes move its numbers.
TEST(Validation, CommittedSeedTablesAreCurrent) {
  expect_committed_doc("seed-tables.md", seed_tables_markdown());
}

TEST(Validation, CommittedDocIsCurrent) {
  expect_committed_doc("validation.md", report().markdown);
}

}  // namespace
