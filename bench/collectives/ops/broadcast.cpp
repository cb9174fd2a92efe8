// broadcast: every rank ends with rank 0's input. Message size B: the buffer broadcast. In place:
// one buffer. Out of place on MPI the root also copies its input to its output, as NCCL's
// broadcast does. busbw factor 1.
#include <cstring>

#include "collectives/ops/op.hpp"

namespace gpuscale::bench::collective_ops {

extern const CollectiveOp broadcast = {
    .name = "broadcast",
    .shape = Shape::whole,
    .reduces = false,
    .has_in_place = true,
    .quick_gpu = QuickGpu::none,
    .expected = [](int, int, std::size_t, std::size_t j) { return input_value(kRoot, j); },
#ifdef GPUSCALE_WITH_NCCL
    .nccl =
        [](const NcclCall& c) {
          GPUSCALE_NCCL_CHECK(
              ncclBroadcast(c.send, c.recv, c.layout.send_count, c.dtype, kRoot, c.comm, c.stream));
        },
#endif
#ifdef GPUSCALE_WITH_MPI
    .mpi =
        [](const MpiCall& c) {
          if (!c.in_place && c.rank == kRoot)
            std::memcpy(c.recv, c.input, c.layout.recv_count * c.elem_bytes);
          GPUSCALE_MPI_CHECK(MPI_Bcast(c.recv, c.count(), c.dtype, kRoot, c.comm));
        },
#endif
};

}  // namespace gpuscale::bench::collective_ops
