// alltoall: block b of rank r's output is block r of rank b's input. Message size B: each rank's
// send buffer (B/n to every rank, itself included). Out of place only: NCCL has no in-place form
// that does not race. busbw factor (n-1)/n. NCCL before 2.28 has no ncclAlltoAll: a grouped
// send/recv per peer instead.
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp alltoall = {
    .name = "alltoall",
    .shape = Shape::blocks,
    .reduces = false,
    .has_in_place = false,
    .quick_gpu = QuickGpu::none,
    .expected =
        [](int rank, int, std::size_t chunk, std::size_t j) {
          return input_value(static_cast<int>(j / chunk), static_cast<std::size_t>(rank) * chunk + j % chunk);
        },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 28, 0)
          GPUSCALE_NCCL_CHECK(ncclAlltoAll(c.send, c.recv, c.layout.chunk, c.dtype, c.comm, c.stream));
#else
          const std::size_t block = c.block_bytes();
          GPUSCALE_NCCL_CHECK(ncclGroupStart());
          for (int p = 0; p < c.ranks; ++p) {
            GPUSCALE_NCCL_CHECK(ncclSend(c.send + p * block, c.layout.chunk, c.dtype, p, c.comm, c.stream));
            GPUSCALE_NCCL_CHECK(ncclRecv(c.recv + p * block, c.layout.chunk, c.dtype, p, c.comm, c.stream));
          }
          GPUSCALE_NCCL_CHECK(ncclGroupEnd());
#endif
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          GPUSCALE_MPI_CHECK(MPI_Alltoall(c.send, c.chunk(), c.dtype, c.recv, c.chunk(), c.dtype, c.comm));
        },
#endif
};

}  // namespace gpuscale::bench::collective_ops
