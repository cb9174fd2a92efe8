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
#include <string>
#include <vector>

#include "gemm/cublaslt.hpp"
#include "gemm/gemm_lt.hpp"
#include "gemm/mamf.hpp"
#include "gemm/reference.hpp"
#include "gemm/register.hpp"
#include "gemm/suite.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/measure.hpp"
#include "gpu/resources.hpp"
#include "gpu/timing.hpp"
#include "harness/report.hpp"

namespace gpuscale::bench {
namespace {

using namespace gemm;

// A sample lasts at least this long (batched launches for short GEMMs): launch jitter on a few
// microseconds would otherwise keep small GEMMs from a 1% CV.
constexpr double kMinSampleS = 1e-3;
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
double quick_time(RotatingLaunch& launch, const Stream& stream) {
  const cudaStream_t s = stream.get();
  Event start, stop;
  launch(s);  // warm-up
  start.record(s);
  launch(s);
  stop.record(s);
  stream.synchronize();
  const double one = stop.seconds_since(start);
  const int reps = static_cast<int>(std::clamp(kQuickTimeS / std::max(one, 1e-7), 1.0, 1000.0));
  double best = one;
  for (int g = 0; g < kQuickReps; ++g) {
    start.record(s);
    for (int i = 0; i < reps; ++i) launch(s);
    stop.record(s);
    stream.synchronize();
    best = std::min(best, stop.seconds_since(start) / reps);
  }
  return best;
}

// "" when the GPU can run the precision, else why not.
std::string unsupported(Precision p) {
  const cudaDeviceProp& props = current_gpu().props;
  const int cc = props.major * 10 + props.minor;
  if (cc >= info(p).min_compute_capability) return {};
  return std::string(info(p).min_cc_reason) + " (this GPU is sm_" + std::to_string(cc) + ")";
}

// The element check of the first slot and of the slot the last timed GEMM wrote; "" when both pass.
std::string validate(BenchmarkEntry& e, const RotatingOperands& ops, int last_slot, Precision p,
                     bool fast_accum, const GemmShape& shape, cudaStream_t s) {
  const ReferencePlan plan = reference_plan(shape);
  e.parameters["reference"] =
      plan.full ? "fp64, every element" : "fp64, 16 sampled rows x 16 sampled columns";
  double worst = 0;
  for (int slot : {0, last_slot}) {
    const ElementCheck c = validate_slot(ops, slot, p, fast_accum, shape, s);
    worst = std::max(worst, c.worst_ratio);
    if (c.bad) return "validation failed (rotation slot " + std::to_string(slot) + "): " + c.describe();
    if (last_slot == 0) break;
  }
  e.parameters["max_error_of_tolerance"] = worst;
  return {};
}

void bench_gemm(benchmark::State& state, const GemmCase& c, SamplingPolicy policy) {
  BenchmarkEntry e = gemm_entry(c);
  e.gpu_index = current_gpu().device;
  guarded(state, e, [&] {
    if (auto why = unsupported(c.precision); !why.empty()) return finish_skipped(state, std::move(e), why);
    const std::uint64_t l2 = current_gpu().info.l2_bytes;
    const OperandBytes one = operand_bytes(c.precision, c.shape);
    const int slots = rotation_slots(one.slot(), l2);
    if (auto why = does_not_fit(slots * one.slot() + kWorkspaceBytes); !why.empty())
      return finish_skipped(state, std::move(e), why);

    Stream stream;
    LtContext lt(c.precision, stream.get());
    RotatingOperands ops(c.precision, {slots * one.a, slots * one.b, slots * one.d}, stream.get());
    ops.configure(c.shape, l2);
    const LtGemm gemm = lt.gemm(c.precision, c.fast_accum, c.shape);
    const auto algos = gemm.heuristics(c.autotune ? kAutotuneCandidates : 1, kWorkspaceBytes);
    if (algos.empty()) return finish_error(state, std::move(e), "cuBLASLt's heuristic returned no algorithm");

    std::size_t chosen = 0;
    if (c.autotune) {
      nlohmann::json tried = nlohmann::json::array();
      double best = 0;
      for (std::size_t i = 0; i < algos.size(); ++i) {
        nlohmann::json t = describe_algo(algos[i]);
        t["heuristic_rank"] = i;
        try {
          RotatingLaunch launch{gemm, algos[i].algo, ops, lt};
          const double s = quick_time(launch, stream);
          t["time_s"] = s;
          if (best == 0 || s < best) {
            best = s;
            chosen = i;
          }
        } catch (const CublasError& err) {
          t["error"] = err.what();  // an algorithm that fails to launch is passed over
        } catch (const CudaError& err) {
          t["error"] = err.what();  // so is one whose launch or timing fails in the runtime
          (void)cudaGetLastError();  // and it leaves no error for the next candidate to trip on
        }
        tried.push_back(std::move(t));
      }
      if (best == 0) return finish_error(state, std::move(e), "no autotune candidate ran");
      e.parameters["autotune_candidates"] = std::move(tried);
      e.parameters["heuristic_rank"] = chosen;
    }
    e.parameters.update(describe_algo(algos[chosen]));
    e.parameters["workspace_limit_bytes"] = kWorkspaceBytes;
    e.parameters["rotation_slots"] = ops.slots();
    e.parameters["footprint_bytes"] = ops.footprint_bytes();

    RotatingLaunch launch{gemm, algos[chosen].algo, ops, lt};
    GpuSampler sampler(
        stream, [&](cudaStream_t s) { launch(s); }, policy);
    measure_gpu(state, e, sampler, policy);
    if (auto bad = validate(e, ops, launch.last, c.precision, c.fast_accum, c.shape, stream.get());
        !bad.empty())
      return finish_error(state, std::move(e), bad);
    e.work = gemm_work(c.precision, c.shape);
    finish_ok(state, std::move(e));
  });
}

void bench_mamf(benchmark::State& state, const MamfCase& c, SamplingPolicy policy) {
  BenchmarkEntry e = mamf_entry(c);
  e.gpu_index = current_gpu().device;
  guarded(state, e, [&] {
    if (auto why = unsupported(c.precision); !why.empty()) return finish_skipped(state, std::move(e), why);
    const std::uint64_t l2 = current_gpu().info.l2_bytes;
    // Room for the largest candidate, or for 3x the L2 of rotation slots plus one slot of any other.
    const OperandBytes big = operand_bytes(c.precision, mamf_max_shape(c.space));
    const OperandBytes room{big.a + 3 * l2, big.b + 3 * l2, big.d + 3 * l2};
    if (auto why = does_not_fit(room.slot() + kWorkspaceBytes); !why.empty())
      return finish_skipped(state, std::move(e), why);

    Stream stream;
    LtContext lt(c.precision, stream.get());
    RotatingOperands ops(c.precision, room, stream.get());
    MamfSearch search(c.space);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed_s = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    while (elapsed_s() < c.space.budget_s) {
      const auto shape = search.next();
      if (!shape) break;
      double rate = 0;
      try {
        ops.configure(*shape, l2);
        const LtGemm gemm = lt.gemm(c.precision, c.fast_accum, *shape);
        const auto algos = gemm.heuristics(1, kWorkspaceBytes);
        if (!algos.empty()) {
          RotatingLaunch launch{gemm, algos[0].algo, ops, lt};
          rate = gemm_flops(*shape) / quick_time(launch, stream) * 1e-12;
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
    if (!best) return finish_error(state, std::move(e), "no MAMF candidate ran");
    const GemmShape shape = best->shape;
    nlohmann::json top = nlohmann::json::array();
    for (const auto& r : search.top(5))
      top.push_back({{"m", r.shape.m}, {"n", r.shape.n}, {"k", r.shape.k}, {"search_tflops", r.tflops}});
    e.parameters.update(mamf_shape_parameters(shape));
    e.parameters["candidates_tried"] = search.tried();
    e.parameters["search_s"] = elapsed_s();
    e.parameters["top_shapes"] = std::move(top);

    ops.configure(shape, l2);
    const LtGemm gemm = lt.gemm(c.precision, c.fast_accum, shape);
    const auto algos = gemm.heuristics(1, kWorkspaceBytes);
    if (algos.empty()) return finish_error(state, std::move(e), "cuBLASLt's heuristic returned no algorithm");
    e.parameters.update(describe_algo(algos[0]));
    e.parameters["workspace_limit_bytes"] = kWorkspaceBytes;
    e.parameters["rotation_slots"] = ops.slots();
    e.parameters["footprint_bytes"] = ops.footprint_bytes();
    RotatingLaunch launch{gemm, algos[0].algo, ops, lt};
    GpuSampler sampler(
        stream, [&](cudaStream_t s) { launch(s); }, policy);
    measure_gpu(state, e, sampler, policy);
    if (auto bad = validate(e, ops, launch.last, c.precision, c.fast_accum, shape, stream.get());
        !bad.empty())
      return finish_error(state, std::move(e), bad);
    e.work = gemm_work(c.precision, shape);
    finish_ok(state, std::move(e));
  });
}

}  // namespace

void register_gpu_gemm_benchmarks(const Options& opt) {
  SamplingPolicy policy = opt.policy;
  policy.min_sample_s = std::max(policy.min_sample_s, kMinSampleS);
  const Suite suite = gemm_suite(opt.suite);
  for (const GemmCase& c : suite.gemms) register_benchmark(c.id().str(), bench_gemm, c, policy);
  for (const MamfCase& c : suite.mamf) register_benchmark(c.id().str(), bench_mamf, c, policy);
}

}  // namespace gpuscale::bench
