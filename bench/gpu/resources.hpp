// Move-only RAII owners of CUDA resources: device and pinned buffers, streams, events and
// instantiated graphs. Copying is deleted; moving hands the handle over with std::exchange;
// destructors release and never throw.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "gpu/cuda_check.hpp"

namespace gpuscale::bench {

// Device memory (cudaMalloc) and page-locked host memory (cudaMallocHost).
struct DeviceMemory {
  static void* allocate(std::size_t bytes) {
    void* p = nullptr;
    GPUSCALE_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  static void release(void* p) { GPUSCALE_CUDA_WARN(cudaFree(p)); }
};
struct PinnedMemory {
  static void* allocate(std::size_t bytes) {
    void* p = nullptr;
    GPUSCALE_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
  }
  static void release(void* p) { GPUSCALE_CUDA_WARN(cudaFreeHost(p)); }
};

// `count` elements of T from Memory; uninitialised.
template <typename T, typename Memory>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t count)
      : ptr_(static_cast<T*>(Memory::allocate(count * sizeof(T)))), count_(count) {}
  ~Buffer() {
    if (ptr_) Memory::release(ptr_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(count_, o.count_);
    return *this;
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

template <typename T>
using DeviceBuffer = Buffer<T, DeviceMemory>;
template <typename T>
using PinnedBuffer = Buffer<T, PinnedMemory>;

class Stream {
 public:
  Stream() { GPUSCALE_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_) GPUSCALE_CUDA_WARN(cudaStreamDestroy(s_));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  cudaStream_t get() const { return s_; }
  void synchronize() const { GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { GPUSCALE_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_) GPUSCALE_CUDA_WARN(cudaEventDestroy(e_));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) const { GPUSCALE_CUDA_CHECK(cudaEventRecord(e_, s)); }
  // Seconds from `start` to this event (both recorded and complete).
  double seconds_since(const Event& start) const {
    float ms = 0;
    GPUSCALE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

class GraphExec {
 public:
  GraphExec() = default;
  explicit GraphExec(cudaGraph_t graph) { GPUSCALE_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph, 0)); }
  ~GraphExec() {
    if (exec_) GPUSCALE_CUDA_WARN(cudaGraphExecDestroy(exec_));
  }
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  GraphExec(GraphExec&& o) noexcept : exec_(std::exchange(o.exec_, nullptr)) {}
  GraphExec& operator=(GraphExec&& o) noexcept {
    std::swap(exec_, o.exec_);
    return *this;
  }
  explicit operator bool() const { return exec_ != nullptr; }
  void launch(cudaStream_t s) const { GPUSCALE_CUDA_CHECK(cudaGraphLaunch(exec_, s)); }

 private:
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace gpuscale::bench
