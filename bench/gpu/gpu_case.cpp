#include "gpu/gpu_case.hpp"

#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/measure.hpp"
#include "gpu/timing.hpp"

namespace gpuscale::bench {
namespace {

// CUDA events around `batch` copies on one stream, or on two at once (joined before the stop event).
class CopyTimer {
 public:
  explicit CopyTimer(GpuCopyCase::Copies c) : c_(std::move(c)) {}

  double time(int batch) {
    const cudaStream_t a = c_.a->get();
    start_.record(a);
    if (c_.b) GPUSCALE_CUDA_CHECK(cudaStreamWaitEvent(c_.b->get(), start_.get(), 0));
    for (int i = 0; i < batch; ++i) {
      c_.first(a);
      if (c_.b) c_.second(c_.b->get());
    }
    if (c_.b) {
      joined_.record(c_.b->get());
      GPUSCALE_CUDA_CHECK(cudaStreamWaitEvent(a, joined_.get(), 0));
    }
    stop_.record(a);
    c_.a->synchronize();
    GPUSCALE_CUDA_CHECK_LAUNCH();
    return stop_.seconds_since(start_) / batch;
  }

 private:
  GpuCopyCase::Copies c_;
  Event start_, stop_, joined_;
};

}  // namespace

void GpuStreamCase::run(CaseState& state) const {
  guarded(state, [&] {
    const GpuTarget& gpu = state.gpu();
    if (auto why = unsupported(gpu); !why.empty()) return state.skip(why);
    if (const std::uint64_t bytes = device_bytes(gpu); bytes > 0)
      if (auto why = does_not_fit(bytes); !why.empty()) return state.skip(why);
    Stream stream;
    const std::unique_ptr<Body> body = setup(state, stream.get());
    if (!body || state.done()) return;
    const SamplingPolicy p = policy(state.options().policy);
    GpuSampler sampler(
        stream, [&](cudaStream_t s) { body->launch(s); }, p);
    state.parameters()["batch"] = sampler.batch();
    measure_with_clocks(
        state, [&] { return sampler.sample(); }, p, gpu.nvml_index);
    if (const std::string bad = body->check(state, stream.get()); !bad.empty())
      return state.fail("validation failed: " + bad);
    state.ok(body->work().value_or(work(gpu)));
  });
}

void GpuCopyCase::run(CaseState& state) const {
  guarded(state, [&] {
    const std::unique_ptr<Body> body = setup(state);
    if (!body || state.done()) return;
    const Copies copies = body->copies();
    CopyTimer timer(copies);
    const SamplingPolicy& p = state.options().policy;
    timer.time(1);  // first touch, lazy module and mapping setup
    timer.time(1);
    const int batch = batch_for(timer.time(1), p);
    state.parameters()["batch"] = batch;
    measure_with_clocks(
        state, [&] { return timer.time(batch); }, p, copies.nvml_index);
    if (const std::string bad = body->check(state); !bad.empty())
      return state.fail("validation failed: " + bad);
    state.ok(work(state.gpu()));
  });
}

}  // namespace gpuscale::bench
