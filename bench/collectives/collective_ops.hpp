// The collectives bench_collectives measures, described once for every backend (NCCL on device
// buffers, MPI on host buffers), nccl-tests style: per collective the buffer layout that a message
// size implies, the input pattern, the expected output and the bus factor (core's bus_factor(), the
// one place for nccl-tests' factors). Pure host code: no CUDA, no MPI, unit-tested.
//
// Message size (`bytes` in the id, work.message_bytes, nccl-tests' "size" column) per collective,
// with n ranks and B = bytes:
//   all_reduce      every rank's input and output buffer: B
//   all_gather      the gathered output on each rank: B (each rank contributes B/n)
//   reduce_scatter  the input on each rank: B (each rank receives its B/n block, reduced)
//   broadcast       the buffer broadcast from rank 0: B
//   alltoall        each rank's send buffer: B (B/n to every rank, itself included)
//   sendrecv        each rank's buffer sent to rank (r+1) mod n, received from (r-1) mod n: B
// algbw = B / time, busbw = algbw x bus_factor(op, n). Where n x element size does not divide B the
// element count is rounded down to a multiple of n (nccl-tests does the same) and the size actually
// moved is what the entry declares; a size smaller than one element per rank is skipped.
//
// In place: all_reduce and broadcast use one buffer; all_gather reads its input from its own block of
// the output (offset rank x B/n); reduce_scatter's output is its rank's block of the input on NCCL
// and the first block on MPI (MPI_IN_PLACE semantics). alltoall and sendrecv are out of place only:
// neither NCCL nor a grouped send/recv has an in-place form that does not race.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"

namespace gpuscale::bench {

enum class Collective { all_reduce, all_gather, reduce_scatter, broadcast, alltoall, sendrecv };
enum class DType { fp32, bf16 };

struct CollectiveInfo {
  Collective op;
  std::string_view name;  // id and bus_factor() key
  bool reduces;           // sums across ranks (needs a reduction operator)
  bool has_in_place;
};
inline constexpr CollectiveInfo kCollectives[] = {
    {Collective::all_reduce, "all_reduce", true, true},
    {Collective::all_gather, "all_gather", false, true},
    {Collective::reduce_scatter, "reduce_scatter", true, true},
    {Collective::broadcast, "broadcast", false, true},
    {Collective::alltoall, "alltoall", false, false},
    {Collective::sendrecv, "sendrecv", false, false},
};
const CollectiveInfo& collective_info(Collective op);
std::string_view dtype_name(DType t);  // "fp32" | "bf16"
std::size_t dtype_bytes(DType t);      // 4 | 2

inline constexpr int kRoot = 0;  // broadcast root

// Element counts of one rank's buffers for a message of `bytes`.
struct Layout {
  std::size_t send_count = 0;       // elements of the input buffer
  std::size_t recv_count = 0;       // elements of the output buffer
  std::size_t chunk = 0;            // elements per rank block (all_gather, reduce_scatter, alltoall)
  std::uint64_t message_bytes = 0;  // size actually moved (bytes rounded down, see above); 0: too small
  // Elements of the one buffer an in-place run uses: max(send_count, recv_count).
  std::size_t in_place_count() const { return send_count > recv_count ? send_count : recv_count; }
  // Device + host bytes one rank needs for its buffers.
  std::uint64_t buffer_bytes(DType t, bool in_place) const;
};
Layout make_layout(Collective op, std::uint64_t bytes, int ranks, DType t);

// bus_factor(name, ranks) from core: the only place the factors live.
double collective_bus_factor(Collective op, int ranks);

// Input element i of `rank`: small integers 1..4, so every sum over up to 64 ranks is exact in
// BF16 and FP32 whatever order the library reduces in (a check can then demand equality).
double input_value(int rank, std::size_t i);
// A value no correct output holds; outputs are filled with it before the checked run.
inline constexpr double kSentinel = -1.0;
// Expected element j of `rank`'s output (its recv buffer, or for in-place reduce_scatter on MPI the
// first block). `chunk` as in Layout.
double expected_value(Collective op, int rank, int ranks, std::size_t chunk, std::size_t j);
// Largest difference allowed between an output and its expected value: 0 while sums are exact.
double tolerance(Collective op, DType t, int ranks);

// BF16 stored as its 16 bits; round to nearest even from float.
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t b);

// Fills `count` elements of `buf` (dtype t) with input_value(rank, offset + i).
void fill_input(DType t, int rank, void* buf, std::size_t count, std::size_t offset = 0);
void fill_sentinel(DType t, void* buf, std::size_t count);
// "" when the `count` elements at `out` are the expected output of `rank`, else the first wrong
// element described ("element 17 = 3, expected 10 (6 of 1024 elements wrong)").
std::string check_output(Collective op, DType t, int rank, int ranks, std::size_t chunk, const void* out,
                         std::size_t count);

// Initial contents of one rank's buffers: inputs from input_value(), outputs set to kSentinel. Out
// of place: `send` (layout.send_count elements) and `recv` (recv_count). In place: `recv` is the one
// buffer (in_place_count elements) and `send` is ignored.
void init_buffers(Collective op, DType t, int rank, const Layout& l, bool in_place, void* send, void* recv);

// Where a rank's output lies in its recv buffer (the one buffer, in place), in elements.
struct OutputView {
  std::size_t offset = 0;
  std::size_t count = 0;
};
// `mpi_in_place_semantics`: MPI_Reduce_scatter_block with MPI_IN_PLACE leaves the result in the
// first block; NCCL's in-place reduce_scatter in the rank's own block.
OutputView output_view(Collective op, int rank, const Layout& l, bool in_place, bool mpi_in_place_semantics);

// Message sizes: 8 B upward by `step` (x8 quick, x2 full) to `last` (1 GiB quick, 4 GiB full on
// GPUs; the host backend stops earlier: it proves the path, not a network).
std::vector<std::uint64_t> collective_sweep_bytes(const std::string& suite, bool host);

// The cases one suite registers, in registration order (identical on every rank).
struct CollectiveCase {
  Collective op;
  DType dtype;
  std::uint64_t bytes;
  bool in_place;
};
// Quick: all_reduce (fp32 and bf16), all_gather and reduce_scatter (fp32), out of place. Full: every
// collective, both dtypes, in place and out of place. The host backend's quick suite adds every other
// collective at both dtypes so that CI covers the whole path.
std::vector<CollectiveCase> collective_cases(const std::string& suite, bool host);

// `collective[/host]/NAME/dtype:D/bytes:B/ranks:N/inplace:0|1`
BenchmarkId collective_id(const CollectiveCase& c, int ranks, bool host);

}  // namespace gpuscale::bench
