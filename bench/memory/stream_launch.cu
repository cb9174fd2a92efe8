#include "memory/stream_launch.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "gpu/cuda_check.hpp"
#include "kernels/memory/pointer_chase.hpp"
#include "kernels/memory/stream.hpp"

namespace gpuscale::bench {

int stream_grid(MemoryOp op, int width_bytes, int sm_count) {
  int blocks = 0;
  GPUSCALE_CUDA_CHECK(kernels::stream_blocks_per_sm(op, width_bytes, kernels::kStreamBlock, &blocks));
  if (blocks < 1) throw std::runtime_error("the stream kernel fits no block of " +
                                           std::to_string(kernels::kStreamBlock) + " threads on an SM");
  return blocks * sm_count;
}

StreamOutputs::StreamOutputs(int grid_) : partials(grid_), grid(grid_) {}

void StreamOutputs::finish(cudaStream_t s) {
  std::vector<double> host(grid);
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(host.data(), partials.get(), partials.bytes(), cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
  read_sum = kernels::stream_read_total(host.data(), grid);
}

StreamLaunch make_stream_launch(MemoryOp op, int width_bytes, float* a, float* b, float* c, std::size_t n,
                                float scalar, float fill, int grid, StreamOutputs& out) {
  if (!kernels::stream_width_supported(width_bytes))
    throw std::invalid_argument("unsupported access width " + std::to_string(width_bytes));
  kernels::StreamArgs args;
  args.a = a;
  args.b = b;
  args.c = c;
  args.n = n;
  args.scalar = scalar;
  args.value = fill;
  args.partials = out.partials.get();
  if (grid > out.grid) throw std::invalid_argument("the read op's partial sums hold fewer blocks than the grid");
  return [=](cudaStream_t s) {
    GPUSCALE_CUDA_CHECK(kernels::launch_stream(op, args, width_bytes, grid, kernels::kStreamBlock, s));
  };
}

PointerChase::PointerChase(std::uint64_t bytes, cudaStream_t s) : loads_(kChaseLoads) {
  const kernels::PointerChasePlan plan = kernels::make_pointer_chase(bytes, kChaseStrideBytes);
  elements_ = plan.words.size();
  start_ = plan.start;
  next_ = DeviceBuffer<std::uint32_t>(plan.words.size());
  result_ = DeviceBuffer<std::uint64_t>(2);
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(next_.get(), plan.words.data(), next_.bytes(), cudaMemcpyHostToDevice, s));
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));  // plan.words is freed when this returns
  expected_end_ = kernels::pointer_chase_end(plan.words, plan.start, loads_);
}

void PointerChase::launch(cudaStream_t s) {
  GPUSCALE_CUDA_CHECK(kernels::launch_pointer_chase(next_.get(), start_, loads_, kernels::PointerChaseCache::l1,
                                                    result_.get(), s));
}

std::string PointerChase::validate(cudaStream_t s) {
  std::uint64_t got[2] = {};
  GPUSCALE_CUDA_CHECK(cudaMemcpyAsync(got, result_.get(), sizeof got, cudaMemcpyDeviceToHost, s));
  GPUSCALE_CUDA_CHECK(cudaStreamSynchronize(s));
  if (got[1] != loads_)
    return "the chase did " + std::to_string(got[1]) + " loads, expected " + std::to_string(loads_);
  if (got[0] != expected_end_)
    return "the chase ended at word " + std::to_string(got[0]) + ", expected " + std::to_string(expected_end_);
  return {};
}

}  // namespace gpuscale::bench
