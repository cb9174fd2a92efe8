// all_reduce: every rank ends with the element-wise sum of every rank's input. Message size B: each
// rank's input and output buffer. In place: one buffer. busbw factor 2(n-1)/n.
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp all_reduce = {
    .name = "all_reduce",
    .shape = Shape::whole,
    .reduces = true,
    .has_in_place = true,
    .quick_gpu = QuickGpu::fp32_and_bf16,
    .expected = [](int, int ranks, std::size_t, std::size_t j) { return sum_of_inputs(ranks, j); },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          GPUSCALE_NCCL_CHECK(
              ncclAllReduce(c.send, c.recv, c.layout.send_count, c.dtype, ncclSum, c.comm, c.stream));
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          GPUSCALE_MPI_CHECK(MPI_Allreduce(c.send, c.recv, c.count(), c.dtype, c.sum, c.comm));
        },
#endif
};

}  // namespace gpuscale::bench::collective_ops
