// plan_command and calibrate_command in-process: outputs, exit codes, errors naming file and field,
// nothing written on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gpuscale/core/file_io.hpp"
#include "gpuscale/core/schema_validator.hpp"
#include "gpuscale/core/spec_table.hpp"
#include "gpuscale/planner/profile.hpp"
#include "gpuscale/planner/synthetic_results.hpp"
#include "planner_commands.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Out {
  int code;
  std::string out, err;
};

Out plan(std::vector<std::string> a) {
  std::ostringstream o, e;
  const int c = gpuscale::plan_command(a, o, e);
  return {c, o.str(), e.str()};
}
Out calibrate(std::vector<std::string> a) {
  std::ostringstream o, e;
  const int c = gpuscale::calibrate_command(a, o, e);
  return {c, o.str(), e.str()};
}

fs::path tmp(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("gpuscale-planner-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

}  // namespace

TEST(PlanCommand, JsonHasTheIssueKeys) {
  const auto r =
      plan({"--model", "llama-3.1-8b", "--method", "qlora", "--gpu", "NVIDIA H100 80GB HBM3", "--seq-len",
            "4096", "--tokens", "1e8", "--price-per-gpu-hour", "3", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json::parse(r.out);
  for (const char* k : {"weights_bytes", "gradients_bytes", "optimizer_bytes", "master_weights_bytes",
                        "adapters_bytes", "activations_bytes", "logits_loss_bytes",
                        "communication_buffers_bytes", "cuda_context_bytes", "allocator_reserve_bytes"})
    EXPECT_TRUE(j["memory"]["breakdown"].contains(k)) << k;
  EXPECT_TRUE(j["memory"]["per_gpu_bytes"].is_number());
  EXPECT_TRUE(j["fits"].is_boolean());
  EXPECT_EQ(j["min_gpus_to_fit"], 1);
  for (const char* k : {"step_s", "tokens_per_s_per_gpu", "mfu", "total_s"})
    EXPECT_TRUE(j["time"][k].is_number()) << k;
  EXPECT_GT(j["cost"]["gpu_hours"].get<double>(), 0);
  EXPECT_NEAR(j["cost"]["total"].get<double>(), 3 * j["cost"]["gpu_hours"].get<double>(), 1e-9);
  EXPECT_GT(j["assumptions"].size(), 3u);
  EXPECT_EQ(j["scenario"]["gpu"], "h100-sxm-80gb");
}

TEST(PlanCommand, ScenarioFileWithInlineModelAndFlagOverride) {
  const auto sc = tmp("scenario.json");
  write(sc, R"({"model": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                "tie_word_embeddings": true, "mlp": "gated"},
               "method": "lora", "lora_rank": 16, "lora_targets": ["q_proj", "v_proj"], "precision": "amp-bf16",
               "optimizer": "adamw", "seq_len": 2048, "micro_batch": 4, "grad_accum": 2, "gpu": "a100-sxm-80gb",
               "gpus_per_node": 1, "nodes": 1, "sharding": "none", "activation_checkpointing": "full",
               "flash_attention": true, "tokens": 1e7, "price_per_gpu_hour": 1.5})");
  const auto r = plan({"--scenario", sc.string(), "--format", "json", "--seq-len", "1024"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json::parse(r.out);
  EXPECT_EQ(j["model"]["parameters"], 1'235'814'400);
  EXPECT_EQ(j["scenario"]["seq_len"], 1024);
  const auto table = plan({"--scenario", sc.string()});
  EXPECT_EQ(table.code, 0);
  EXPECT_NE(table.out.find("memory per GPU"), std::string::npos);
}

TEST(PlanCommand, BadInputExits2NamingFileAndFieldAndWritesNothing) {
  const auto out = tmp("plan-out.json");
  fs::remove(out);
  const auto sc = tmp("bad.json");
  write(sc, R"({"model": "llama-2-7b", "gpu": "h100-sxm-80gb", "seq_len": -5})");
  auto r = plan({"--scenario", sc.string(), "-o", out.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(sc.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("seq_len"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));

  write(sc, R"({"model": "llama-2-7b", "gpu": )");
  r = plan({"--scenario", sc.string(), "-o", out.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("malformed JSON"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));

  r = plan({"--model", "llama-9b", "--gpu", "h100-sxm-80gb", "-o", out.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("model"), std::string::npos);
  r = plan({"--model", "llama-2-7b", "--gpu", "h100-sxm-80gb", "--micro-batch", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--micro-batch"), std::string::npos) << r.err;
  r = plan({"--model", "llama-2-7b", "--gpu", "h100-sxm-80gb", "--method", "lora", "--lora-rank", "5000"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("lora_rank"), std::string::npos) << r.err;
  r = plan({"--model", "llama-2-7b", "--gpu", "h100-sxm-80gb", "--end-to-end-efficiency", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("end_to_end_efficiency"), std::string::npos) << r.err;
  r = plan({"--model", "llama-2-7b", "--gpu", "gtx-480"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("gpu"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
}

TEST(PlanCommand, ProfileOfAnotherSchemaVersionIsRejected) {
  const auto prof = tmp("old.profile.json");
  ASSERT_EQ(calibrate({"--builtin", "h100-sxm-80gb", "-o", prof.string()}).code, 0);
  auto j = gpuscale::read_json_file(prof.string());
  j["schema_version"] = 7;
  write(prof, j.dump());
  const auto r = plan({"--model", "llama-2-7b", "--gpu", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(prof.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("schema_version"), std::string::npos) << r.err;
}

TEST(PlanCommand, HelpAndSeedTables) {
  const auto h = plan({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--scenario"), std::string::npos);
  EXPECT_EQ(plan({}).code, 2);
  const auto s = plan({"--seed-tables"});
  EXPECT_EQ(s.code, 0);
  EXPECT_NE(s.out.find("70B"), std::string::npos);
}

TEST(CalibrateCommand, WritesProfileAndLlmAnalysisExport) {
  const auto in = tmp("run.json");
  write(in, gpuscale::planner::synthetic::results_doc(gpuscale::planner::synthetic::default_truth(),
                                                      "20250101T000000Z-aaaaaaaa")
                .dump());
  const auto prof = tmp("h100.profile.json");
  const auto la = tmp("h100-llm-analysis.json");
  const auto r = calibrate({in.string(), "-o", prof.string(), "--export", "llm-analysis", la.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto p = gpuscale::read_json_file(prof.string());
  EXPECT_EQ(p["kind"], "measured");
  EXPECT_EQ(p["gemm"]["bf16"]["source"]["kind"], "measured");
  const auto l = gpuscale::read_json_file(la.string());
  for (const char* k :
       {"name", "mem_per_GPU_in_GB", "hbm_bandwidth_in_GB_per_sec", "intra_node_bandwidth_in_GB_per_sec",
        "intra_node_min_message_latency", "peak_fp16_TFLOPS", "inter_node_bandwidth_in_GB_per_sec"})
    EXPECT_TRUE(l.contains(k)) << k;
  const auto e = gpuscale::read_json_file((la.parent_path() / "h100-llm-analysis.efficiency.json").string());
  EXPECT_GT(e["flops_efficiency"].get<double>(), 0.5);
  EXPECT_NE(r.out.find("--flops_efficiency"), std::string::npos);
  // The measured profile plans.
  EXPECT_EQ(plan({"--model", "llama-2-7b", "--gpu", prof.string()}).code, 0);
}

TEST(CalibrateCommand, EndToEndRunSetsAMeasuredEfficiencyThatReproducesIt) {
  const auto in = tmp("e2e-run.json");
  write(in, gpuscale::planner::synthetic::results_doc(gpuscale::planner::synthetic::default_truth(),
                                                      "20250101T000000Z-aaaaaaaa")
                .dump());
  const auto sc = tmp("e2e-scenario.json");
  const json scenario = {{"model", "llama-3.1-8b"},
                         {"gpu", "h100-sxm-80gb"},
                         {"seq_len", 4096},
                         {"micro_batch", 2},
                         {"gpus_per_node", 8},
                         {"sharding", "zero3"},
                         {"activation_checkpointing", "full"}};
  write(sc, scenario.dump());
  const auto prof = tmp("e2e.profile.json");
  auto r = calibrate({in.string(), "--end-to-end", sc.string(), "4000", "-o", prof.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("end-to-end efficiency"), std::string::npos) << r.out;
  const auto p = gpuscale::read_json_file(prof.string());
  EXPECT_EQ(p["training"]["source"]["kind"], "measured");
  EXPECT_NE(p["training"]["source"]["citation"].get<std::string>().find("4000.0 tokens/s"),
            std::string::npos);
  // Planning the same run on the profile gives back the measured rate.
  json again = scenario;
  again["gpu"] = prof.string();
  auto o = plan({"--scenario",
                 [&] {
                   auto f = tmp("e2e-again.json");
                   write(f, again.dump());
                   return f.string();
                 }(),
                 "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NEAR(json::parse(o.out)["time"]["tokens_per_s_per_gpu"].get<double>(), 4000, 1e-6 * 4000);

  // Faster than the kernel-level plan, another GPU, or not training: exit 2 naming the field, no file.
  fs::remove(prof);
  r = calibrate({in.string(), "--end-to-end", sc.string(), "1e9", "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tokens_per_s_per_gpu"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(prof));
  json other = scenario;
  other["gpu"] = "a100-sxm-80gb";
  write(sc, other.dump());
  r = calibrate({in.string(), "--end-to-end", sc.string(), "4000", "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("gpu"), std::string::npos) << r.err;
  other = scenario;
  other["method"] = "inference";
  write(sc, other.dump());
  r = calibrate({in.string(), "--end-to-end", sc.string(), "4000", "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("method"), std::string::npos) << r.err;
  r = calibrate({in.string(), "--end-to-end", sc.string(), "fast", "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--end-to-end"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(prof));
}

// A measured run that names its framework is stored for that framework: its plans reproduce the run,
// plans of no framework keep the profile's value.
TEST(CalibrateCommand, EndToEndRunOfAFrameworkIsStoredForThatFramework) {
  const auto sc = tmp("e2e-fw-scenario.json");
  const json scenario = {{"model", "llama-3.1-8b"},   {"gpu", "h100-sxm-80gb"},  {"seq_len", 4096},
                         {"micro_batch", 1},          {"gpus_per_node", 8},      {"grad_accum", 8},
                         {"sharding", "zero1"},       {"framework", "megatron"}, {"tensor_parallel", 2},
                         {"sequence_parallel", true}, {"pipeline_parallel", 2}};
  write(sc, scenario.dump());
  const auto prof = tmp("e2e-fw.profile.json");
  auto r =
      calibrate({"--builtin", "h100-sxm-80gb", "--end-to-end", sc.string(), "3000", "-o", prof.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("megatron"), std::string::npos) << r.out;
  const auto p = gpuscale::read_json_file(prof.string());
  EXPECT_TRUE(gpuscale::validate_json(gpuscale::planner::profile_schema(), p).empty());
  EXPECT_EQ(p["training"]["frameworks"]["megatron"]["source"]["kind"], "measured");
  EXPECT_EQ(p["training"]["source"]["kind"], "datasheet");  // the profile's own value is untouched
  auto plan_tps = [&](json j) {
    j["gpu"] = prof.string();
    const auto f = tmp("e2e-fw-again.json");
    write(f, j.dump());
    auto o = plan({"--scenario", f.string(), "--format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    return json::parse(o.out)["time"]["tokens_per_s_per_gpu"].get<double>();
  };
  EXPECT_NEAR(plan_tps(scenario), 3000, 1e-6 * 3000);
  json other = scenario;
  other.erase("framework");
  const double builtin = gpuscale::planner::datasheet_profile(*gpuscale::find_spec_by_key("h100-sxm-80gb"))
                             .end_to_end_efficiency;
  auto o = plan({"--model", "llama-3.1-8b", "--gpu", prof.string(), "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_DOUBLE_EQ(json::parse(o.out)["time"]["end_to_end_efficiency"].get<double>(), builtin);
  EXPECT_NE(plan_tps(other), 3000);
  // Aliases store under the framework's key.
  json nemo = scenario;
  nemo["framework"] = "nemo";
  write(sc, nemo.dump());
  r = calibrate({"--builtin", "h100-sxm-80gb", "--end-to-end", sc.string(), "3000", "-o", prof.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(gpuscale::read_json_file(prof.string())["training"]["frameworks"].contains("megatron"));
}

TEST(CalibrateCommand, BadInputExits2AndWritesNothing) {
  const auto in = tmp("broken.json");
  write(in, "{\"run\": ");
  const auto prof = tmp("never.profile.json");
  fs::remove(prof);
  auto r = calibrate({in.string(), "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(in.string()), std::string::npos);
  EXPECT_FALSE(fs::exists(prof));
  auto doc = gpuscale::planner::synthetic::results_doc(gpuscale::planner::synthetic::default_truth(),
                                                       "20250101T000000Z-aaaaaaaa");
  doc["gpus"][0]["sku"] = "unknown";
  write(in, doc.dump());
  r = calibrate({in.string(), "-o", prof.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("/gpus/0/sku"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(prof));
  EXPECT_EQ(calibrate({in.string()}).code, 2);  // no -o
  EXPECT_EQ(calibrate({"--help"}).code, 0);
}
