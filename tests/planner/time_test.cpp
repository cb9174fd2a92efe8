// FLOP counts and the time model's structure against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/plan.hpp"

using namespace gpuscale::planner;
using json = nlohmann::json;

namespace {
Scenario make(json j) {
  if (!j.contains("gpu")) j["gpu"] = "h100-sxm-80gb";
  return parse_scenario(j, "test");
}
}  // namespace

TEST(Flops, FullFineTuningIsSixNPlusAttention) {
  const auto s = make({{"model", "llama-2-7b"}, {"seq_len", 4096}, {"micro_batch", 2}});
  const auto f = count_flops(s);
  const double T = 8192;
  const double gemm_params = 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008) + 32000.0 * 4096;
  EXPECT_DOUBLE_EQ(f.forward_gemm, 2 * T * gemm_params);
  EXPECT_DOUBLE_EQ(f.backward_gemm, 4 * T * gemm_params);
  // Causal attention: 2 s q_dim per token per layer forward (QK^T and PV, half the scores).
  EXPECT_DOUBLE_EQ(f.attention_forward, 2.0 * T * 4096 * 4096 * 32);
  EXPECT_DOUBLE_EQ(f.model_flops_per_token, 6 * gemm_params + 6.0 * 4096 * 4096 * 32);
}

TEST(Flops, LoraHasNoWeightGradientsForFrozenWeights) {
  const auto s = make({{"model", "llama-2-7b"},
                       {"method", "lora"},
                       {"lora_rank", 8},
                       {"lora_targets", {"q_proj", "v_proj"}},
                       {"seq_len", 1024}});
  const auto f = count_flops(s);
  const double T = 1024, A = 4'194'304;
  const double gemm_params = 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008) + 32000.0 * 4096;
  EXPECT_DOUBLE_EQ(f.forward_gemm, 2 * T * (gemm_params + A));
  EXPECT_DOUBLE_EQ(f.backward_gemm, 2 * T * gemm_params + 4 * T * A);
  // ... so a LoRA step is faster than a full one on the same tokens.
  const auto full = make({{"model", "llama-2-7b"}, {"seq_len", 1024}});
  EXPECT_LT(plan_time(s).t.gemm, 0.75 * plan_time(full).t.gemm);
}

TEST(Time, GemmsRunThroughTheProfileModel) {
  const auto s = make({{"model", "llama-2-7b"}, {"seq_len", 4096}, {"micro_batch", 2}});
  const auto& g = s.gpu.gemm_for("bf16");
  double expect = 0;
  const double T = 8192;
  for (const auto& l : block_linears(s.model))
    expect += g.time_s(T, l.out, l.in) + g.time_s(T, l.in, l.out) + g.time_s(l.out, l.in, T);
  expect = 32 * expect + g.time_s(T, 32000, 4096) + g.time_s(T, 4096, 32000) + g.time_s(32000, 4096, T);
  EXPECT_NEAR(plan_time(s).t.gemm, expect, 1e-12);
}

TEST(Time, RecomputationQloraDequantAndOptimizer) {
  const json base = {{"model", "llama-2-7b"}, {"seq_len", 2048}, {"method", "qlora"}};
  json ck = base;
  ck["activation_checkpointing"] = "full";
  const auto a = plan_time(make(base)), b = plan_time(make(ck));
  EXPECT_EQ(a.t.recompute, 0);
  EXPECT_GT(b.t.recompute, 0);
  EXPECT_GT(b.t.dequant, a.t.dequant);  // a third dequantisation per step for the recompute
  EXPECT_GT(a.t.dequant, 0);
  // Optimizer step: AdamW in amp reads and writes 28 + 2 B per parameter at the copy bandwidth.
  const auto f = make({{"model", "llama-2-7b"}, {"seq_len", 2048}});
  const double bytes = 6'738'415'616.0 * 30;
  EXPECT_NEAR(plan_time(f).t.optimizer, f.gpu.memory_time_s("copy", bytes), 1e-9);
}

TEST(Time, CommunicationOnlyWithSeveralGpus) {
  const auto one = plan_time(make({{"model", "llama-2-7b"}, {"seq_len", 2048}}));
  EXPECT_EQ(one.t.communication_total, 0);
  const auto fsdp = plan_time(
      make({{"model", "llama-2-7b"}, {"seq_len", 2048}, {"gpus_per_node", 8}, {"sharding", "zero3"}}));
  EXPECT_GT(fsdp.t.communication_total, 0);
  EXPECT_LE(fsdp.t.communication_exposed, fsdp.t.communication_total);
  const auto ddp = plan_time(make({{"model", "llama-2-7b"}, {"seq_len", 2048}, {"gpus_per_node", 8}}));
  EXPECT_GT(ddp.t.communication_total, 0);
}

TEST(Time, MfuAndTotals) {
  auto s = make({{"model", "llama-3.1-8b"},
                 {"seq_len", 4096},
                 {"micro_batch", 2},
                 {"tokens", 1e9},
                 {"price_per_gpu_hour", 2.0},
                 {"gpus_per_node", 8},
                 {"sharding", "zero3"}});
  const auto r = plan(s);
  EXPECT_GT(r.time.mfu, 0.2);
  EXPECT_LT(r.time.mfu, 0.8);
  EXPECT_NEAR(r.time.total_s, 1e9 / (r.time.tokens_per_s_per_gpu * 8), 1e-6);
  EXPECT_NEAR(r.gpu_hours, r.time.total_s / 3600 * 8, 1e-9);
  EXPECT_NEAR(r.cost, r.gpu_hours * 2.0, 1e-9);
}

TEST(Time, InferenceDecodeIsBandwidthBound) {
  const auto s = make({{"model", "llama-2-7b"}, {"method", "inference"}, {"seq_len", 1024}});
  const auto r = plan(s);
  const double bytes = 2.0 * 6'738'415'616 + 2.0 * 32 * 4096 * 1024 * 2;
  EXPECT_GT(r.time.t.step, s.gpu.memory_time_s("read", bytes) * 0.99);
  EXPECT_GT(r.time.prefill_s, 0);
}

TEST(Time, FlashAttentionRunsOnThePaddedHeadDim) {
  // FlashAttention-2's kernels exist for head dims 32, 64, 96, 128, 160, 192, 256.
  EXPECT_EQ(flash_attention_head_dim(64), 64);
  EXPECT_EQ(flash_attention_head_dim(80), 96);
  EXPECT_EQ(flash_attention_head_dim(112), 128);
  EXPECT_EQ(flash_attention_head_dim(128), 128);
  EXPECT_EQ(flash_attention_head_dim(129), 160);
  EXPECT_EQ(flash_attention_head_dim(200), 256);
  // MPT-30B's head of 112 costs as much attention time per head as a head of 128.
  const auto s = make({{"model", "mpt-30b"}, {"seq_len", 4096}});
  const double T = 4096;
  const double flops = 2.0 * T * 4096 * s.model.q_dim() * s.model.layers * 128.0 / 112.0;
  const auto rate = flash_attention_rates(4096);
  const double unit = flops / (s.gpu.attention_efficiency * s.gpu.gemm_for("bf16").peak_tflops * 1e12);
  const double expect = unit / rate.forward + 2.5 * unit / rate.backward;
  EXPECT_NEAR(plan_time(s).t.attention, expect, 1e-9 * expect);
}

TEST(Time, FlashAttentionRatesFollowThePublishedCurve) {
  // FA2 on H100, head dim 128 (arXiv:2407.08608): fused forward + backward without the mask at 16k.
  const double fused = 3.5 / (1 / 370.0 + 2.5 / 322.0);
  EXPECT_NEAR(fused, 334.4, 0.1);  // the FA2 paper's "up to 335 TFLOPS on H100"
  // Published points are reproduced: causal forward 298 TFLOPS at 2k, 191 at 512.
  EXPECT_NEAR(flash_attention_rates(2048).forward * fused, 298, 1e-9);
  EXPECT_NEAR(flash_attention_rates(512).forward * fused, 191, 1e-9);
  // Causal backward at 2k: 291 x (298 / 362).
  EXPECT_NEAR(flash_attention_rates(2048).backward * fused, 291.0 * 298 / 362, 1e-9);
  // Between points: log2 interpolation (3k lies 58.5% of the way from 2k to 4k).
  const double w = std::log2(3072.0) - 11;
  EXPECT_NEAR(flash_attention_rates(3072).forward * fused, 298 + w * (319 - 298), 1e-9);
  // Clamped outside 512..16k; rising with the sequence; the backward is the slower pass.
  EXPECT_DOUBLE_EQ(flash_attention_rates(128).forward, flash_attention_rates(512).forward);
  EXPECT_DOUBLE_EQ(flash_attention_rates(65536).backward, flash_attention_rates(16384).backward);
  for (std::int64_t sl = 512; sl < 16384; sl *= 2) {
    EXPECT_LT(flash_attention_rates(sl).forward, flash_attention_rates(sl * 2).forward);
    EXPECT_LT(flash_attention_rates(sl).backward, flash_attention_rates(sl).forward);
  }
}

TEST(Time, EndToEndEfficiencyDividesTheKernelTimeOnly) {
  // The GPU's work (kernels, overlap slowdown, optimizer) is divided by the efficiency; exposed
  // communication is not.
  json j = {{"model", "llama-2-7b"}, {"seq_len", 2048},
            {"gpus_per_node", 8},    {"nodes", 4},
            {"sharding", "zero3"},   {"end_to_end_efficiency", 1.0}};
  const auto k = plan_time(make(j)).t;
  EXPECT_EQ(k.framework_overhead, 0);
  j["end_to_end_efficiency"] = 0.5;
  const auto h = plan_time(make(j)).t;
  const double kernels = k.gemm + k.attention + k.elementwise + k.loss + k.recompute + k.dequant +
                         k.optimizer + k.overlap_slowdown + k.offload;
  EXPECT_NEAR(h.framework_overhead, kernels, 1e-9 * kernels);
  EXPECT_NEAR(h.step - k.step, kernels, 1e-9 * kernels);
  EXPECT_DOUBLE_EQ(h.communication_exposed, k.communication_exposed);
  // Without an override the profile's value is used: the H100 datasheet profile's published one.
  j.erase("end_to_end_efficiency");
  const auto s = make(j);
  EXPECT_DOUBLE_EQ(s.efficiency(), s.gpu.end_to_end_efficiency);
  EXPECT_LT(s.gpu.end_to_end_efficiency, 1.0);
  EXPECT_NEAR(plan_time(s).t.framework_overhead, kernels * (1 / s.gpu.end_to_end_efficiency - 1),
              1e-9 * kernels);
}

TEST(Time, EndToEndEfficiencyMustBeAFraction) {
  for (const json bad : {json(0), json(-0.5), json(1.5), json("high")}) {
    try {
      make({{"model", "llama-2-7b"}, {"end_to_end_efficiency", bad}});
      ADD_FAILURE() << bad.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("end_to_end_efficiency"), std::string::npos) << e.what();
    }
  }
}

TEST(Time, OverlappedCollectivesSlowTheComputeBesideThem) {
  // One GPU: nothing overlaps. FSDP on 8: each layer's all-gather runs beside its forward and the
  // all-gather + reduce-scatter beside its backward; the compute under them is 18.9% slower.
  const auto one = plan_time(make({{"model", "llama-2-7b"}, {"seq_len", 2048}}));
  EXPECT_EQ(one.t.overlap_slowdown, 0);
  auto s = make({{"model", "llama-2-7b"},
                 {"seq_len", 2048},
                 {"gpus_per_node", 8},
                 {"sharding", "zero3"},
                 {"grad_accum", 2}});
  const auto fsdp = plan_time(s);
  EXPECT_GT(fsdp.t.overlap_slowdown, 0);
  // Bounded by the slowdown applied to all of the overlapped communication.
  EXPECT_LE(fsdp.t.overlap_slowdown, kOverlapComputeSlowdown * fsdp.t.communication_total * (1 + 1e-12));
  // The step is the sum of its parts.
  const auto& t = fsdp.t;
  const double parts = t.gemm + t.attention + t.elementwise + t.loss + t.recompute + t.dequant + t.optimizer +
                       t.communication_exposed + t.overlap_slowdown + t.offload + t.framework_overhead;
  EXPECT_NEAR(t.step, parts, 1e-9 * t.step);
  // DDP: the reduction beside the last micro-batch's backward, all but its last bucket.
  const auto ddp = plan_time(make({{"model", "llama-2-7b"}, {"seq_len", 2048}, {"gpus_per_node", 8}}));
  EXPECT_GT(ddp.t.overlap_slowdown, 0);
  EXPECT_LT(ddp.t.overlap_slowdown, kOverlapComputeSlowdown * ddp.t.communication_total);
}

TEST(Warnings, SayWhatTheModelDoesNotCapture) {
  auto has = [](const std::vector<std::string>& w, const std::string& prefix) {
    for (const auto& x : w)
      if (x.rfind(prefix, 0) == 0) return true;
    return false;
  };
  // A few hundred tokens per micro-batch of a small model, eager: host-bound risk. Compiled, or a
  // long sequence: none.
  json small = {{"model", "llama-3.2-1b"}, {"method", "lora"}, {"seq_len", 256}, {"gpu", "a100-sxm-80gb"}};
  EXPECT_TRUE(has(plan(make(small)).warnings, "host-bound"));
  small["compile"] = true;
  EXPECT_FALSE(has(plan(make(small)).warnings, "host-bound"));
  EXPECT_FALSE(has(plan(make({{"model", "llama-3.1-8b"}, {"seq_len", 4096}, {"method", "lora"}})).warnings,
                   "host-bound"));

  // Near the memory limit, and communication-bound: built directly.
  PlanResult r = plan(make({{"model", "llama-3.1-8b"}, {"seq_len", 4096}, {"method", "lora"}}));
  r.fits = true;
  r.memory.peak = MemoryBreakdown{};
  r.memory.peak.weights = 0.97 * r.memory.capacity;
  EXPECT_TRUE(has(plan_warnings(r), "memory"));
  r.memory.peak.weights = 0.5 * r.memory.capacity;
  EXPECT_FALSE(has(plan_warnings(r), "memory"));
  r.time.t.communication_exposed = 0.3 * r.time.t.step;
  EXPECT_TRUE(has(plan_warnings(r), "communication-bound"));
  // They reach the JSON and the table.
  const auto j = plan_to_json(r);
  EXPECT_TRUE(j["warnings"].is_array());
  EXPECT_NE(
      plan_to_table(
          plan(make(
              {{"model", "llama-3.2-1b"}, {"method", "lora"}, {"seq_len", 256}, {"gpu", "a100-sxm-80gb"}})))
          .find("warnings"),
      std::string::npos);
}
