// `gpuscale plan` and `gpuscale calibrate`: argument parsing, input errors (exit 2, nothing
// written), output through write_file_atomic.
#include "planner_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "gpuscale/core/args.hpp"
#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/units.hpp"
#include "gpuscale/planner/calibrate.hpp"
#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/plan.hpp"
#include "gpuscale/planner/search.hpp"
#include "gpuscale/planner/seed_tables.hpp"

namespace gpuscale {
namespace {

using json = nlohmann::json;
using planner::InputError;

const char* kPlanDescription =
    R"(       gpuscale plan [--scenario FILE] [--KEY VALUE ...] [--format table|json] [-o FILE]
       gpuscale plan ... --search [--gpu-counts 8,16,32] [--global-batch-tokens N]
                             [--gpu-models SKU[=PRICE],SKU[=PRICE],...]
       gpuscale plan --seed-tables [-o FILE]

Memory, time and cost of fine-tuning (full, LoRA, QLoRA) or serving a model on a GPU profile.
Flags override the scenario file's keys.)";

const char* kPlanFooter = R"(scenario keys (--flag form uses dashes: --seq-len 4096):
  model                     preset (llama-2-7b/13b/70b, llama-3-8b, llama-3.1-8b/70b/405b, llama-3.2-1b/3b,
                            llama-3.3-70b, mistral-7b, qwen2.5-7b/14b/32b/72b, mpt-7b/30b), a path to a
                            Hugging Face config.json (llama, mistral, qwen2, mpt), or (in a scenario file)
                            an inline object with hidden_size, intermediate_size, num_hidden_layers,
                            num_attention_heads, num_key_value_heads, vocab_size, tie_word_embeddings,
                            mlp: gated|plain
  method                    full | lora | qlora | inference                       (default full)
  lora_rank                 adapter rank                                           (default 16)
  lora_targets              comma-separated module names or all-linear           (default all-linear)
  precision                 amp-bf16 | bf16 | fp8; inference also fp16 | int8 | nf4 (default amp-bf16)
  optimizer                 adamw | adamw-8bit | paged-adamw-8bit | sgd           (default adamw)
  seq_len, micro_batch, grad_accum                                                  (2048, 1, 1)
  gpu                       SKU key (h100-sxm-80gb), nvidia-smi name, or a profile file (required)
  gpus_per_node, nodes                                                              (1, 1)
  sharding                  none | zero1 | zero2 | zero3 (fsdp = zero3)           (default none)
  activation_checkpointing  none | selective | full | selective-op | selective-layer:N (default none)
                            selective: Korthikanti's (attention scores recomputed; nothing with
                            FlashAttention); selective-op: torchtitan's per-op policy (every other
                            matmul's and attention's outputs saved, the rest recomputed);
                            selective-layer:N: every N-th layer fully checkpointed
  flash_attention           true | false                                          (default true)
  tokens                    training (or generated) tokens, for total time and cost
  price_per_gpu_hour        for cost
  loss_chunks               chunked cross-entropy chunks                          (default 1)
  compile                   torch.compile fusion                                  (default false)
  optimizer_in_backward     optimizer step fused into backward                    (default false)
  activation_offload        checkpointed activations kept on the host             (default false)
  fused_loss                a fused cross-entropy kernel (flash-attn, Liger): BF16 logits and
                            gradient only, FP32 math inside the kernel            (default false)
  end_to_end_efficiency     training: fraction of the kernel-level rate the framework reaches, in
                            (0, 1] (default: the framework's, else the profile's, each from a published
                            end-to-end run; calibrate --end-to-end derives it from your own run)
  framework                 megatron (nemo, megatron-lm, megatron-bridge) | torchtitan | fsdp |
                            deepspeed | hf | llm-foundry | unsloth: its loss path, fused kernels, FP8
                            casts, TP overlap and end-to-end efficiency; other names plan as none
  tensor_parallel           TP degree: linears split column/row-wise, heads and vocabulary split (1)
  sequence_parallel         with TP: norm/residual activations split along the sequence (false)
  tp_comm_overlap           TP collectives hidden behind the GEMMs (TE userbuffers, async TP) (false)
  pipeline_parallel         PP stages of consecutive layers; grad_accum = micro-batches per step (1)
  pipeline_schedule         1f1b | interleaved                                    (default 1f1b)
  virtual_stages            layer chunks per GPU with the interleaved schedule    (default 1)
  context_parallel          CP degree: the sequence split, ring attention         (default 1)
  shard_group               HSDP: shard over this many data-parallel ranks, replicate across the rest
  (data parallelism is what remains: gpus / (TP x PP x CP); sharding applies over it and CP)

--search plans every combination of the settings you did not give (micro-batch 1-64, activation
checkpointing, sharding, and tensor parallelism within a node, pipeline parallelism and, at 32k
tokens and more, context parallelism), for each of --gpu-counts (default: the scenario's), keeps those that fit
and ranks them fastest first: how many GPUs, with which settings, for how long. With
--global-batch-tokens every candidate trains on that batch (grad_accum follows); otherwise
grad_accum stays as given. --gpu-models compares GPU models on the same job (SKU keys, driver names
or profile files, each with an optional price per GPU-hour): this generation against the next.

output: --format table (default) or json with memory.per_gpu_bytes, memory.breakdown.*_bytes, fits,
min_gpus_to_fit, time.step_s, time.tokens_per_s_per_gpu, time.mfu, time.total_s, cost.gpu_hours,
cost.total and the assumptions. -o FILE writes it atomically instead of printing.

exit status: 0 the plan was printed or written; 2 bad input (a flag, the scenario, the profile:
named, nothing written); 1 anything else (e.g. the output could not be written).

examples:
  gpuscale plan --model llama-3.1-8b --method qlora --gpu "NVIDIA H100 80GB HBM3" --seq-len 4096
  gpuscale plan --model llama-2-70b --method full --gpu h100-sxm-80gb --gpus-per-node 8 --nodes 2 \
                --sharding zero3 --activation-checkpointing full --tokens 1e9 --price-per-gpu-hour 2.5
  gpuscale plan --scenario finetune.json --format json -o plan.json
  gpuscale plan --model llama-3.1-70b --method lora --gpu h100-sxm-80gb --seq-len 4096 --tokens 1e9 \
                --search --gpu-counts 8,16,32 --global-batch-tokens 1048576
  gpuscale plan --model llama-3.1-8b --method full --seq-len 4096 --tokens 2e9 --search --gpu-counts 8 \
                --gpu-models a100-sxm-80gb=1.8,h100-sxm-80gb=2.5,h200-sxm-141gb=3.5
  gpuscale plan --model llama-3.1-70b --gpu h100-sxm-80gb --gpus-per-node 8 --nodes 8 --seq-len 8192 \
                --framework megatron --precision fp8 --tensor-parallel 4 --sequence-parallel \
                --pipeline-parallel 4 --virtual-stages 5 --grad-accum 32 --sharding zero1)";

const char* kCalibrateDescription =
    R"(       gpuscale calibrate RESULTS.json... -o PROFILE.json [--export llm-analysis FILE]
                          [--end-to-end SCENARIO.json TOKENS_PER_S]
       gpuscale calibrate --builtin SKU -o PROFILE.json [--export llm-analysis FILE] [--end-to-end ...]

Fits results documents of one GPU SKU into a GPU profile (results/schema/profile.schema.json):
GEMM model per precision (fit error and held-out check), HBM bandwidth per access pattern with its
small-size latency, alpha-beta per collective and rank count, PCIe bandwidth, usable memory. Every
coefficient names the run ids it came from; what the documents do not measure keeps the SKU's
datasheet value and its citation. --builtin writes the datasheet profile of a spec-table SKU.)";

const char* kCalibrateFooter =
    R"(--export llm-analysis FILE also writes llm-analysis's GPU-config JSON (gpu_configs/*.json format) and
FILE's efficiency companion (FILE with .efficiency.json: flops_efficiency, hbm_memory_efficiency,
intra_node_memory_efficiency, inter_node_memory_efficiency, the values llm-analysis takes as
analysis arguments); the efficiency flags are also printed.

--end-to-end SCENARIO.json TOKENS_PER_S: a training run you measured on this GPU (its settings as a
plan scenario, its tokens/s per GPU). The profile's end_to_end_efficiency becomes the value at which
the plan of that scenario gives your rate, marked measured; plans on the profile then carry your
framework's overhead instead of the built-in published run's. When the scenario names a framework
(framework: megatron, torchtitan, ...) the value is stored for that framework only (training.frameworks
in the profile) and used by its plans; run --end-to-end once per framework you use.

exit status: 0 the profile (and export) were written; 2 bad input (named, nothing written);
1 anything else (e.g. a file could not be written).

example: gpuscale calibrate h200-a.json h200-b.json -o h200.profile.json
         gpuscale calibrate h200-a.json --end-to-end my-run.json 5210 -o h200.profile.json)";

// Keys whose flag value is numeric.
bool int_key(const std::string& k) {
  return k == "lora_rank" || k == "seq_len" || k == "micro_batch" || k == "grad_accum" ||
         k == "gpus_per_node" || k == "nodes" || k == "loss_chunks" || k == "tensor_parallel" ||
         k == "pipeline_parallel" || k == "virtual_stages" || k == "context_parallel" || k == "shard_group";
}
bool float_key(const std::string& k) {
  return k == "tokens" || k == "price_per_gpu_hour" || k == "end_to_end_efficiency";
}
bool bool_key(const std::string& k) {
  return k == "flash_attention" || k == "compile" || k == "optimizer_in_backward" ||
         k == "activation_offload" || k == "fused_loss" || k == "sequence_parallel" || k == "tp_comm_overlap";
}

json flag_value(const std::string& key, const std::string& v, const std::string& flag) {
  if (int_key(key)) {
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (...) {
      used = 0;
    }
    if (used != v.size() || v.empty())
      throw InputError("command line", flag, "expected an integer, got '" + v + "'");
    return x;
  }
  if (float_key(key)) {
    const auto x = parse_finite(v);
    if (!x) throw InputError("command line", flag, "expected a number, got '" + v + "'");
    return *x;
  }
  if (bool_key(key)) {
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw InputError("command line", flag, "expected true or false, got '" + v + "'");
  }
  if (key == "lora_targets") return cli::split_commas(v);
  return v;
}

// A plan is never printed with NaN or infinity in it: inputs that lead there are named instead.
void refuse_non_finite(const json& result, const std::string& where) {
  if (const auto bad = first_non_finite(result); !bad.empty())
    throw InputError(
        where, bad,
        "the plan is not a finite number here: the scenario or the profile holds a value it cannot use");
}

int fail_input(std::ostream& err, const std::string& cmd, const std::exception& e) {
  err << "gpuscale " << cmd << ": " << e.what() << "\n";
  return 2;
}

}  // namespace

int plan_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string scenario_path, format = "table", output;
  bool seed = false, search = false;
  planner::SearchSpace space;
  json flags = json::object();
  std::map<std::string, std::string> origins;
  auto app = cli::make_app("gpuscale plan", kPlanDescription, kPlanFooter);
  std::string format_arg, gpu_counts, gpu_models, global_batch_tokens;
  app->add_option("--scenario", scenario_path, "a scenario file (JSON): its keys, overridden by the flags")
      ->type_name("FILE");
  app->add_option("--format", format_arg, "table (default) or json")->type_name("table|json");
  app->add_option("-o,--output", output, "write it there (atomically) instead of printing")
      ->type_name("FILE");
  app->add_flag("--search", search, "plan every combination of the settings not given (see below)");
  app->add_option("--gpu-counts", gpu_counts,
                  "with --search: the GPU counts to plan for (default: the scenario's)")
      ->type_name("8,16,32");
  app->add_option("--gpu-models", gpu_models,
                  "with --search: GPU models to compare, each with an optional price")
      ->type_name("SKU[=PRICE],...");
  app->add_option("--global-batch-tokens", global_batch_tokens,
                  "with --search: every candidate trains on this batch (grad_accum follows)")
      ->type_name("N");
  app->add_flag("--seed-tables", seed, "print the seed tables (markdown)");
  bool no_flash = false;
  app->add_flag("--no-flash-attention", no_flash, "flash_attention false");
  // Every scenario key as --dashed-key and --underscored_key; the values are converted below
  // (flag_value), so their errors name the flag as before.
  const auto& keys = planner::scenario_keys();
  std::vector<std::string> key_values(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    std::string dashed = keys[k];
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    const std::string names = "--" + dashed + (dashed == keys[k] ? "" : ",--" + keys[k]);
    auto* o = app->add_option(names, key_values[k], "scenario key " + keys[k] + " (see below)")
                  ->group("Scenario keys");
    if (bool_key(keys[k]))
      o->expected(0, 1)->type_name("[true|false]");
    else
      o->type_name("VALUE");
  }
  if (args.empty()) {
    err << app->help();
    return 2;
  }
  if (const int code = cli::parse_args(*app, args, out, err); code >= 0) return code;
  try {
    if (app->count("--format")) {
      format = format_arg;
      if (format != "json" && format != "table")
        throw InputError("command line", "--format", "expected json or table, got '" + format + "'");
    }
    if (app->count("--gpu-counts")) {
      const std::string a = "--gpu-counts", v = gpu_counts;
      for (const auto& item : cli::split_commas(v)) {
        const auto n = flag_value("gpus_per_node", item, a).get<std::int64_t>();  // an integer flag
        if (n <= 0)
          throw InputError("command line", "--gpu-counts",
                           "expected positive integers like 8,16,32, got '" + v + "'");
        space.gpu_counts.push_back(n);
      }
    }
    if (app->count("--gpu-models")) {
      const std::string a = "--gpu-models", v = gpu_models;
      for (const std::string& text : cli::split_commas(v)) {
        planner::GpuChoice g;
        const auto eq = text.rfind('=');
        g.gpu = eq == std::string::npos ? text : text.substr(0, eq);
        if (eq != std::string::npos) {
          const double price = flag_value("price_per_gpu_hour", text.substr(eq + 1), a).get<double>();
          if (!(price >= 0))
            throw InputError("command line", a, "a price must not be negative, got '" + text + "'");
          g.price_per_gpu_hour = price;
        }
        if (g.gpu.empty()) throw InputError("command line", a, "expected GPU[=PRICE],..., got '" + v + "'");
        space.gpus.push_back(g);
      }
    }
    if (app->count("--global-batch-tokens")) {
      const double v = flag_value("tokens", global_batch_tokens, "--global-batch-tokens").get<double>();
      if (!(v >= 1)) throw InputError("command line", "--global-batch-tokens", "must be at least 1");
      space.global_batch_tokens = static_cast<std::int64_t>(v);
    }
    if (no_flash) {
      flags["flash_attention"] = false;
      origins["flash_attention"] = "command line (--no-flash-attention)";
    }
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const auto* o = app->get_option("--" + keys[k]);
      if (!o->count()) continue;
      const std::string flag = o->get_name();  // --dashed-key
      // A true/false key given alone (--sequence-parallel) is true.
      const std::string v = bool_key(keys[k]) && key_values[k].empty() ? "true" : key_values[k];
      flags[keys[k]] = flag_value(keys[k], v, flag);
      origins[keys[k]] = "command line (" + flag + ")";
    }
    std::string text;
    if (seed) {
      text = planner::seed_tables_markdown();
    } else {
      json scenario = json::object();
      std::string where = "command line";
      if (!scenario_path.empty()) {
        try {
          scenario = read_json_file(scenario_path);
        } catch (const std::exception& e) {
          throw InputError(scenario_path, "", e.what());
        }
        if (!scenario.is_object()) throw InputError(scenario_path, "", "a scenario must be a JSON object");
        where = scenario_path;
      }
      for (const auto& [k, v] : flags.items()) scenario[k] = v;
      if (!search && (!space.gpu_counts.empty() || space.global_batch_tokens > 0 || !space.gpus.empty()))
        throw InputError("command line",
                         !space.gpus.empty()        ? "--gpu-models"
                         : space.gpu_counts.empty() ? "--global-batch-tokens"
                                                    : "--gpu-counts",
                         "only with --search");
      if (search && !space.gpus.empty() && !scenario.contains("gpu"))
        scenario["gpu"] = space.gpus.front().gpu;
      if (search) {
        std::vector<std::string> fixed;
        for (const auto& [k, v] : scenario.items()) fixed.push_back(k);
        const auto r = planner::search_plans(scenario, fixed, space, where);
        const json j = planner::search_to_json(r, space);
        refuse_non_finite(j, where);
        text = format == "json" ? j.dump(2) + "\n" : planner::search_to_table(r, space);
      } else {
        const auto s = planner::parse_scenario(scenario, where, &origins);
        const auto result = planner::plan(s);
        const json j = planner::plan_to_json(result);
        refuse_non_finite(j, where);
        text = format == "json" ? j.dump(2) + "\n" : planner::plan_to_table(result);
      }
    }
    if (output.empty())
      out << text;
    else
      write_file_atomic(output, text);
    return 0;
  } catch (const InputError& e) {
    return fail_input(err, "plan", e);
  } catch (const std::exception& e) {
    err << "gpuscale plan: " << e.what() << "\n";
    return 1;
  }
}

namespace {

// Writes every (path, text) or none: each goes to a staged file beside its path first, and only
// when all are staged are they renamed into place. A failure removes what was staged.
void write_all_or_nothing(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> staged;
  try {
    for (const auto& [path, text] : files) {
      write_file_atomic(path + ".gpuscale-staged", text);
      staged.push_back(path + ".gpuscale-staged");
    }
  } catch (...) {
    for (const auto& f : staged) std::remove(f.c_str());
    throw;
  }
  for (std::size_t i = 0; i < files.size(); ++i)
    if (std::rename(staged[i].c_str(), files[i].first.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      for (std::size_t k = i; k < staged.size(); ++k) std::remove(staged[k].c_str());
      throw std::runtime_error("cannot write " + files[i].first + ": " + why);
    }
}

}  // namespace

int calibrate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> inputs;
  std::string output, export_format, export_path, builtin, e2e_scenario;
  double e2e_tokens_per_s = 0;
  auto app = cli::make_app("gpuscale calibrate", kCalibrateDescription, kCalibrateFooter);
  std::vector<std::string> export_arg, e2e_arg;
  app->add_option("RESULTS.json", inputs, "results documents of one GPU SKU")
      ->type_name("")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("-o,--output", output, "the profile to write")->type_name("PROFILE.json");
  app->add_option("--export", export_arg, "also write llm-analysis's GPU config there (see below)")
      ->type_name("llm-analysis FILE")
      ->expected(2);
  app->add_option("--builtin", builtin, "the datasheet profile of a spec-table SKU instead of a fit")
      ->type_name("SKU");
  app->add_option("--end-to-end", e2e_arg, "a training run you measured on this GPU (see below)")
      ->type_name("SCENARIO.json TOKENS_PER_S")
      ->expected(2);
  if (const int code = cli::parse_args(*app, args, out, err); code >= 0) return code;
  try {
    if (app->count("--export") && export_arg.size() != 2)
      throw InputError("command line", "--export", "needs llm-analysis and a FILE");
    if (app->count("--end-to-end") && e2e_arg.size() != 2)
      throw InputError("command line", "--end-to-end", "needs SCENARIO.json and TOKENS_PER_S");
    if (export_arg.size() == 2) {
      export_format = export_arg[0];
      if (export_format != "llm-analysis")
        throw InputError("command line", "--export",
                         "only 'llm-analysis' is supported, got '" + export_format + "'");
      export_path = export_arg[1];
    }
    if (e2e_arg.size() == 2) {
      e2e_scenario = e2e_arg[0];
      const std::string v = e2e_arg[1];
      e2e_tokens_per_s = flag_value("tokens", v, "--end-to-end").get<double>();  // a number flag
      if (!(e2e_tokens_per_s > 0))
        throw InputError("command line", "--end-to-end",
                         "expected SCENARIO.json and a positive tokens/s, got '" + v + "'");
    }
    if (inputs.empty() && builtin.empty()) {
      err << app->help();
      return 2;
    }
    if (!inputs.empty() && !builtin.empty())
      throw InputError("command line", "--builtin",
                       "give either results documents or --builtin SKU, not both");
    if (output.empty() && export_path.empty())
      throw InputError("command line", "-o", "missing: where to write the profile");

    planner::Profile profile;
    if (!builtin.empty()) {
      profile = planner::resolve_gpu(builtin, "command line", "--builtin");
    } else {
      std::vector<planner::ResultsInput> docs;
      for (const auto& path : inputs) {
        try {
          docs.push_back({path, read_json_file(path)});
        } catch (const std::exception& e) {
          throw InputError(path, "", e.what());
        }
      }
      profile = planner::calibrate(docs);
    }
    if (!e2e_scenario.empty()) {
      json sc;
      try {
        sc = read_json_file(e2e_scenario);
      } catch (const std::exception& e) {
        throw InputError(e2e_scenario, "", e.what());
      }
      planner::set_end_to_end_from_run(profile, sc, e2e_tokens_per_s, e2e_scenario);
    }
    // Everything is computed and checked before anything is written, and then all of it is
    // written or none: a profile is never left behind by a failed export.
    const json profile_json = planner::profile_to_json(profile);
    const std::string out_name = output.empty() ? std::string("the profile") : output;
    if (const auto bad = first_non_finite(profile_json); !bad.empty())
      throw InputError(out_name, bad,
                       "the fit is not a finite number: the results hold values it cannot use");
    if (const auto problems = validate_json(planner::profile_schema(), profile_json); !problems.empty())
      throw InputError(out_name, "", "the fitted profile does not match its schema: " + problems.front());
    std::vector<std::pair<std::string, std::string>> files;
    if (!output.empty()) files.push_back({output, profile_json.dump(2) + "\n"});
    json eff;
    std::string eff_path = export_path;
    if (!export_path.empty()) {
      const json la = planner::to_llm_analysis(profile, &eff);
      if (eff_path.size() > 5 && eff_path.substr(eff_path.size() - 5) == ".json")
        eff_path.resize(eff_path.size() - 5);
      eff_path += ".efficiency.json";
      files.push_back({export_path, la.dump(4) + "\n"});
      files.push_back({eff_path, eff.dump(4) + "\n"});
    }
    namespace fs = std::filesystem;
    for (std::size_t i = 0; i < files.size(); ++i)
      for (std::size_t k = i + 1; k < files.size(); ++k)
        if (fs::weakly_canonical(files[i].first) == fs::weakly_canonical(files[k].first))
          throw InputError(
              "command line", "--export",
              files[k].first + " is also where " + files[i].first + " goes: give them different paths");
    write_all_or_nothing(files);
    if (!export_path.empty()) {
      out << "llm-analysis flags:";
      for (const auto& [k, v] : eff.items()) out << " --" << k << " " << v.get<double>();
      out << "\n";
    }
    if (!output.empty()) {
      int measured = 0;
      for (const auto& [n, g] : profile.gemm) measured += g.source.kind == "measured";
      out << "wrote " << output << ": " << profile.sku << " (" << profile.kind << "), " << measured
          << " measured GEMM model(s)";
      for (const auto& [n, g] : profile.gemm)
        if (g.source.kind == "measured") {
          char buf[160];
          std::snprintf(buf, sizeof buf, "; %s fit rms %.1f%%, held-out %.1f%%", n.c_str(),
                        100 * g.fit.rms_rel_error, 100 * g.fit.holdout_rms_rel_error);
          out << buf;
        }
      char e2e[96];
      std::snprintf(e2e, sizeof e2e, "; end-to-end efficiency %.3f (%s)", profile.end_to_end_efficiency,
                    profile.end_to_end_source.kind.c_str());
      out << e2e;
      for (const auto& [name, f] : profile.framework_efficiency) {
        std::snprintf(e2e, sizeof e2e, "; %s %.3f (%s)", name.c_str(), f.efficiency, f.source.kind.c_str());
        out << e2e;
      }
      out << "\n";
    }
    return 0;
  } catch (const InputError& e) {
    return fail_input(err, "calibrate", e);
  } catch (const std::exception& e) {
    err << "gpuscale calibrate: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace gpuscale
