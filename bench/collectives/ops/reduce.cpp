// reduce: rank 0 ends with the element-wise sum of every rank's input; the other ranks' outputs are
// not written, and not checked. Message size B: each rank's input and output buffer. In place: one
// buffer (on MPI only the root passes MPI_IN_PLACE: the others send their one buffer). busbw factor
// 1 (nccl-tests' reduce_perf).
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp reduce = {
    .name = "reduce",
    .shape = Shape::whole,
    .reduces = true,
    .has_in_place = true,
    .quick_gpu = QuickGpu::none,
    .expected = [](int, int ranks, std::size_t, std::size_t j) { return sum_of_inputs(ranks, j); },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          GPUSCALE_NCCL_CHECK(
              ncclReduce(c.send, c.recv, c.layout.send_count, c.dtype, ncclSum, kRoot, c.comm, c.stream));
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          const void* send = c.in_place && c.rank != kRoot ? c.input : c.send;
          GPUSCALE_MPI_CHECK(MPI_Reduce(send, c.recv, c.count(), c.dtype, c.sum, kRoot, c.comm));
        },
#endif
    .output = [](int rank, const Layout& l, bool, bool) -> OutputView {
      return {0, rank == kRoot ? l.recv_count : 0};
    },
};

}  // namespace gpuscale::bench::collective_ops
