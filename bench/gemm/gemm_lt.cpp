#include "gemm/gemm_lt.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "gemm/cublaslt_names.hpp"
#include "gemm/gemm_kernels.hpp"
#include "gpu/cuda_check.hpp"

namespace gpuscale::bench::gemm {
namespace {

constexpr std::uint64_t kSeedA = 0x243f6a8885a308d3ull;
constexpr std::uint64_t kSeedB = 0x13198a2e03707344ull;

cublasComputeType_t compute_type(Precision p) {
  return p == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

template <typename T>
std::optional<T> algo_attribute(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attr) {
  T value{};
  std::size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &value, sizeof value, &written) !=
          CUBLAS_STATUS_SUCCESS ||
      written != sizeof value)
    return std::nullopt;
  return value;
}

}  // namespace

cudaDataType_t input_type(Precision p) {
  switch (p) {
    case Precision::fp32:
    case Precision::tf32:
      return CUDA_R_32F;
    case Precision::fp16:
      return CUDA_R_16F;
    case Precision::bf16:
      return CUDA_R_16BF;
    case Precision::fp8_e4m3:
      return CUDA_R_8F_E4M3;
  }
  throw std::logic_error("unknown precision");
}

cudaDataType_t output_type(Precision p) {
  return p == Precision::fp8_e4m3 ? CUDA_R_16BF : input_type(p);
}

LtGemm::LtGemm(cublasLtHandle_t handle, Precision p, bool fast_accum, const GemmShape& s,
               const float* a_scale, const float* b_scale)
    : handle_(handle),
      shape_(s),
      desc_(make_matmul_desc(compute_type(p), CUDA_R_32F)),
      a_(make_layout(input_type(p), s.k, s.m, s.k)),
      b_(make_layout(input_type(p), s.k, s.n, s.k)),
      d_(make_layout(output_type(p), s.m, s.n, s.m)) {
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  set_attribute(desc_, CUBLASLT_MATMUL_DESC_TRANSA, transa);
  set_attribute(desc_, CUBLASLT_MATMUL_DESC_TRANSB, transb);
  if (p == Precision::fp8_e4m3) {
    set_attribute(desc_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, static_cast<const void*>(a_scale));
    set_attribute(desc_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, static_cast<const void*>(b_scale));
    const std::int8_t fast = fast_accum ? 1 : 0;
    set_attribute(desc_, CUBLASLT_MATMUL_DESC_FAST_ACCUM, fast);
  }
}

std::vector<cublasLtMatmulHeuristicResult_t> LtGemm::heuristics(int count,
                                                                std::size_t workspace_limit) const {
  LtPreference pref = make_preference();
  const std::uint64_t limit = workspace_limit;
  set_attribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, limit);
  std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(count));
  int returned = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(handle_, desc_.get(), a_.get(), b_.get(), d_.get(), d_.get(), pref.get(),
                                     count, results.data(), &returned);
  if (st == CUBLAS_STATUS_NOT_SUPPORTED) return {};
  GPUSCALE_CUBLAS_CHECK(st);
  results.resize(static_cast<std::size_t>(returned));
  std::erase_if(results, [](const auto& r) { return r.state != CUBLAS_STATUS_SUCCESS; });
  return results;
}

void LtGemm::run(const cublasLtMatmulAlgo_t& algo, const void* a, const void* b, void* d, void* workspace,
                 std::size_t workspace_bytes, cudaStream_t s) const {
  const float alpha = 1.0f, beta = 0.0f;
  GPUSCALE_CUBLAS_CHECK(cublasLtMatmul(handle_, desc_.get(), &alpha, a, a_.get(), b, b_.get(), &beta, d,
                                       d_.get(), d, d_.get(), &algo, workspace, workspace_bytes, s));
}

nlohmann::json describe_algo(const cublasLtMatmulHeuristicResult_t& r) {
  const cublasLtMatmulAlgo_t& a = r.algo;
  nlohmann::json j;
  if (auto v = algo_attribute<std::int32_t>(a, CUBLASLT_ALGO_CONFIG_ID)) j["algo_id"] = *v;
  if (auto v = algo_attribute<std::uint32_t>(a, CUBLASLT_ALGO_CONFIG_TILE_ID)) {
    j["tile_id"] = *v;
    j["tile"] = tile_name(*v);
  }
  if (auto v = algo_attribute<std::uint32_t>(a, CUBLASLT_ALGO_CONFIG_STAGES_ID)) {
    j["stages_id"] = *v;
    j["stages"] = stages_name(*v);
  }
  if (auto v = algo_attribute<std::int32_t>(a, CUBLASLT_ALGO_CONFIG_SPLITK_NUM)) j["splitk"] = *v;
  if (auto v = algo_attribute<std::uint32_t>(a, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME))
    j["reduction_scheme"] = *v;
  if (auto v = algo_attribute<std::uint32_t>(a, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING)) j["cta_swizzling"] = *v;
  if (auto v = algo_attribute<std::uint32_t>(a, CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION)) j["custom_option"] = *v;
#if CUBLAS_VER_MAJOR >= 12
  if (auto v = algo_attribute<std::uint16_t>(a, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID)) {
    j["cluster_shape_id"] = *v;
    j["cluster_shape"] = cluster_shape_name(*v);
  }
#endif
  j["workspace_bytes"] = r.workspaceSize;
  j["waves_count"] = r.wavesCount;
  return j;
}

RotatingOperands::RotatingOperands(Precision p, const OperandBytes& capacity, cudaStream_t s)
    : precision_(p), a_(capacity.a), b_(capacity.b), d_(capacity.d) {
  const PrecisionInfo& i = info(p);
  const auto scale = static_cast<float>(i.input_scale);
  fill_normal(a_.get(), input_type(p), capacity.a / i.input_bytes, kSeedA, scale, s);
  fill_normal(b_.get(), input_type(p), capacity.b / i.input_bytes, kSeedB, scale, s);
  GPUSCALE_CUDA_CHECK(cudaMemsetAsync(d_.get(), 0xff, d_.bytes(), s));  // NaN in every output type
}

int RotatingOperands::configure(const GemmShape& s, std::uint64_t l2_bytes) {
  bytes_ = operand_bytes(precision_, s);
  const std::uint64_t room = std::min({a_.bytes() / bytes_.a, b_.bytes() / bytes_.b, d_.bytes() / bytes_.d});
  if (room < 1) throw std::logic_error("RotatingOperands: the buffers are too small for this shape");
  slots_ = static_cast<int>(
      std::min<std::uint64_t>(room, static_cast<std::uint64_t>(rotation_slots(bytes_.slot(), l2_bytes))));
  return slots_;
}

ElementCheck validate_slot(const RotatingOperands& ops, int slot, Precision p, bool fast_accum,
                           const GemmShape& shape, cudaStream_t s) {
  const ReferencePlan plan = reference_plan(shape);
  const auto nr = static_cast<std::int64_t>(plan.rows.size()),
             nc = static_cast<std::int64_t>(plan.cols.size());
  // Index arrays: A's rows and B's columns start at index * k (contiguous k values in TN); D[i, j]
  // sits at i + j m.
  std::vector<std::int64_t> a_bases(plan.rows.size()), b_bases(plan.cols.size()), d_bases(plan.cols.size());
  std::vector<std::int64_t> k_offsets(static_cast<std::size_t>(shape.k));
  for (std::size_t r = 0; r < plan.rows.size(); ++r) a_bases[r] = plan.rows[r] * shape.k;
  for (std::size_t c = 0; c < plan.cols.size(); ++c) {
    b_bases[c] = plan.cols[c] * shape.k;
    d_bases[c] = plan.cols[c] * shape.m;
  }
  std::iota(k_offsets.begin(), k_offsets.end(), std::int64_t{0});

  auto upload = [&](const std::vector<std::int64_t>& v) {
    DeviceBuffer<std::int64_t> d(v.size());
    GPUSCALE_CUDA_CHECK(
        cudaMemcpyAsync(d.get(), v.data(), v.size() * sizeof(std::int64_t), cudaMemcpyHostToDevice, s));
    return d;
  };
  const auto dev_a_bases = upload(a_bases), dev_b_bases = upload(b_bases), dev_d_bases = upload(d_bases);
  const auto dev_k = upload(k_offsets), dev_rows = upload(plan.rows);
  DeviceBuffer<float> a_rows(static_cast<std::size_t>(nr * shape.k)),
      b_cols(static_cast<std::size_t>(nc * shape.k)), d_vals(static_cast<std::size_t>(nr * nc));
  gather_to_f32(ops.a(slot), input_type(p), dev_a_bases.get(), nr, dev_k.get(), shape.k, a_rows.get(), s);
  gather_to_f32(ops.b(slot), input_type(p), dev_b_bases.get(), nc, dev_k.get(), shape.k, b_cols.get(), s);
  gather_to_f32(ops.d(slot), output_type(p), dev_d_bases.get(), nc, dev_rows.get(), nr, d_vals.get(), s);

  std::vector<float> ha(a_rows.size()), hb(b_cols.size()), hd(d_vals.size());
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(ha.data(), a_rows.get(), a_rows.bytes(), cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(hb.data(), b_cols.get(), b_cols.bytes(), cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(hd.data(), d_vals.get(), d_vals.bytes(), cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));

  const double dequant = 1.0 / info(p).input_scale;  // FP8: the per-tensor scale of A and of B
  const double ab_scale = p == Precision::fp8_e4m3 ? dequant * dequant : 1.0;
  return check_elements(plan, shape.k, ha, hb, hd, ab_scale, tolerance(p, shape.k, fast_accum));
}

}  // namespace gpuscale::bench::gemm
