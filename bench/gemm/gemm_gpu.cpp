// The GPU benchmarks of bench_gemm: one cuBLASLt GEMM per benchmark (square sweep and transformer
// layer shapes, heuristic or autotuned algorithm) and the MAMF search. Each sample times GEMMs on
// rotating operand copies (>= 3x the L2 together), so small shapes are not measured out of cache;
// work = 2 m n k FLOP per GEMM against the precision's tensor peak, from which core derives tflops,
// pct_of_peak and the clock-normalised efficiency. Every result is checked against FP64 after timing.
//
//   bench_gemm --benchmark_filter='gemm/bf16/m:8192/.*'
//   bench_gemm --benchmark_filter='gemm/mamf/.*' --gpuscale_progress
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gemm/cublaslt.hpp"
#include "gemm/gemm_lt.hpp"
#include "gemm/mamf.hpp"
#include "gemm/reference.hpp"
#include "gemm/suite.hpp"
#include "gpu/gpu_case.hpp"
#include "gpu/resources.hpp"

namespace gpuscale::bench {
namespace {

using namespace gemm;

// A sample lasts at least this long (batched launches for short GEMMs): launch jitter on a few
// microseconds would otherwise keep small GEMMs from a 1% CV.
constexpr double kMinSampleS = 1e-3;

// A GEMM sample lasts at least kMinSampleS (short shapes are batched up to it).
SamplingPolicy with_min_sample(SamplingPolicy p) {
  p.min_sample_s = std::max(p.min_sample_s, kMinSampleS);
  return p;
}

// MAMF and autotune time a candidate over at least this long, in `kQuickReps` groups.
constexpr double kQuickTimeS = 2e-3;
constexpr int kQuickReps = 3;

// What every GEMM benchmark needs besides its operands: the cuBLASLt handle, the workspace and
// FP8's per-tensor scales (1 / input_scale for A and B).
struct LtContext {
  LtHandle handle = make_handle();
  DeviceBuffer<unsigned char> workspace{kWorkspaceBytes};
  DeviceBuffer<float> scales{2};
  LtContext(Precision p, cudaStream_t s) {
    const float dequant[2] = {static_cast<float>(1.0 / info(p).input_scale),
                              static_cast<float>(1.0 / info(p).input_scale)};
    GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(scales.get(), dequant, sizeof dequant, cudaMemcpyHostToDevice, s));
    GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
  }
  LtGemm gemm(Precision p, bool fast_accum, const GemmShape& shape) const {
    return LtGemm(handle.get(), p, fast_accum, shape, scales.get(), scales.get() + 1);
  }
};

// Runs one GEMM per call on the next rotation slot.
struct RotatingLaunch {
  const LtGemm& gemm;
  const cublasLtMatmulAlgo_t& algo;
  const RotatingOperands& ops;
  const LtContext& lt;
  int next = 0;
  int last = 0;
  void operator()(cudaStream_t s) {
    last = next;
    gemm.run(algo, ops.a(next), ops.b(next), ops.d(next), lt.workspace.get(), lt.workspace.bytes(), s);
    next = (next + 1) % ops.slots();
  }
};

// Seconds per GEMM, the fastest of kQuickReps groups each at least kQuickTimeS long: the brief
// timing that ranks autotune and MAMF candidates (the winner is measured properly afterwards).
double quick_time(RotatingLaunch& launch, cudaStream_t s) {
  Event start, stop;
  launch(s);  // warm-up
  start.record(s);
  launch(s);
  stop.record(s);
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
  const double one = stop.seconds_since(start);
  const int reps = static_cast<int>(std::clamp(kQuickTimeS / std::max(one, 1e-7), 1.0, 1000.0));
  double best = one;
  for (int g = 0; g < kQuickReps; ++g) {
    start.record(s);
    for (int i = 0; i < reps; ++i) launch(s);
    stop.record(s);
    GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
    best = std::min(best, stop.seconds_since(start) / reps);
  }
  return best;
}

// "" when a GPU of that compute capability can run the precision, else why not.
std::string unsupported_precision(Precision p, const GpuTarget& gpu) {
  const int cc = gpu.info.cc_major * 10 + gpu.info.cc_minor;
  if (cc >= info(p).min_compute_capability) return {};
  return std::string(info(p).min_cc_reason) + " (this GPU is sm_" + std::to_string(cc) + ")";
}

// The measured GEMM of either kind of case: its context, operands and chosen algorithm, and the
// element check of the first slot and of the slot the last timed GEMM wrote.
class GemmBody final : public GpuStreamCase::Body {
 public:
  GemmBody(std::unique_ptr<LtContext> lt, std::unique_ptr<RotatingOperands> ops, LtGemm gemm,
           cublasLtMatmulAlgo_t algo, Precision p, bool fast_accum)
      : lt_(std::move(lt)),
        ops_(std::move(ops)),
        gemm_(std::move(gemm)),
        algo_(algo),
        precision_(p),
        fast_accum_(fast_accum),
        launch_{gemm_, algo_, *ops_, *lt_} {}

  void launch(cudaStream_t s) override { launch_(s); }
  std::string check(CaseState& state, cudaStream_t s) override {
    const GemmShape& shape = gemm_.shape();
    const ReferencePlan plan = reference_plan(shape);
    state.parameters()["reference"] =
        plan.full ? "fp64, every element" : "fp64, 16 sampled rows x 16 sampled columns";
    double worst = 0;
    for (int slot : {0, launch_.last}) {
      const ElementCheck c = validate_slot(*ops_, slot, precision_, fast_accum_, shape, s);
      worst = std::max(worst, c.worst_ratio);
      if (c.bad) return "rotation slot " + std::to_string(slot) + ": " + c.describe();
      if (launch_.last == 0) break;
    }
    state.parameters()["max_error_of_tolerance"] = worst;
    return {};
  }
  std::optional<Work> work() const override { return gemm_work(precision_, gemm_.shape()); }

 private:
  std::unique_ptr<LtContext> lt_;
  std::unique_ptr<RotatingOperands> ops_;
  LtGemm gemm_;
  cublasLtMatmulAlgo_t algo_;
  Precision precision_;
  bool fast_accum_;
  RotatingLaunch launch_;
};

// What every GEMM entry records about the algorithm and operands it ran on.
void record_algorithm(CaseState& state, const cublasLtMatmulHeuristicResult_t& algo,
                      const RotatingOperands& ops) {
  state.parameters().update(describe_algo(algo));
  state.parameters()["workspace_limit_bytes"] = kWorkspaceBytes;
  state.parameters()["rotation_slots"] = ops.slots();
  state.parameters()["footprint_bytes"] = ops.footprint_bytes();
}

// One cuBLASLt GEMM: the heuristic's first algorithm, or the fastest of its top kAutotuneCandidates.
class GemmGpuCase final : public GpuStreamCase {
 public:
  explicit GemmGpuCase(GemmCase c) : c_(std::move(c)) {}

  BenchmarkId id() const override { return c_.id(); }
  nlohmann::json parameters(const GpuTarget&) const override { return c_.parameters(); }
  Work work(const GpuTarget&) const override { return gemm_work(c_.precision, c_.shape); }
  std::string unsupported(const GpuTarget& gpu) const override {
    return unsupported_precision(c_.precision, gpu);
  }
  std::uint64_t device_bytes(const GpuTarget& gpu) const override {
    const OperandBytes one = operand_bytes(c_.precision, c_.shape);
    return rotation_slots(one.slot(), gpu.info.l2_bytes) * one.slot() + kWorkspaceBytes;
  }
  SamplingPolicy policy(const SamplingPolicy& p) const override { return with_min_sample(p); }

  std::unique_ptr<Body> setup(CaseState& state, cudaStream_t s) const override {
    const std::uint64_t l2 = state.gpu().info.l2_bytes;
    const OperandBytes one = operand_bytes(c_.precision, c_.shape);
    const int slots = rotation_slots(one.slot(), l2);
    auto lt = std::make_unique<LtContext>(c_.precision, s);
    auto ops = std::make_unique<RotatingOperands>(
        c_.precision, OperandBytes{slots * one.a, slots * one.b, slots * one.d}, s);
    ops->configure(c_.shape, l2);
    LtGemm gemm = lt->gemm(c_.precision, c_.fast_accum, c_.shape);
    const auto algos = gemm.heuristics(c_.autotune ? kAutotuneCandidates : 1, kWorkspaceBytes);
    if (algos.empty()) {
      state.fail("cuBLASLt's heuristic returned no algorithm");
      return nullptr;
    }
    std::size_t chosen = 0;
    if (c_.autotune) {
      nlohmann::json tried = nlohmann::json::array();
      double best = 0;
      for (std::size_t i = 0; i < algos.size(); ++i) {
        nlohmann::json t = describe_algo(algos[i]);
        t["heuristic_rank"] = i;
        try {
          RotatingLaunch launch{gemm, algos[i].algo, *ops, *lt};
          const double secs = quick_time(launch, s);
          t["time_s"] = secs;
          if (best == 0 || secs < best) {
            best = secs;
            chosen = i;
          }
        } catch (const CublasError& err) {
          t["error"] = err.what();  // an algorithm that fails to launch is passed over
        } catch (const CudaError& err) {
          t["error"] = err.what();   // so is one whose launch or timing fails in the runtime
          (void)cudaGetLastError();  // and it leaves no error for the next candidate to trip on
        }
        tried.push_back(std::move(t));
      }
      if (best == 0) {
        state.fail("no autotune candidate ran");
        return nullptr;
      }
      state.parameters()["autotune_candidates"] = std::move(tried);
      state.parameters()["heuristic_rank"] = chosen;
    }
    record_algorithm(state, algos[chosen], *ops);
    return std::make_unique<GemmBody>(std::move(lt), std::move(ops), std::move(gemm), algos[chosen].algo,
                                      c_.precision, c_.fast_accum);
  }

 private:
  GemmCase c_;
};

// MAMF: a time-boxed search over M, N, K (gemm/mamf.hpp) in setup, then the best shape measured.
class MamfGpuCase final : public GpuStreamCase {
 public:
  explicit MamfGpuCase(MamfCase c) : c_(std::move(c)) {}

  const MamfCase& mamf() const { return c_; }
  BenchmarkId id() const override { return c_.id(); }
  nlohmann::json parameters(const GpuTarget&) const override { return c_.parameters(); }
  // The work of the shape the search chose (the body's); before the search, the first it tries.
  Work work(const GpuTarget&) const override { return gemm_work(c_.precision, *MamfSearch(c_.space).next()); }
  std::string unsupported(const GpuTarget& gpu) const override {
    return unsupported_precision(c_.precision, gpu);
  }
  // Room for the largest candidate, or for 3x the L2 of rotation slots plus one slot of any other.
  std::uint64_t device_bytes(const GpuTarget& gpu) const override {
    return room(gpu.info.l2_bytes).slot() + kWorkspaceBytes;
  }
  SamplingPolicy policy(const SamplingPolicy& p) const override { return with_min_sample(p); }

  std::unique_ptr<Body> setup(CaseState& state, cudaStream_t s) const override {
    const std::uint64_t l2 = state.gpu().info.l2_bytes;
    auto lt = std::make_unique<LtContext>(c_.precision, s);
    auto ops = std::make_unique<RotatingOperands>(c_.precision, room(l2), s);
    MamfSearch search(c_.space);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed_s = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    while (elapsed_s() < c_.space.budget_s) {
      const auto shape = search.next();
      if (!shape) break;
      double rate = 0;
      try {
        ops->configure(*shape, l2);
        const LtGemm gemm = lt->gemm(c_.precision, c_.fast_accum, *shape);
        const auto algos = gemm.heuristics(1, kWorkspaceBytes);
        if (!algos.empty()) {
          RotatingLaunch launch{gemm, algos[0].algo, *ops, *lt};
          rate = gemm_flops(*shape) / quick_time(launch, s) * 1e-12;
        }
      } catch (const CublasError&) {
        rate = 0;  // a shape cuBLASLt cannot run is not a candidate
      } catch (const CudaError&) {
        rate = 0;  // nor one whose launch or timing fails in the CUDA runtime
        (void)cudaGetLastError();
      }
      search.report(*shape, rate);
    }
    const auto best = search.best();
    if (!best) {
      state.fail("no MAMF candidate ran");
      return nullptr;
    }
    const GemmShape shape = best->shape;
    nlohmann::json top = nlohmann::json::array();
    for (const auto& r : search.top(5))
      top.push_back({{"m", r.shape.m}, {"n", r.shape.n}, {"k", r.shape.k}, {"search_tflops", r.tflops}});
    state.parameters().update(mamf_shape_parameters(shape));
    state.parameters()["candidates_tried"] = search.tried();
    state.parameters()["search_s"] = elapsed_s();
    state.parameters()["top_shapes"] = std::move(top);

    ops->configure(shape, l2);
    LtGemm gemm = lt->gemm(c_.precision, c_.fast_accum, shape);
    const auto algos = gemm.heuristics(1, kWorkspaceBytes);
    if (algos.empty()) {
      state.fail("cuBLASLt's heuristic returned no algorithm");
      return nullptr;
    }
    record_algorithm(state, algos[0], *ops);
    return std::make_unique<GemmBody>(std::move(lt), std::move(ops), std::move(gemm), algos[0].algo,
                                      c_.precision, c_.fast_accum);
  }

 private:
  OperandBytes room(std::uint64_t l2) const {
    const OperandBytes big = operand_bytes(c_.precision, mamf_max_shape(c_.space));
    return {big.a + 3 * l2, big.b + 3 * l2, big.d + 3 * l2};
  }
  MamfCase c_;
};

}  // namespace

namespace gemm {

CaseList gemm_gpu_cases(const std::string& suite) {
  const Suite s = gemm_suite(suite);
  CaseList cases;
  for (const GemmCase& c : s.gemms) cases.push_back(std::make_unique<GemmGpuCase>(c));
  for (const MamfCase& c : s.mamf) cases.push_back(std::make_unique<MamfGpuCase>(c));
  return cases;
}

std::optional<MamfCase> mamf_of(const Case& c) {
  if (const auto* m = dynamic_cast<const MamfGpuCase*>(&c)) return m->mamf();
  return std::nullopt;
}

}  // namespace gemm
}  // namespace gpuscale::bench
