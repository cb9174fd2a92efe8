// Settings search over the planner (see search.hpp).
#include "gpuscale/planner/search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/error.hpp"

namespace gpuscale::planner {
namespace {

using json = nlohmann::json;

bool given(const std::vector<std::string>& fixed, const std::string& key) {
  return std::find(fixed.begin(), fixed.end(), key) != fixed.end();
}

json candidate_json(const SearchCandidate& c) {
  const auto& s = c.result.scenario;
  const auto& t = c.result.time;
  return {{"gpu", s.gpu.sku},
          {"gpu_profile", s.gpu.kind},
          {"gpus", c.gpus},
          {"gpus_per_node", s.gpus_per_node},
          {"nodes", s.nodes},
          {"sharding", to_string(s.sharding)},
          {"tensor_parallel", s.tensor_parallel},
          {"sequence_parallel", s.sequence_parallel},
          {"pipeline_parallel", s.pipeline_parallel},
          {"context_parallel", s.context_parallel},
          {"activation_checkpointing", checkpointing_name(s)},
          {"micro_batch", s.micro_batch},
          {"grad_accum", s.grad_accum},
          {"memory_per_gpu_bytes", c.result.memory.peak.total()},
          {"step_s", t.t.step},
          {"tokens_per_s_per_gpu", t.tokens_per_s_per_gpu},
          {"mfu", t.mfu},
          {"total_s", t.total_s},
          {"gpu_hours", c.result.gpu_hours},
          {"cost", c.result.cost}};
}

// A model-parallel layout: tensor x pipeline x context parallel degrees.
struct Layout {
  std::int64_t tp = 1, pp = 1, cp = 1;
};

// The layouts a search tries on n GPUs: the scenario's degrees where it gives them; otherwise TP
// within a node (2, 4, 8; dividing the heads), PP of 2, 4, 8 stages, and CP of 2, 4, 8 only from
// 32k tokens, each dividing the GPUs.
std::vector<Layout> layouts(const Scenario& s0, const std::vector<std::string>& fixed, std::int64_t n,
                            std::int64_t per_node) {
  auto options = [&](const char* key, std::int64_t given_value, std::vector<std::int64_t> v) {
    return given(fixed, key) ? std::vector<std::int64_t>{given_value} : v;
  };
  const auto tps = options("tensor_parallel", s0.tensor_parallel, {1, 2, 4, 8});
  const auto pps = options("pipeline_parallel", s0.pipeline_parallel, {1, 2, 4, 8});
  const auto cps =
      options("context_parallel", s0.context_parallel,
              s0.seq_len >= 32768 ? std::vector<std::int64_t>{1, 2, 4, 8} : std::vector<std::int64_t>{1});
  std::vector<Layout> v;
  for (auto t : tps)
    for (auto p : pps)
      for (auto c : cps) {
        const bool in_node = given(fixed, "tensor_parallel") || t <= per_node;
        if (n % (t * p * c) != 0 || !in_node || s0.model.heads % t != 0 ||
            s0.model.layers < p * s0.virtual_stages || s0.seq_len % c != 0)
          continue;
        v.push_back({t, p, c});
      }
  return v;
}

// One setting of the search on one GPU model: `base` with this GPU count, layout, micro-batch,
// checkpointing and sharding (and the grad_accum a global batch implies); nothing for a combination
// the scenario's own settings exclude (e.g. offloading without checkpointing).
std::optional<SearchCandidate> plan_candidate(const json& base, const Profile& profile, std::int64_t n,
                                              std::int64_t per_node, const Layout& layout, bool sp_given,
                                              std::int64_t mb, const std::string& ckpt,
                                              const std::string& sharding, std::int64_t seq_len,
                                              const SearchSpace& space, const std::string& where) {
  json j = base;
  j["gpus_per_node"] = std::min(n, per_node);
  j["nodes"] = std::max<std::int64_t>(1, n / per_node);
  j["micro_batch"] = mb;
  j["activation_checkpointing"] = ckpt;
  j["sharding"] = sharding;
  if (layout.tp > 1 || j.contains("tensor_parallel")) j["tensor_parallel"] = layout.tp;
  if (layout.pp > 1 || j.contains("pipeline_parallel")) j["pipeline_parallel"] = layout.pp;
  if (layout.cp > 1 || j.contains("context_parallel")) j["context_parallel"] = layout.cp;
  if (layout.tp > 1 && !sp_given) j["sequence_parallel"] = true;  // Megatron's recommendation with TP
  if (space.global_batch_tokens > 0) {
    // One micro-batch is shared by the TP, PP and CP ranks of a model copy.
    const double copies = static_cast<double>(n) / static_cast<double>(layout.tp * layout.pp * layout.cp);
    const double per_pass = static_cast<double>(mb) * seq_len * copies;
    j["grad_accum"] =
        static_cast<std::int64_t>(std::max(1.0, std::ceil(space.global_batch_tokens / per_pass)));
  }
  Scenario s;
  try {
    s = parse_scenario(j, where, nullptr, &profile);
  } catch (const InputError&) {
    return std::nullopt;
  }
  return SearchCandidate{plan(s), n};
}

}  // namespace

SearchResult search_plans(const json& base, const std::vector<std::string>& fixed, const SearchSpace& space,
                          const std::string& where) {
  // The base must plan on its own: its errors name the user's keys, not a candidate's.
  const Scenario s0 = parse_scenario(base, where);
  if (!s0.training())
    throw InputError(where, "method",
                     "--search explores training settings (micro-batch, checkpointing, sharding); "
                     "method is inference");
  if (space.global_batch_tokens < 0)
    throw InputError("command line", "--global-batch-tokens", "must be positive");
  std::vector<std::int64_t> counts = space.gpu_counts;
  if (counts.empty()) counts.push_back(s0.gpus());
  const std::int64_t per_node = given(fixed, "gpus_per_node") ? s0.gpus_per_node : 8;
  for (auto n : counts) {
    if (n <= 0)
      throw InputError("command line", "--gpu-counts",
                       "GPU counts must be positive, got " + std::to_string(n));
    if (n > per_node && n % per_node != 0)
      throw InputError(
          "command line", "--gpu-counts",
          std::to_string(n) + " GPUs is not a whole number of " + std::to_string(per_node) + "-GPU nodes");
  }

  SearchResult r;
  std::vector<std::int64_t> mbs =
      given(fixed, "micro_batch") ? std::vector<std::int64_t>{s0.micro_batch} : space.micro_batches;
  // Selective checkpointing drops only the attention scores, which FlashAttention never stores:
  // with it, selective plans exactly as none, so it is not a separate candidate.
  std::vector<std::string> ckpts =
      given(fixed, "activation_checkpointing") ? std::vector<std::string>{checkpointing_name(s0)}
      : s0.flash_attention                     ? std::vector<std::string>{"none", "selective-op", "full"}
                           : std::vector<std::string>{"none", "selective", "selective-op", "full"};
  if (!given(fixed, "micro_batch")) r.varied.push_back("micro_batch");
  if (!given(fixed, "activation_checkpointing")) r.varied.push_back("activation_checkpointing");
  if (!given(fixed, "sharding")) r.varied.push_back("sharding");
  for (const char* k : {"tensor_parallel", "pipeline_parallel", "context_parallel"}) {
    if (given(fixed, k)) continue;
    if (std::string(k) == "context_parallel" && s0.seq_len < 32768) continue;
    r.varied.push_back(k);
  }
  if (space.global_batch_tokens > 0) r.varied.push_back("grad_accum");
  if (!space.gpu_counts.empty()) r.varied.push_back("gpus");
  std::vector<GpuChoice> models = space.gpus;
  if (models.empty())
    models.push_back({base.at("gpu").get<std::string>(), -1});
  else
    r.varied.push_back("gpu");

  for (const auto& model : models) {
    json b = base;
    b["gpu"] = model.gpu;
    if (model.price_per_gpu_hour >= 0) b["price_per_gpu_hour"] = model.price_per_gpu_hour;
    // An unknown GPU or a bad profile is the user's error, named once; the profile is resolved once.
    const Profile profile = parse_scenario(b, where).gpu;
    for (const auto n : counts) {
      std::vector<SearchCandidate> found;
      for (const auto& layout : layouts(s0, fixed, n, per_node)) {
        std::vector<std::string> shardings;
        if (given(fixed, "sharding"))
          shardings = {to_string(s0.sharding)};
        else if (n / (layout.tp * layout.pp) == 1)
          shardings = {"none"};  // no data-parallel (x CP) ranks
        else
          shardings = {"none", "zero1", "zero2", "zero3"};
        for (const auto mb : mbs)
          for (const auto& ck : ckpts)
            for (const auto& sh : shardings)
              if (auto c = plan_candidate(b, profile, n, per_node, layout, given(fixed, "sequence_parallel"),
                                          mb, ck, sh, s0.seq_len, space, where)) {
                ++r.planned;
                if (c->result.fits) found.push_back(std::move(*c));
              }
      }
      std::stable_sort(found.begin(), found.end(), [](const SearchCandidate& x, const SearchCandidate& y) {
        return x.result.time.tokens_per_s_per_gpu > y.result.time.tokens_per_s_per_gpu;
      });
      for (auto& c : found) r.fitting.push_back(std::move(c));
    }
  }
  return r;
}

json search_to_json(const SearchResult& r, const SearchSpace& space) {
  json cands = json::array(), best = json::array();
  std::string last;
  for (const auto& c : r.fitting) {
    cands.push_back(candidate_json(c));
    const std::string key = c.result.scenario.gpu_arg + "/" + std::to_string(c.gpus);
    if (key != last) best.push_back(candidate_json(c)), last = key;
  }
  json j = {{"varied", r.varied},
            {"planned", r.planned},
            {"fitting", r.fitting.size()},
            {"best_per_gpu_count", best},
            {"candidates", cands}};
  if (space.global_batch_tokens > 0) j["global_batch_tokens"] = space.global_batch_tokens;
  if (!r.fitting.empty()) {
    const auto& s = r.fitting.front().result.scenario;
    j["scenario"] = scenario_to_json(s);
    for (const char* k :
         {"micro_batch", "activation_checkpointing", "sharding", "grad_accum", "gpus_per_node", "nodes",
          "tensor_parallel", "sequence_parallel", "pipeline_parallel", "pipeline_schedule", "virtual_stages",
          "context_parallel", "tp_comm_overlap"})
      j["scenario"].erase(k);
  }
  return j;
}

std::string search_to_table(const SearchResult& r, const SearchSpace& space, int per_count) {
  std::ostringstream o;
  o << "gpuscale plan --search: " << r.planned << " settings planned, " << r.fitting.size()
    << " fit; varied:";
  for (const auto& v : r.varied) o << " " << v;
  if (space.global_batch_tokens > 0) o << " (global batch " << space.global_batch_tokens << " tokens)";
  o << "\n";
  if (r.fitting.empty()) {
    o << "nothing fits: more GPUs (--gpu-counts), a smaller sequence, LoRA/QLoRA or a larger GPU\n";
    return o.str();
  }
  const auto& s = r.fitting.front().result.scenario;
  const bool several_models = std::find(r.varied.begin(), r.varied.end(), "gpu") != r.varied.end();
  bool priced = false;
  for (const auto& c : r.fitting) priced = priced || c.result.scenario.price_per_gpu_hour > 0;
  o << s.model.name << ", " << to_string(s.method) << ", " << to_string(s.precision) << ", sequence "
    << s.seq_len;
  if (!several_models) o << " on " << s.gpu.sku << " (" << s.gpu.kind << " profile)";
  if (s.tokens > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ", %.3g training tokens", s.tokens);
    o << buf;
  }
  o << (several_models ? "; fastest first per GPU model and count\n\n" : "; fastest first per GPU count\n\n");
  o << "  GPUs  TP  PP  CP  sharding  checkpointing      micro-batch  grad-accum  GB/GPU  tokens/s/GPU   MFU";
  if (s.tokens > 0) o << "   total h  GPU-hours";
  if (priced) o << "      cost";
  o << "\n";
  std::map<std::string, int> shown;
  std::string last_model;
  for (const auto& c : r.fitting) {
    const auto& cs = c.result.scenario;
    const std::string key = cs.gpu_arg + "/" + std::to_string(c.gpus);
    const bool first = shown[key]++ == 0;
    if (shown[key] > per_count) continue;
    if (several_models && cs.gpu_arg != last_model) {
      o << "  " << cs.gpu.sku << " (" << cs.gpu.kind << " profile";
      if (cs.price_per_gpu_hour > 0) o << ", " << format_fixed(cs.price_per_gpu_hour, 2) << " per GPU-hour";
      o << ")\n";
      last_model = cs.gpu_arg;
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "  %4lld  %2lld  %2lld  %2lld  %-8s  %-17s  %11lld  %10lld  %6.1f  %12.0f  %4.0f%%",
                  static_cast<long long>(c.gpus), static_cast<long long>(cs.tensor_parallel),
                  static_cast<long long>(cs.pipeline_parallel), static_cast<long long>(cs.context_parallel),
                  to_string(cs.sharding).c_str(), checkpointing_name(cs).c_str(),
                  static_cast<long long>(cs.micro_batch), static_cast<long long>(cs.grad_accum),
                  c.result.memory.peak.total() / 1e9, c.result.time.tokens_per_s_per_gpu,
                  100 * c.result.time.mfu);
    o << line;
    if (s.tokens > 0) {
      std::snprintf(line, sizeof line, "  %8.1f  %9.1f", c.result.time.total_s / 3600, c.result.gpu_hours);
      o << line;
    }
    if (priced) {
      std::snprintf(line, sizeof line, "  %8.0f", c.result.cost);
      o << line;
    }
    o << (first ? "  <- best\n" : "\n");
  }
  o << "\nEach row is a full plan: `gpuscale plan` with these settings prints its memory and time "
       "breakdown.\n";
  return o.str();
}

}  // namespace gpuscale::planner
