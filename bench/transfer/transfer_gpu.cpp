// GPU transfers: host->device and device->host from pinned and pageable memory, both directions at
// once, by the copy engines (cudaMemcpyAsync) and by SMs (kernels/transfer/sm_copy.cu over mapped
// pinned memory); and device->device between every ordered GPU pair (cudaMemcpyPeerAsync, and the
// SM copy where peer access exists), with whether the pair has peer access and over which link.
//
// Timing: CUDA events around a batch of back-to-back copies (enough for one sample to last
// SamplingPolicy::min_sample_s), seconds per copy = elapsed / batch. No CUDA graph: a pageable
// copy cannot be captured. Bandwidth = bytes transferred / time, counting each byte once (2 x bytes
// for bidir), GB = 1e9. Every destination is checked against the source pattern after timing.
//
//   bench_transfer --benchmark_filter='transfer/h2d/memory:pinned'
//   bench_transfer --benchmark_filter='d2d_peer' --suite=full
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "gpu/cuda_check.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/guard.hpp"
#include "gpu/measure.hpp"
#include "gpu/nvml.hpp"
#include "gpu/resources.hpp"
#include "gpu/verify.hpp"
#include "gpuscale/core/units.hpp"
#include "harness/report.hpp"
#include "sm_copy.hpp"
#include "transfer/numa.hpp"
#include "transfer/register.hpp"
#include "transfer/transfer_cases.hpp"

namespace gpuscale::bench {
namespace {

// Pageable host memory, page aligned (so NUMA queries and the driver's staging see whole pages).
class PageableBuffer {
 public:
  explicit PageableBuffer(std::size_t bytes) : bytes_(bytes) {
    const std::size_t rounded = (bytes + 4095) / 4096 * 4096;
    ptr_ = static_cast<unsigned char*>(std::aligned_alloc(4096, rounded));
    if (!ptr_) throw std::bad_alloc();
  }
  ~PageableBuffer() { std::free(ptr_); }
  PageableBuffer(const PageableBuffer&) = delete;
  PageableBuffer& operator=(const PageableBuffer&) = delete;
  unsigned char* get() const { return ptr_; }

 private:
  unsigned char* ptr_ = nullptr;
  std::size_t bytes_;
};

// A host buffer of either kind, and the pointer the GPU uses for it (SM copies of pinned memory).
class HostBuffer {
 public:
  HostBuffer(HostMemory kind, std::size_t bytes) {
    if (kind == HostMemory::pinned) {
      pinned_ = PinnedBuffer<unsigned char>(bytes);
      ptr_ = pinned_.get();
      void* d = nullptr;
      GPUSCALE_CUDA_CHECK(cudaHostGetDevicePointer(&d, ptr_, 0));
      device_ptr_ = d;
    } else {
      pageable_ = std::make_unique<PageableBuffer>(bytes);
      ptr_ = pageable_->get();
    }
  }
  unsigned char* get() const { return ptr_; }
  void* device_view() const { return device_ptr_; }

 private:
  PinnedBuffer<unsigned char> pinned_;
  std::unique_ptr<PageableBuffer> pageable_;
  unsigned char* ptr_ = nullptr;
  void* device_ptr_ = nullptr;
};

// The source pattern (verify.hpp's ramp), written by this thread: first touch puts the pages on
// this thread's NUMA node, the node then recorded.
void fill_ramp_host(void* p, std::size_t bytes) {
  float* x = static_cast<float*>(p);
  for (std::size_t i = 0; i < bytes / sizeof(float); ++i) x[i] = ramp_value(i);
}

std::string check_ramp_host(const void* p, std::size_t bytes, const char* name) {
  const float* x = static_cast<const float*>(p);
  for (std::size_t i = 0; i < bytes / sizeof(float); ++i)
    if (x[i] != ramp_value(i))
      return std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(x[i]) + ", expected " +
             std::to_string(ramp_value(i));
  return {};
}

int batch_for(double one_s, const SamplingPolicy& p) {
  if (one_s >= p.min_sample_s) return 1;
  return static_cast<int>(std::min(1000.0, std::ceil(p.min_sample_s / std::max(one_s, 1e-9) - 1e-9)));
}

int sm_grid(int device) {
  int sms = 0;
  GPUSCALE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return 4 * sms;
}

void copy(Engine e, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, int grid, cudaStream_t s) {
  if (e == Engine::copy_engine)
    GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, s));
  else
    GPUSCALE_CUDA_CHECK(kernels::launch_sm_copy(dst, src, bytes, grid, s));
}

// Times `enqueue(stream)` batch times on `a` and, for two streams, `enqueue2(b)` concurrently.
class CopyTimer {
 public:
  using Enqueue = std::function<void(cudaStream_t)>;
  CopyTimer(const Stream& a, Enqueue first, const Stream* b = nullptr, Enqueue second = {})
      : a_(a), b_(b), first_(std::move(first)), second_(std::move(second)) {}

  double time(int batch) {
    start_.record(a_.get());
    if (b_) GPUSCALE_CUDA_CHECK(cudaStreamWaitEvent(b_->get(), start_.get(), 0));
    for (int i = 0; i < batch; ++i) {
      first_(a_.get());
      if (b_) second_(b_->get());
    }
    if (b_) {
      joined_.record(b_->get());
      GPUSCALE_CUDA_CHECK(cudaStreamWaitEvent(a_.get(), joined_.get(), 0));
    }
    stop_.record(a_.get());
    a_.synchronize();
    GPUSCALE_CUDA_CHECK_LAUNCH();
    return stop_.seconds_since(start_) / batch;
  }

 private:
  const Stream& a_;
  const Stream* b_;
  Enqueue first_, second_;
  Event start_, stop_, joined_;
};

// Warm-up, batch sizing and sampling with NVML watching the GPU.
void measure_copies(benchmark::State& state, BenchmarkEntry& e, CopyTimer& timer, int nvml_index,
                    const SamplingPolicy& policy) {
  timer.time(1);
  timer.time(1);
  const int batch = batch_for(timer.time(1), policy);
  e.parameters["batch"] = batch;
  measure_with_clocks(state, e, [&] { return timer.time(batch); }, policy, nvml_index);
}

nlohmann::json numa_or_unknown(std::optional<int> node) {
  if (node) return *node;
  return "unknown";
}

std::string device_memory_short(int device, std::size_t need) {
  GPUSCALE_CUDA_CHECK(cudaSetDevice(device));
  std::size_t free = 0, total = 0;
  GPUSCALE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  if (need + 256 * kMiB <= free) return {};
  return "GPU " + std::to_string(device) + ": needs " + format_bytes(need) + ", " + format_bytes(free) + " free";
}

void bench_host_device(benchmark::State& state, TransferCase c, SamplingPolicy policy) {
  BenchmarkEntry e = transfer_entry(c);
  const GpuContext& gpu = current_gpu();
  e.gpu_index = gpu.device;
  e.parameters["gpu_numa_node"] = numa_or_unknown(gpu.info.numa_node);
  guarded(state, e, [&] {
    const std::size_t bytes = c.bytes;
    const bool bidir = c.direction == Direction::bidir;
    GPUSCALE_CUDA_CHECK(cudaSetDevice(gpu.device));
    if (auto why = device_memory_short(gpu.device, bidir ? 2 * bytes : bytes); !why.empty())
      return finish_skipped(state, std::move(e), why);
    Stream up, down;
    const int grid = sm_grid(gpu.device);
    if (c.engine == Engine::sm) e.parameters["sm_grid"] = grid;

    // h2d: host_src -> dev_dst; d2h: dev_src -> host_dst; bidir: both.
    const bool to_device = c.direction != Direction::d2h;
    const bool to_host = c.direction != Direction::h2d;
    std::unique_ptr<HostBuffer> host_src, host_dst;
    DeviceBuffer<unsigned char> dev_dst, dev_src;
    if (to_device) {
      host_src = std::make_unique<HostBuffer>(c.memory, bytes);
      fill_ramp_host(host_src->get(), bytes);
      dev_dst = DeviceBuffer<unsigned char>(bytes);
      GPUSCALE_CUDA_CHECK(cudaMemsetAsync(dev_dst.get(), 0, bytes, up.get()));
    }
    if (to_host) {
      host_dst = std::make_unique<HostBuffer>(c.memory, bytes);
      std::memset(host_dst->get(), 0, bytes);  // first touch, here
      dev_src = DeviceBuffer<unsigned char>(bytes);
      fill_f32(reinterpret_cast<float*>(dev_src.get()), bytes / sizeof(float), true, 0, down.get());
    }
    up.synchronize();
    down.synchronize();
    e.parameters["host_numa_node"] = host_numa_node((to_device ? host_src : host_dst)->get(), bytes);

    const bool sm = c.engine == Engine::sm;
    auto h2d = [&](cudaStream_t s) {
      copy(c.engine, dev_dst.get(), sm ? host_src->device_view() : host_src->get(), bytes, cudaMemcpyHostToDevice,
           grid, s);
    };
    auto d2h = [&](cudaStream_t s) {
      copy(c.engine, sm ? host_dst->device_view() : host_dst->get(), dev_src.get(), bytes, cudaMemcpyDeviceToHost,
           grid, s);
    };
    std::unique_ptr<CopyTimer> timer;
    if (bidir)
      timer = std::make_unique<CopyTimer>(up, h2d, &down, d2h);
    else if (to_device)
      timer = std::make_unique<CopyTimer>(up, h2d);
    else
      timer = std::make_unique<CopyTimer>(down, d2h);
    measure_copies(state, e, *timer, gpu.nvml_index, policy);

    if (to_device) {
      const std::string bad = compare_f32(reinterpret_cast<const float*>(dev_dst.get()), bytes / sizeof(float), true,
                                          1, 0, 0, up.get())
                                  .describe("device destination");
      if (!bad.empty()) return finish_error(state, std::move(e), "validation failed: " + bad);
    }
    if (to_host) {
      down.synchronize();
      if (auto bad = check_ramp_host(host_dst->get(), bytes, "host destination"); !bad.empty())
        return finish_error(state, std::move(e), "validation failed: " + bad);
    }
    e.work = transfer_work(c);
    finish_ok(state, std::move(e));
  });
}

int device_numa_node(int device) {
  char bus[32] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) != cudaSuccess) return -1;
  return pci_numa_node(bus);
}

void bench_peer(benchmark::State& state, TransferCase c, SamplingPolicy policy) {
  BenchmarkEntry e = transfer_entry(c);
  e.gpu_index = c.src;
  guarded(state, e, [&] {
    int count = 0;
    GPUSCALE_CUDA_CHECK(cudaGetDeviceCount(&count));
    if (c.src >= count || c.dst >= count)
      return finish_skipped(state, std::move(e),
                            "needs GPUs " + std::to_string(c.src) + " and " + std::to_string(c.dst) + ", " +
                                std::to_string(count) + " found");
    int can = 0, atomics = 0, rank = 0;
    GPUSCALE_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, c.src, c.dst));
    if (can) {
      GPUSCALE_CUDA_CHECK(cudaDeviceGetP2PAttribute(&atomics, cudaDevP2PAttrNativeAtomicSupported, c.src, c.dst));
      GPUSCALE_CUDA_CHECK(cudaDeviceGetP2PAttribute(&rank, cudaDevP2PAttrPerformanceRank, c.src, c.dst));
    }
    e.parameters["peer_access"] = can != 0;
    e.parameters["p2p_performance_rank"] = rank;
    std::optional<bool> nvlink;
    if (can) {
      Nvml& nvml = Nvml::get();
      cudaDeviceProp pa{}, pb{};
      GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&pa, c.src));
      GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&pb, c.dst));
      nvlink = nvml.p2p_nvlink(nvml.device_for_pci_bus_id(pci_bus_id(pa)), nvml.device_for_pci_bus_id(pci_bus_id(pb)));
    }
    const PeerLink link = peer_link(can != 0, atomics != 0, nvlink);
    e.parameters["link"] = link.link;
    if (!link.inferred_from.empty()) e.parameters["link_inferred_from"] = link.inferred_from;
    e.parameters["src_numa_node"] = device_numa_node(c.src);
    e.parameters["dst_numa_node"] = device_numa_node(c.dst);
    if (c.engine == Engine::sm && !can)
      return finish_skipped(state, std::move(e), "no peer access between GPU " + std::to_string(c.src) + " and " +
                                                     std::to_string(c.dst) + ": an SM copy cannot reach the peer");
    for (int d : {c.src, c.dst})
      if (auto why = device_memory_short(d, c.bytes); !why.empty()) return finish_skipped(state, std::move(e), why);
    if (can) {
      for (auto [a, b] : {std::pair{c.src, c.dst}, std::pair{c.dst, c.src}}) {
        GPUSCALE_CUDA_CHECK(cudaSetDevice(a));
        const cudaError_t r = cudaDeviceEnablePeerAccess(b, 0);
        if (r != cudaSuccess && r != cudaErrorPeerAccessAlreadyEnabled) GPUSCALE_CUDA_CHECK(r);
        (void)cudaGetLastError();  // clear "already enabled"
      }
    }
    const std::size_t bytes = c.bytes;
    GPUSCALE_CUDA_CHECK(cudaSetDevice(c.dst));
    Stream dst_stream;
    DeviceBuffer<unsigned char> dst(bytes);
    GPUSCALE_CUDA_CHECK(cudaMemsetAsync(dst.get(), 0, bytes, dst_stream.get()));
    dst_stream.synchronize();
    GPUSCALE_CUDA_CHECK(cudaSetDevice(c.src));
    Stream stream;  // on the source GPU: it pushes
    DeviceBuffer<unsigned char> src(bytes);
    fill_f32(reinterpret_cast<float*>(src.get()), bytes / sizeof(float), true, 0, stream.get());
    stream.synchronize();
    const int grid = sm_grid(c.src);
    if (c.engine == Engine::sm) e.parameters["sm_grid"] = grid;
    CopyTimer timer(stream, [&](cudaStream_t s) {
      if (c.engine == Engine::copy_engine)
        GPUSCALE_CUDA_CHECK(cudaMemcpyPeerAsync(dst.get(), c.dst, src.get(), c.src, bytes, s));
      else
        GPUSCALE_CUDA_CHECK(kernels::launch_sm_copy(dst.get(), src.get(), bytes, grid, s));
    });
    int nvml = -1;
    if (c.src == current_gpu().device) nvml = current_gpu().nvml_index;
    measure_copies(state, e, timer, nvml, policy);
    GPUSCALE_CUDA_CHECK(cudaSetDevice(c.dst));
    const std::string bad =
        compare_f32(reinterpret_cast<const float*>(dst.get()), bytes / sizeof(float), true, 1, 0, 0, dst_stream.get())
            .describe("peer destination");
    GPUSCALE_CUDA_CHECK(cudaSetDevice(current_gpu().device));
    if (!bad.empty()) return finish_error(state, std::move(e), "validation failed: " + bad);
    e.work = transfer_work(c);
    finish_ok(state, std::move(e));
  });
}

}  // namespace

void register_gpu_transfer_benchmarks(const Options& opt) {
  // The peer matrix needs the GPU count; cudaGetDeviceCount creates no context and fails cleanly
  // without a GPU. With fewer than two GPUs one peer case stays, recorded as skipped with the reason.
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) != cudaSuccess) gpus = 0;
  for (const TransferCase& c : gpu_transfer_cases(opt.suite, gpus)) {
    if (c.direction == Direction::d2d_peer)
      register_benchmark(transfer_id(c), bench_peer, c, opt.policy);
    else
      register_benchmark(transfer_id(c), bench_host_device, c, opt.policy);
  }
}

}  // namespace gpuscale::bench
