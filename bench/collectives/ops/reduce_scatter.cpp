// reduce_scatter: rank r ends with block r of the element-wise sum of every rank's input. Message
// size B: each rank's input (it receives B/n). In place: the output is the rank's own block of the
// input on NCCL, the first block on MPI (MPI_IN_PLACE semantics). busbw factor (n-1)/n.
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp reduce_scatter = {
    .name = "reduce_scatter",
    .shape = Shape::scatter,
    .reduces = true,
    .has_in_place = true,
    .quick_gpu = QuickGpu::fp32,
    .expected =
        [](int rank, int ranks, std::size_t chunk, std::size_t j) {
          return sum_of_inputs(ranks, static_cast<std::size_t>(rank) * chunk + j);
        },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          char* recv =
              c.in_place ? c.recv + c.rank * c.block_bytes() : c.recv;  // the one buffer is the input
          GPUSCALE_NCCL_CHECK(
              ncclReduceScatter(c.send, recv, c.layout.chunk, c.dtype, ncclSum, c.comm, c.stream));
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          GPUSCALE_MPI_CHECK(MPI_Reduce_scatter_block(c.send, c.recv, c.chunk(), c.dtype, c.sum, c.comm));
        },
#endif
    .output = [](int rank, const Layout& l, bool in_place, bool mpi) -> OutputView {
      if (in_place && !mpi) return {static_cast<std::size_t>(rank) * l.chunk, l.chunk};
      return {0, l.recv_count};
    },
};

}  // namespace gpuscale::bench::collective_ops
