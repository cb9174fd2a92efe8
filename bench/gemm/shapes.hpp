// GEMM shapes bench_gemm measures: the square sweep, and the GEMMs of one transformer layer
// (forward and backward) of Llama-2 7B/13B/70B and Llama-3 8B/70B. Host-only.
//
// A linear layer y = x W^T with x of T tokens x `in` features and W of `out` x `in` makes three
// GEMMs, each 2 T in out FLOP (m, n, k as cuBLAS takes them: D is m x n, the reduction is k):
//   fwd  Y  = X  W^T   m = T    n = out  k = in
//   dx   dX = dY W     m = T    n = in   k = out
//   dw   dW = dY^T X   m = out  n = in   k = T
// One layer has four linears: qkv (fused, out = (heads + 2 kv_heads) head_dim, which grouped-query
// attention makes smaller than 3 hidden), out (the attention output projection, in = heads head_dim),
// gate_up (the SwiGLU gate and up projections fused into one GEMM, out = 2 intermediate, as Megatron
// and Transformer Engine run them; the same FLOPs as the two separate GEMMs) and down.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gpuscale::bench::gemm {

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool operator==(const GemmShape&) const = default;
};

// 2 m n k: one multiply and one add per term.
double gemm_flops(const GemmShape& s);

struct ModelConfig {
  std::string_view name;  // id token: "llama-3-70b"
  int64_t hidden;
  int64_t heads;
  int64_t kv_heads;  // == heads for multi-head attention, fewer with grouped-query attention
  int64_t head_dim;
  int64_t intermediate;  // SwiGLU hidden size
  std::string_view source;
};

std::span<const ModelConfig> models();
const ModelConfig* find_model(std::string_view name);

enum class Pass { fwd, dx, dw };
std::string_view to_string(Pass p);

struct LayerGemm {
  std::string_view op;  // qkv | out | gate_up | down
  Pass pass;
  int64_t in = 0, out = 0;  // the linear's features
  GemmShape shape;
};

// The 12 GEMMs (4 linears x fwd, dx, dw) of one layer at `tokens` tokens per micro-batch.
std::vector<LayerGemm> layer_gemms(const ModelConfig& model, int64_t tokens);

// Tokens per micro-batch of the transformer shapes: 2048 .. 16384.
std::vector<int64_t> token_counts(std::string_view suite);

// Square sizes: quick 1024, 4096, 8192; full 256 .. 16384 at powers of two and 1.5x them.
std::vector<int64_t> square_sizes(std::string_view suite);

}  // namespace gpuscale::bench::gemm
