// Every memory term against hand-computed values.
#include <gtest/gtest.h>

#include "gpuscale/planner/error.hpp"
#include "gpuscale/planner/plan.hpp"

using namespace gpuscale::planner;
using json = nlohmann::json;

namespace {

Scenario make(json j) {
  if (!j.contains("gpu")) j["gpu"] = "h200-sxm-141gb";
  return parse_scenario(j, "test");
}

constexpr double P7 = 6'738'415'616.0;

}  // namespace

TEST(Memory, FullAmpAdamWHolds16BytesPerParameter) {
  const auto m = plan_memory(make({{"model", "llama-2-7b"}, {"method", "full"}, {"seq_len", 16}}));
  const auto& b = m.peak;
  EXPECT_DOUBLE_EQ(b.weights, 2 * P7);
  EXPECT_DOUBLE_EQ(b.master_weights, 4 * P7);
  EXPECT_DOUBLE_EQ(b.optimizer, 8 * P7);
  EXPECT_DOUBLE_EQ(m.full_gradients, 2 * P7);
  EXPECT_EQ(m.peak_phase, "backward_end");  // tiny activations: the full gradients set the peak
  EXPECT_DOUBLE_EQ(b.weights + b.master_weights + b.optimizer + b.gradients, 16 * P7);
}

TEST(Memory, Zero3DividesModelStatesByN) {
  for (int n : {2, 8, 64}) {
    const auto m = plan_memory(make({{"model", "llama-2-7b"},
                                     {"seq_len", 16},
                                     {"gpus_per_node", 8},
                                     {"nodes", n / 8 ? n / 8 : 1},
                                     {"sharding", "zero3"}}));
    const double N = n < 8 ? 8 : n;
    (void)N;
    const double gpus = (n / 8 ? n / 8 : 1) * 8.0;
    const auto& b = m.peak;
    EXPECT_DOUBLE_EQ(b.weights + b.master_weights + b.optimizer + m.full_gradients, 16 * P7 / gpus);
  }
}

TEST(Memory, ZeroStagesShardTheirTerms) {
  auto states = [&](const char* z) {
    return plan_memory(
        make({{"model", "llama-2-7b"}, {"seq_len", 16}, {"gpus_per_node", 4}, {"sharding", z}}));
  };
  const auto z1 = states("zero1"), z2 = states("zero2"), z3 = states("zero3");
  EXPECT_DOUBLE_EQ(z1.peak.optimizer, 8 * P7 / 4);
  EXPECT_DOUBLE_EQ(z1.peak.master_weights, 4 * P7 / 4);
  EXPECT_DOUBLE_EQ(z1.full_gradients, 2 * P7);
  EXPECT_DOUBLE_EQ(z1.peak.weights, 2 * P7);
  EXPECT_DOUBLE_EQ(z2.full_gradients, 2 * P7 / 4);
  EXPECT_DOUBLE_EQ(z2.peak.weights, 2 * P7);
  EXPECT_DOUBLE_EQ(z3.peak.weights, 2 * P7 / 4);
  EXPECT_GT(z3.peak.communication_buffers, 0);  // FSDP's gathered layers
}

TEST(Memory, PureBf16AndOptimizers) {
  auto opt = [&](const char* prec, const char* o) {
    return plan_memory(
               make({{"model", "llama-2-7b"}, {"seq_len", 16}, {"precision", prec}, {"optimizer", o}}))
        .peak;
  };
  EXPECT_DOUBLE_EQ(opt("bf16", "adamw").optimizer, 4 * P7);
  EXPECT_DOUBLE_EQ(opt("bf16", "adamw").master_weights, 0);
  EXPECT_NEAR(opt("amp-bf16", "adamw-8bit").optimizer / P7, 2.0, 0.01);
  EXPECT_NEAR(opt("amp-bf16", "paged-adamw-8bit").optimizer / P7, 2.0, 0.01);
  EXPECT_DOUBLE_EQ(opt("amp-bf16", "sgd").optimizer, 4 * P7);
  EXPECT_DOUBLE_EQ(opt("bf16", "sgd").optimizer, 2 * P7);
}

TEST(Memory, LoraAdaptersFromTargetsAndRank) {
  // Llama-2 7B, r = 8 on q_proj and v_proj: 32 layers x 8 x (4096 + 4096) x 2 = 4,194,304 parameters.
  const auto s = make({{"model", "llama-2-7b"},
                       {"method", "lora"},
                       {"lora_rank", 8},
                       {"lora_targets", {"q_proj", "v_proj"}},
                       {"seq_len", 16}});
  const auto r = plan(s);
  EXPECT_DOUBLE_EQ(r.adapter_params, 4'194'304);
  const auto& b = r.memory.peak;
  EXPECT_DOUBLE_EQ(b.weights, 2 * P7);          // frozen base in BF16
  EXPECT_DOUBLE_EQ(b.adapters, 4 * 4'194'304);  // FP32 adapters under amp-bf16
  EXPECT_DOUBLE_EQ(b.optimizer, 8 * 4'194'304);
  EXPECT_DOUBLE_EQ(b.master_weights, 0);
  // GQA: Llama-2 70B's v_proj adapter is r x (8192 + 1024).
  const auto g = plan(make({{"model", "llama-2-70b"},
                            {"method", "lora"},
                            {"lora_rank", 16},
                            {"lora_targets", {"v_proj"}},
                            {"seq_len", 16}}));
  EXPECT_DOUBLE_EQ(g.adapter_params, 80.0 * 16 * (8192 + 1024));
}

TEST(Memory, QloraNf4WithDoubleQuantisation) {
  EXPECT_NEAR(kNf4BitsPerParam, 4.127, 0.001);
  const auto s = make({{"model", "llama-2-7b"}, {"method", "qlora"}, {"lora_rank", 8}, {"seq_len", 16}});
  const auto pc = count_params(s.model);
  const double lin = static_cast<double>(pc.linear_total());
  EXPECT_DOUBLE_EQ(lin, 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008));
  EXPECT_DOUBLE_EQ(plan_memory(s).peak.weights, lin * kNf4BitsPerParam / 8 + (P7 - lin) * 2);
}

TEST(Memory, ActivationsPerLayerPerToken) {
  // Llama-2 7B with FlashAttention: 12h + 4 kv + 8f bytes + 4 B log-sum-exp per head.
  auto s = make({{"model", "llama-2-7b"}, {"seq_len", 4096}});
  EXPECT_DOUBLE_EQ(layer_activation_bytes_per_token(s), 12 * 4096 + 4 * 4096 + 8 * 11008 + 4 * 32);
  // GQA (Llama-3 8B: kv = 1024 wide, f = 14336).
  auto g = make({{"model", "llama-3.1-8b"}, {"seq_len", 4096}});
  EXPECT_DOUBLE_EQ(layer_activation_bytes_per_token(g), 12 * 4096 + 4 * 1024 + 8 * 14336 + 4 * 32);
  // Without FlashAttention: + 6 a s (FP32 softmax output + BF16 probabilities); selective removes it.
  auto e = make({{"model", "llama-2-7b"}, {"seq_len", 4096}, {"flash_attention", false}});
  EXPECT_DOUBLE_EQ(layer_activation_bytes_per_token(e) - layer_activation_bytes_per_token(s),
                   6.0 * 32 * 4096 - 4 * 32);
  auto sel = make({{"model", "llama-2-7b"},
                   {"seq_len", 4096},
                   {"flash_attention", false},
                   {"activation_checkpointing", "selective"}});
  EXPECT_DOUBLE_EQ(layer_activation_bytes_per_token(sel), 12 * 4096 + 4 * 4096 + 8 * 11008);
  // Plain GELU MLP keeps 4f.
  auto p = make({{"model", "mpt-7b"}, {"seq_len", 2048}});
  EXPECT_DOUBLE_EQ(layer_activation_bytes_per_token(p), 12 * 4096 + 4 * 4096 + 4 * 16384 + 4 * 32);
}

TEST(Memory, CheckpointingLevels) {
  auto act = [&](const char* ck) {
    return plan_memory(make({{"model", "llama-2-7b"},
                             {"seq_len", 4096},
                             {"micro_batch", 4},
                             {"grad_accum", 2},
                             {"activation_checkpointing", ck}}))
        .peak.activations;
  };
  const double T = 4 * 4096.0, h = 4096, L = 32;
  const double per_layer = 12 * 4096 + 4 * 4096 + 8 * 11008 + 4 * 32;
  EXPECT_DOUBLE_EQ(act("none"), L * per_layer * T + 4 * h * T);
  // Full: the layer inputs; the recomputed layer (per_layer * T = 2.5 GB) comes after the loss backward
  // has freed the 8.4 GB of logits, so the peak is the loss moment without it.
  EXPECT_DOUBLE_EQ(act("full"), L * 2 * h * T + 4 * h * T);
}

TEST(Memory, LogitsOfA128kVocabularyDominateAtLongSequences) {
  // Llama-3.1 8B, 1 x 32768 tokens: 16 B x 128256 x 32768 = 67 GB of logits/loss buffers, more than
  // the 16 GB of BF16 weights.
  const auto m = plan_memory(make({{"model", "llama-3.1-8b"},
                                   {"method", "lora"},
                                   {"seq_len", 32768},
                                   {"activation_checkpointing", "full"}}));
  EXPECT_DOUBLE_EQ(m.peak.logits_loss, 16.0 * 128256 * 32768);
  EXPECT_GT(m.peak.logits_loss, m.peak.weights);
  auto chunked = make({{"model", "llama-3.1-8b"}, {"loss_chunks", 8}});
  EXPECT_DOUBLE_EQ(logits_bytes_per_vocab_token(chunked), 7);
  // A fused cross-entropy kernel keeps the BF16 logits and writes a BF16 gradient: 4 B, a quarter.
  const auto fused = plan_memory(make({{"model", "llama-3.1-8b"},
                                       {"method", "lora"},
                                       {"seq_len", 32768},
                                       {"activation_checkpointing", "full"},
                                       {"fused_loss", true}}));
  EXPECT_DOUBLE_EQ(fused.peak.logits_loss, 4.0 * 128256 * 32768);
  // And moves 6 B per vocabulary entry per token instead of eager's 36.
  auto eager_t = plan_time(make({{"model", "llama-3.1-8b"}, {"seq_len", 4096}}));
  auto fused_t = plan_time(make({{"model", "llama-3.1-8b"}, {"seq_len", 4096}, {"fused_loss", true}}));
  EXPECT_LT(fused_t.t.loss, eager_t.t.loss / 5);
}

TEST(Memory, GradientsKeptAcrossMicroBatches) {
  auto one = plan_memory(make({{"model", "llama-2-7b"}, {"seq_len", 4096}, {"micro_batch", 8}}));
  auto acc =
      plan_memory(make({{"model", "llama-2-7b"}, {"seq_len", 4096}, {"micro_batch", 8}, {"grad_accum", 4}}));
  EXPECT_EQ(one.peak_phase, "backward_start");
  EXPECT_DOUBLE_EQ(acc.peak.gradients, 2 * P7);  // kept from the earlier micro-batches
  EXPECT_LT(one.peak.gradients, 2 * P7);         // only the head's gradient exists yet
}

TEST(Memory, ContextAndReserve) {
  const auto m = plan_memory(make({{"model", "llama-2-7b"}, {"seq_len", 16}}));
  EXPECT_DOUBLE_EQ(m.peak.cuda_context, 512.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(m.peak.allocator_reserve, kAllocatorReserveFraction * m.peak.allocated());
  EXPECT_DOUBLE_EQ(m.peak.total(), m.peak.allocated() * (1 + kAllocatorReserveFraction) + 512.0 * (1 << 20));
}

TEST(Memory, InferenceWeightsAndKvCache) {
  // Llama-2 70B, BF16: 2 B/param; KV cache = 2 x 80 layers x 1024 x 4096 tokens x 8 x 2 B.
  const auto s =
      make({{"model", "llama-2-70b"}, {"method", "inference"}, {"seq_len", 4096}, {"micro_batch", 8}});
  const auto m = plan_memory(s);
  EXPECT_DOUBLE_EQ(m.peak.weights, 2.0 * count_params(s.model).total);
  EXPECT_DOUBLE_EQ(m.kv_cache, 2.0 * 80 * 1024 * 4096 * 8 * 2);
  const auto q = make({{"model", "llama-2-70b"}, {"method", "inference"}, {"precision", "nf4"}});
  EXPECT_LT(plan_memory(q).peak.weights, 0.3 * m.peak.weights);
}

TEST(Memory, FitsAndMinGpus) {
  // 70B full fine-tuning does not fit one H100; ZeRO-3 makes it fit on a power of two.
  const auto r =
      plan(make({{"model", "llama-2-70b"}, {"gpu", "h100-sxm-80gb"}, {"activation_checkpointing", "full"}}));
  EXPECT_FALSE(r.fits);
  ASSERT_TRUE(r.min_gpus_to_fit.has_value());
  EXPECT_GE(*r.min_gpus_to_fit, 16);  // >= 16 B x 69e9 / 80 GB
  EXPECT_EQ(r.min_gpus_sharding, "zero3");
  const auto q = plan(make({{"model", "llama-2-70b"},
                            {"method", "qlora"},
                            {"gpu", "h200-sxm-141gb"},
                            {"activation_checkpointing", "full"}}));
  EXPECT_TRUE(q.fits);
  EXPECT_EQ(q.min_gpus_to_fit, 1);
}

TEST(Scenario, BadInputNamesTheField) {
  auto field_of = [](json j) {
    try {
      parse_scenario(j, "s.json");
    } catch (const InputError& e) {
      return e.field();
    }
    return std::string("no error");
  };
  json ok = {{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}};
  EXPECT_EQ(field_of(ok), "no error");
  EXPECT_EQ(field_of({{"model", "llama-9b"}, {"gpu", "h100-sxm-80gb"}}), "model");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "tpu-v5"}}), "gpu");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"seq_len", 0}}), "seq_len");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"micro_batch", -2}}),
            "micro_batch");
  EXPECT_EQ(
      field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"method", "lora"}, {"lora_rank", 8192}}),
      "lora_rank");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"method", "dpo"}}), "method");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"lora_targets", {"wq"}}}),
            "lora_targets");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "h100-sxm-80gb"}, {"colour", "red"}}), "colour");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "NVIDIA H100 80GB HBM3"}}), "no error");
  EXPECT_EQ(field_of({{"model", "llama-2-7b"}, {"gpu", "NVIDIA A100-SXM4-40GB"}}), "no error");
}

TEST(Memory, CheckpointedLogitsAndRecomputedLayerNeverCoexist) {
  // Full checkpointing: the loss backward frees the logits before the last layer is recomputed, so
  // the start of backward holds max(logits, one layer's activations) on top of the kept layer inputs.
  const json base = {{"model", "llama-3.2-3b"}, {"method", "lora"}, {"precision", "bf16"},
                     {"seq_len", 4096},         {"micro_batch", 2}, {"activation_checkpointing", "full"},
                     {"compile", true},         {"loss_chunks", 8}};
  const auto s = make(base);
  const auto m = plan_memory(s);
  const double T = 8192, h = 3072, V = 128256;
  const double kept = 28 * 2 * h * T + 4 * h * T;
  const double layer = layer_activation_bytes_per_token(s) * T;
  const double logits = logits_bytes_per_vocab_token(s) * V * T;
  ASSERT_GT(logits, layer);
  EXPECT_EQ(m.peak_phase, "backward_start");
  EXPECT_DOUBLE_EQ(m.peak.activations, kept);  // no recomputed layer alongside the logits
  EXPECT_DOUBLE_EQ(m.peak.logits_loss, logits);
  // A small vocabulary with long sequences: the recomputed layer is the larger moment.
  json big = base;
  big["model"] = "mpt-7b";
  big["micro_batch"] = 16;
  big["loss_chunks"] = 32;
  const auto sb = make(big);
  const auto mb = plan_memory(sb);
  const double Tb = 16 * 4096.0, hb = 4096;
  EXPECT_EQ(mb.peak_phase, "backward_recompute");
  EXPECT_DOUBLE_EQ(mb.peak.logits_loss, 0);
  EXPECT_DOUBLE_EQ(mb.peak.activations,
                   32 * 2 * hb * Tb + 4 * hb * Tb + layer_activation_bytes_per_token(sb) * Tb);
  // Without checkpointing every layer's activations are live while the loss runs backward.
  json none = base;
  none["activation_checkpointing"] = "none";
  const auto sn = make(none);
  const auto mn = plan_memory(sn);
  EXPECT_DOUBLE_EQ(mn.peak.activations, 28 * layer_activation_bytes_per_token(sn) * T + 4 * h * T);
  EXPECT_DOUBLE_EQ(mn.peak.logits_loss, logits);
}
