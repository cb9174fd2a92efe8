// bench_memory: memory bandwidth (the stream operations of bench/memory/ops at 4/8/16-byte
// accesses, 1 MiB .. several GiB, cudaMemcpyAsync device-to-device beside them) and pointer-chase
// latency. Bandwidths count bytes read + bytes written; GB = 1e9 bytes.
//
//   bench_memory --benchmark_filter='memory/copy/.*width:16'
//   bench_memory --backend=host --gpuscale_out=host.json
#include <string>

#include "harness/bench_main.hpp"
#include "memory/memory_cases.hpp"
#include "memory/stream_op.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/gpu_backend.hpp"
#endif

int main(int argc, char** argv) {
  using namespace gpuscale::bench;
  std::string ops;
  for (const StreamOp* op : stream_ops()) ops += (ops.empty() ? "" : ", ") + std::string(op->name());
  BinarySpec spec;
  spec.name = "bench_memory";
  spec.description =
      "Memory bandwidth and latency: BabelStream-style kernels (" + ops +
      ")\n"
      "with 4/8/16-byte accesses over a 1 MiB .. 4 GiB sweep (16 GiB with --suite=full),\n"
      "cudaMemcpyAsync device-to-device as the reference, and a pointer chase through L1/L2/HBM.\n"
      "Every output is validated after timing; a wrong result is an error, never a number.";
  spec.example = "bench_memory --benchmark_filter='memory/copy/.*width:16' --benchmark_format=json";
  spec.register_host = [](Registry& r) { r.add(memory_host_cases(r.suite())); };
#ifdef GPUSCALE_WITH_CUDA
  spec.register_gpu = [](Registry& r) { r.add(memory_gpu_cases(r.suite())); };
  spec.gpu = gpu_backend();
#endif
  return bench_main(argc, argv, spec);
}
