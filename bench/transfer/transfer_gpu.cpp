// GPU transfers: host->device and device->host from pinned and pageable memory, both directions at
// once, by the copy engines (cudaMemcpyAsync) and by SMs (kernels/transfer/sm_copy.cu over mapped
// pinned memory); and device->device between every ordered GPU pair (cudaMemcpyPeerAsync, and the
// SM copy where peer access exists), with whether the pair has peer access and over which link.
//
// Timing (GpuCopyCase, gpu/gpu_case.hpp): CUDA events around a batch of back-to-back copies (enough
// for one sample to last SamplingPolicy::min_sample_s), seconds per copy = elapsed / batch. No CUDA
// graph: a pageable copy cannot be captured. Bandwidth = bytes transferred / time, counting each byte once (2
// x bytes for bidir), GB = 1e9. Every destination is checked against the source pattern after timing.
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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpu/cuda_check.hpp"
#include "gpu/gpu_backend.hpp"
#include "gpu/gpu_case.hpp"
#include "gpu/nvml.hpp"
#include "gpu/resources.hpp"
#include "gpu/verify.hpp"
#include "gpuscale/core/units.hpp"
#include "sm_copy.hpp"
#include "transfer/numa.hpp"
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

int sm_grid(int device) {
  int sms = 0;
  GPUSCALE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return 4 * sms;
}

void copy(Engine e, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, int grid,
          cudaStream_t s) {
  if (e == Engine::copy_engine)
    GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, s));
  else
    GPUSCALE_CUDA_CHECK(kernels::launch_sm_copy(dst, src, bytes, grid, s));
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
  return "GPU " + std::to_string(device) + ": needs " + format_bytes(need) + ", " + format_bytes(free) +
         " free";
}

// Case-agnostic parts of a transfer case: id, parameters and work from transfer_cases.hpp.
class TransferGpuCase : public GpuCopyCase {
 public:
  explicit TransferGpuCase(TransferCase c) : c_(c) {}
  BenchmarkId id() const override { return transfer_id(c_); }
  nlohmann::json parameters(const GpuTarget&) const override { return transfer_parameters(c_); }
  Work work(const GpuTarget&) const override { return transfer_work(c_); }

 protected:
  TransferCase c_;
};

// Host<->device: h2d copies host_src -> dev_dst, d2h dev_src -> host_dst, bidir both at once.
class HostDeviceCase final : public TransferGpuCase {
 public:
  using TransferGpuCase::TransferGpuCase;

  class Body final : public GpuCopyCase::Body {
   public:
    Body(const TransferCase& c, const GpuTarget& gpu, CaseState& state) : c_(c), nvml_index_(gpu.nvml_index) {
      const std::size_t bytes = c.bytes;
      grid_ = sm_grid(gpu.device);
      if (c.engine == Engine::sm) state.parameters()["sm_grid"] = grid_;
      if (to_device()) {
        host_src_ = std::make_unique<HostBuffer>(c.memory, bytes);
        fill_ramp_host(host_src_->get(), bytes);
        dev_dst_ = DeviceBuffer<unsigned char>(bytes);
        GPUSCALE_CUDA_CHECK(cudaMemsetAsync(dev_dst_.get(), 0, bytes, up_.get()));
      }
      if (to_host()) {
        host_dst_ = std::make_unique<HostBuffer>(c.memory, bytes);
        std::memset(host_dst_->get(), 0, bytes);  // first touch, here
        dev_src_ = DeviceBuffer<unsigned char>(bytes);
        fill_f32(reinterpret_cast<float*>(dev_src_.get()), bytes / sizeof(float), true, 0, down_.get());
      }
      up_.synchronize();
      down_.synchronize();
      state.parameters()["host_numa_node"] =
          host_numa_node((to_device() ? host_src_ : host_dst_)->get(), bytes);
    }

    Copies copies() override {
      const bool sm = c_.engine == Engine::sm;
      auto h2d = [this, sm](cudaStream_t s) {
        copy(c_.engine, dev_dst_.get(), sm ? host_src_->device_view() : host_src_->get(), c_.bytes,
             cudaMemcpyHostToDevice, grid_, s);
      };
      auto d2h = [this, sm](cudaStream_t s) {
        copy(c_.engine, sm ? host_dst_->device_view() : host_dst_->get(), dev_src_.get(), c_.bytes,
             cudaMemcpyDeviceToHost, grid_, s);
      };
      if (c_.direction == Direction::bidir) return {&up_, h2d, &down_, d2h, nvml_index_};
      if (to_device()) return {&up_, h2d, nullptr, {}, nvml_index_};
      return {&down_, d2h, nullptr, {}, nvml_index_};
    }

    std::string check(CaseState&) override {
      if (to_device()) {
        const std::string bad = compare_f32(reinterpret_cast<const float*>(dev_dst_.get()),
                                            c_.bytes / sizeof(float), true, 1, 0, 0, up_.get())
                                    .describe("device destination");
        if (!bad.empty()) return bad;
      }
      if (to_host()) {
        down_.synchronize();
        return check_ramp_host(host_dst_->get(), c_.bytes, "host destination");
      }
      return {};
    }

   private:
    bool to_device() const { return c_.direction != Direction::d2h; }
    bool to_host() const { return c_.direction != Direction::h2d; }
    const TransferCase& c_;
    int nvml_index_;
    int grid_ = 0;
    Stream up_, down_;
    std::unique_ptr<HostBuffer> host_src_, host_dst_;
    DeviceBuffer<unsigned char> dev_dst_, dev_src_;
  };

  std::unique_ptr<GpuCopyCase::Body> setup(CaseState& state) const override {
    const GpuTarget& gpu = state.gpu();
    state.parameters()["gpu_numa_node"] = numa_or_unknown(gpu.info.numa_node);
    GPUSCALE_CUDA_CHECK(cudaSetDevice(gpu.device));
    if (auto why =
            device_memory_short(gpu.device, c_.direction == Direction::bidir ? 2 * c_.bytes : c_.bytes);
        !why.empty()) {
      state.skip(why);
      return nullptr;
    }
    return std::make_unique<Body>(c_, gpu, state);
  }
};

int device_numa_node(int device) {
  char bus[32] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) != cudaSuccess) return -1;
  return pci_numa_node(bus);
}

// Device -> device between two GPUs, pushed by the source: cudaMemcpyPeerAsync, or the SM copy
// where peer access exists.
class PeerCase final : public TransferGpuCase {
 public:
  using TransferGpuCase::TransferGpuCase;
  std::optional<int> gpu_index(const GpuTarget&) const override { return c_.src; }

  class Body final : public GpuCopyCase::Body {
   public:
    Body(const TransferCase& c, const GpuTarget& gpu, CaseState& state)
        : c_(c),
          home_(gpu.device),
          dst_stream_(stream_on(c.dst)),
          dst_(c.bytes),
          stream_(stream_on(c.src)),
          src_(c.bytes) {
      GPUSCALE_CUDA_CHECK(cudaSetDevice(c.dst));
      GPUSCALE_CUDA_CHECK(cudaMemsetAsync(dst_.get(), 0, c.bytes, dst_stream_.get()));
      dst_stream_.synchronize();
      GPUSCALE_CUDA_CHECK(cudaSetDevice(c.src));
      fill_f32(reinterpret_cast<float*>(src_.get()), c.bytes / sizeof(float), true, 0, stream_.get());
      stream_.synchronize();
      grid_ = sm_grid(c.src);
      if (c.engine == Engine::sm) state.parameters()["sm_grid"] = grid_;
      if (c.src == gpu.device) nvml_index_ = gpu.nvml_index;
    }

    Copies copies() override {
      return {
          &stream_,
          [this](cudaStream_t s) {
            if (c_.engine == Engine::copy_engine)
              GPUSCALE_CUDA_CHECK(cudaMemcpyPeerAsync(dst_.get(), c_.dst, src_.get(), c_.src, c_.bytes, s));
            else
              GPUSCALE_CUDA_CHECK(kernels::launch_sm_copy(dst_.get(), src_.get(), c_.bytes, grid_, s));
          },
          nullptr,
          {},
          nvml_index_};
    }

    std::string check(CaseState&) override {
      GPUSCALE_CUDA_CHECK(cudaSetDevice(c_.dst));
      const std::string bad = compare_f32(reinterpret_cast<const float*>(dst_.get()),
                                          c_.bytes / sizeof(float), true, 1, 0, 0, dst_stream_.get())
                                  .describe("peer destination");
      GPUSCALE_CUDA_CHECK(cudaSetDevice(home_));
      return bad;
    }

   private:
    // A stream on `device`, which stays the current device (the buffers after it are allocated there).
    static Stream stream_on(int device) {
      GPUSCALE_CUDA_CHECK(cudaSetDevice(device));
      return Stream();
    }
    const TransferCase& c_;
    int home_;
    int nvml_index_ = -1;
    int grid_ = 0;
    // In this order: the destination's stream and buffer on the destination GPU, then the source's.
    Stream dst_stream_;
    DeviceBuffer<unsigned char> dst_;
    Stream stream_;  // on the source GPU: it pushes
    DeviceBuffer<unsigned char> src_;
  };

  std::unique_ptr<GpuCopyCase::Body> setup(CaseState& state) const override {
    int count = 0;
    GPUSCALE_CUDA_CHECK(cudaGetDeviceCount(&count));
    if (c_.src >= count || c_.dst >= count) {
      state.skip("needs GPUs " + std::to_string(c_.src) + " and " + std::to_string(c_.dst) + ", " +
                 std::to_string(count) + " found");
      return nullptr;
    }
    int can = 0, atomics = 0, rank = 0;
    GPUSCALE_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, c_.src, c_.dst));
    if (can) {
      GPUSCALE_CUDA_CHECK(
          cudaDeviceGetP2PAttribute(&atomics, cudaDevP2PAttrNativeAtomicSupported, c_.src, c_.dst));
      GPUSCALE_CUDA_CHECK(cudaDeviceGetP2PAttribute(&rank, cudaDevP2PAttrPerformanceRank, c_.src, c_.dst));
    }
    nlohmann::json& p = state.parameters();
    p["peer_access"] = can != 0;
    p["p2p_performance_rank"] = rank;
    std::optional<bool> nvlink;
    if (can) {
      Nvml& nvml = Nvml::get();
      cudaDeviceProp pa{}, pb{};
      GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&pa, c_.src));
      GPUSCALE_CUDA_CHECK(cudaGetDeviceProperties(&pb, c_.dst));
      nvlink = nvml.p2p_nvlink(nvml.device_for_pci_bus_id(pci_bus_id(pa)),
                               nvml.device_for_pci_bus_id(pci_bus_id(pb)));
    }
    const PeerLink link = peer_link(can != 0, atomics != 0, nvlink);
    p["link"] = link.link;
    if (!link.inferred_from.empty()) p["link_inferred_from"] = link.inferred_from;
    p["src_numa_node"] = device_numa_node(c_.src);
    p["dst_numa_node"] = device_numa_node(c_.dst);
    if (c_.engine == Engine::sm && !can) {
      state.skip("no peer access between GPU " + std::to_string(c_.src) + " and " + std::to_string(c_.dst) +
                 ": an SM copy cannot reach the peer");
      return nullptr;
    }
    for (int d : {c_.src, c_.dst})
      if (auto why = device_memory_short(d, c_.bytes); !why.empty()) {
        state.skip(why);
        return nullptr;
      }
    if (can) {
      for (auto [a, b] : {std::pair{c_.src, c_.dst}, std::pair{c_.dst, c_.src}}) {
        GPUSCALE_CUDA_CHECK(cudaSetDevice(a));
        const cudaError_t r = cudaDeviceEnablePeerAccess(b, 0);
        if (r != cudaSuccess && r != cudaErrorPeerAccessAlreadyEnabled) GPUSCALE_CUDA_CHECK(r);
        (void)cudaGetLastError();  // clear "already enabled"
      }
    }
    return std::make_unique<Body>(c_, state.gpu(), state);
  }
};

}  // namespace

CaseList transfer_gpu_cases(const std::string& suite, int gpus) {
  CaseList cases;
  for (const TransferCase& c : gpu_transfer_cases(suite, gpus)) {
    if (c.direction == Direction::d2d_peer)
      cases.push_back(std::make_unique<PeerCase>(c));
    else
      cases.push_back(std::make_unique<HostDeviceCase>(c));
  }
  return cases;
}

int visible_gpu_count() {
  // cudaGetDeviceCount creates no context and fails cleanly without a GPU.
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) != cudaSuccess) gpus = 0;
  return gpus;
}

}  // namespace gpuscale::bench
