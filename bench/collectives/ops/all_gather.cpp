// all_gather: every rank ends with every rank's input, block r from rank r. Message size B: the
// gathered output (each rank contributes B/n). In place: the input is the rank's own block of the
// output (offset rank x B/n). busbw factor (n-1)/n.
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp all_gather = {
    .name = "all_gather",
    .shape = Shape::gather,
    .reduces = false,
    .has_in_place = true,
    .quick_gpu = QuickGpu::fp32,
    .expected = [](int, int, std::size_t chunk,
                   std::size_t j) { return input_value(static_cast<int>(j / chunk), j % chunk); },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          const char* send = c.in_place ? c.recv + c.rank * c.block_bytes() : c.send;
          GPUSCALE_NCCL_CHECK(ncclAllGather(send, c.recv, c.layout.chunk, c.dtype, c.comm, c.stream));
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          GPUSCALE_MPI_CHECK(MPI_Allgather(c.send, c.chunk(), c.dtype, c.recv, c.chunk(), c.dtype, c.comm));
        },
#endif
    .in_place_input = [](int rank, const Layout& l) { return static_cast<std::size_t>(rank) * l.chunk; },
};

}  // namespace gpuscale::bench::collective_ops
