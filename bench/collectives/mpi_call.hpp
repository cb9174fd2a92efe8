// One rank's collective call on host buffers, as the MPI backend hands it to an op's `mpi`
// function (collectives/ops/<name>.cpp). MPI builds only.
#pragma once

#include <mpi.h>

#include <cstddef>

#include "collectives/collective_ops.hpp"
#include "collectives/mpi_group.hpp"  // GPUSCALE_MPI_CHECK

namespace gpuscale::bench {

struct MpiCall {
  void* send;         // MPI_IN_PLACE in place, else the input buffer
  void* recv;         // the output buffer (in place: the one buffer)
  const void* input;  // the input buffer itself (in place: the one buffer)
  const Layout& layout;
  std::size_t elem_bytes;
  MPI_Datatype dtype;  // MPI_FLOAT, or MPI_UINT16_T for BF16
  MPI_Op sum;          // MPI_SUM, or the group's BF16 sum
  int rank;
  int ranks;
  bool in_place;
  MPI_Comm comm;
  int count() const { return static_cast<int>(layout.send_count); }  // the backend checked it fits
  int chunk() const { return static_cast<int>(layout.chunk); }
};

}  // namespace gpuscale::bench
