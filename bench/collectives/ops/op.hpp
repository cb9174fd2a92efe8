// What a collective's file (collectives/ops/<name>.cpp) includes: the shared description
// (CollectiveOp, layouts, input pattern) and each backend's call where the build has that backend.
// An op file defines `extern const CollectiveOp <name>` in gpuscale::bench::collective_ops, with its
// `nccl` function under GPUSCALE_WITH_NCCL and its `mpi` function under GPUSCALE_WITH_MPI, and
// ops.def lists it once.
#pragma once

#include "collectives/collective_ops.hpp"
#ifdef GPUSCALE_WITH_NCCL
#include "collectives/nccl_call.hpp"
#endif
#ifdef GPUSCALE_WITH_MPI
#include "collectives/mpi_call.hpp"
#endif
