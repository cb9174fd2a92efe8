// bench_transfer: host<->device copies (pinned and pageable memory, each direction and both at once,
// copy engines and SM copies) and device<->device peer copies between every GPU pair, 4 KiB .. 1 GiB,
// with the NUMA nodes of the GPU and of the host buffer. Bandwidth counts each transferred byte once
// (both directions for bidir); GB = 1e9 bytes. Every copy is checked after timing.
//
//   bench_transfer --benchmark_filter='transfer/h2d/memory:pinned/engine:copy_engine'
//   numactl --cpunodebind=0 --membind=0 bench_transfer --gpuscale_out=transfer.json
#include "harness/bench_main.hpp"
#include "transfer/transfer_cases.hpp"
#ifdef GPUSCALE_WITH_CUDA
#include "gpu/gpu_backend.hpp"
#endif

int main(int argc, char** argv) {
  using namespace gpuscale::bench;
  BinarySpec spec;
  spec.name = "bench_transfer";
  spec.description =
      "Transfers: host->device (h2d), device->host (d2h) and both at once (bidir) from pinned and pageable\n"
      "memory by the copy engines (cudaMemcpyAsync) and by SMs (a copy kernel on mapped pinned memory);\n"
      "device->device between every GPU pair (d2d_peer) with peer access and link recorded. 4 KiB .. 1 GiB\n"
      "(x16, quick; x2 with --suite=full). Bandwidth counts each byte transferred once (2 x bytes for\n"
      "bidir). The NUMA nodes of the GPU and the host buffer are recorded: place the process with numactl.";
  spec.example = "bench_transfer --benchmark_filter='transfer/h2d/' --gpuscale_out=transfer.json";
#ifdef GPUSCALE_WITH_CUDA
  // The peer matrix needs the GPU count; with fewer than two GPUs one peer case stays, recorded as
  // skipped with the reason.
  spec.register_gpu = [](Registry& r) { r.add(transfer_gpu_cases(r.suite(), visible_gpu_count())); };
  spec.gpu = gpu_backend();
#endif
  return bench_main(argc, argv, spec);
}
