// sendrecv: around the ring, rank r sends its buffer to rank (r+1) mod n and receives rank
// (r-1) mod n's. Message size B: each rank's buffer. Out of place only: a grouped send/recv has no
// in-place form that does not race. busbw factor 1.
#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp sendrecv = {
    .name = "sendrecv",
    .shape = Shape::whole,
    .reduces = false,
    .has_in_place = false,
    .quick_gpu = QuickGpu::none,
    .expected = [](int rank, int ranks, std::size_t,
                   std::size_t j) { return input_value((rank + ranks - 1) % ranks, j); },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          const int n = c.ranks;
          GPUSCALE_NCCL_CHECK(ncclGroupStart());
          GPUSCALE_NCCL_CHECK(
              ncclSend(c.send, c.layout.send_count, c.dtype, (c.rank + 1) % n, c.comm, c.stream));
          GPUSCALE_NCCL_CHECK(
              ncclRecv(c.recv, c.layout.recv_count, c.dtype, (c.rank + n - 1) % n, c.comm, c.stream));
          GPUSCALE_NCCL_CHECK(ncclGroupEnd());
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          const int n = c.ranks;
          GPUSCALE_MPI_CHECK(MPI_Sendrecv(c.input, c.count(), c.dtype, (c.rank + 1) % n, 0, c.recv, c.count(),
                                          c.dtype, (c.rank + n - 1) % n, 0, c.comm, MPI_STATUS_IGNORE));
        },
#endif
};

}  // namespace gpuscale::bench::collective_ops
