// The collectives bench_collectives measures, nccl-tests style. Each collective is one file,
// collectives/ops/<name>.cpp, holding its CollectiveOp: the shape of its buffers for a message size,
// its expected output, its in-place quirks, its NCCL call and its MPI call; ops/ops.def lists them
// once. This header is what every backend shares: layouts, the input pattern, checks, BF16, sweeps,
// suites and ids. Pure host code (no CUDA, no MPI), unit-tested.
//
// Message size (`bytes` in the id, work.message_bytes, nccl-tests' "size" column) is the largest
// buffer of one rank: the input and output of all_reduce, the gathered output of all_gather, the
// input of reduce_scatter and alltoall (each op's file says). algbw = B / time, busbw = algbw x
// bus_factor(op, n): nccl-tests' factors, in core's bus_factor() (every collective of nccl-tests,
// so that calibrate and the planner read the same factor). Where
// n x element size does not divide B the element count is rounded down to a multiple of n
// (nccl-tests does the same) and the size actually moved is what the entry declares; a size smaller
// than one element per rank is skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"

namespace gpuscale::bench {

enum class DType { fp32, bf16 };
std::string_view dtype_name(DType t);  // "fp32" | "bf16"
std::size_t dtype_bytes(DType t);      // 4 | 2

inline constexpr int kRoot = 0;  // the root of rooted collectives (broadcast)

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

// How one rank's buffers follow from the message size B on n ranks.
enum class Shape {
  whole,    // input and output B (all_reduce, broadcast, sendrecv)
  gather,   // input B/n, output B (all_gather)
  scatter,  // input B, output B/n (reduce_scatter)
  blocks,   // input and output B, as n blocks of B/n (alltoall)
};

// Where a rank's output lies in its output buffer (the one buffer, in place), in elements.
struct OutputView {
  std::size_t offset = 0;
  std::size_t count = 0;
};

// Which dtypes of a collective the quick GPU suite runs (out of place); the full suite and the host
// backend run every collective at both dtypes, in place and out of place.
enum class QuickGpu { none, fp32, fp32_and_bf16 };

struct NcclCall;  // collectives/nccl_call.hpp: one rank's call on device buffers (NCCL builds)
struct MpiCall;   // collectives/mpi_call.hpp: one rank's call on host buffers (MPI builds)

// One collective: everything bench_collectives needs to know about it, in its own file
// (collectives/ops/<name>.cpp) listed once in collectives/ops/ops.def. The driver, both backends,
// the ids, the checks and the results work from this description alone.
struct CollectiveOp {
  std::string_view name;  // the id's name and parameters.collective
  Shape shape;
  bool reduces;  // sums across ranks (needs a reduction operator; the check allows rounding)
  bool has_in_place;
  QuickGpu quick_gpu;
  // Element j of `rank`'s output view, from input_value() of the ranks (`chunk` as in Layout).
  double (*expected)(int rank, int ranks, std::size_t chunk, std::size_t j);
  // The NCCL call (NCCL builds) and the MPI call (MPI builds). A backend without it skips the case.
  void (*nccl)(const NcclCall& call) = nullptr;
  void (*mpi)(const MpiCall& call) = nullptr;
  // In place: the element offset of `rank`'s input in the one buffer; null: 0.
  std::size_t (*in_place_input)(int rank, const Layout& l) = nullptr;
  // Where `rank`'s output lies; null: the whole output buffer. `mpi`: MPI's in-place semantics
  // (MPI_Reduce_scatter_block leaves the result in the first block, NCCL in the rank's own block).
  OutputView (*output)(int rank, const Layout& l, bool in_place, bool mpi) = nullptr;
};

// Every collective, in the order of collectives/ops/ops.def (the registration order).
const std::vector<const CollectiveOp*>& collectives();
// The collective of that name; throws std::invalid_argument for an unknown name.
const CollectiveOp& collective(std::string_view name);

Layout make_layout(const CollectiveOp& op, std::uint64_t bytes, int ranks, DType t);

// core's bus_factor(op.name, ranks).
double collective_bus_factor(const CollectiveOp& op, int ranks);

// Input element i of `rank`: small integers 1..4, so every sum over up to 64 ranks is exact in
// BF16 and FP32 whatever order the library reduces in (a check can then demand equality).
double input_value(int rank, std::size_t i);
// Sum over ranks 0..ranks-1 of input_value(r, i): what a reduction of element i gives.
double sum_of_inputs(int ranks, std::size_t i);
// A value no correct output holds; outputs are filled with it before the checked run.
inline constexpr double kSentinel = -1.0;
// Expected element j of `rank`'s output (its recv buffer, or for in-place reduce_scatter on MPI the
// first block). `chunk` as in Layout.
double expected_value(const CollectiveOp& op, int rank, int ranks, std::size_t chunk, std::size_t j);
// Largest difference allowed between an output and its expected value: 0 while sums are exact.
double tolerance(const CollectiveOp& op, DType t, int ranks);

// BF16 stored as its 16 bits; round to nearest even from float.
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t b);

// Fills `count` elements of `buf` (dtype t) with input_value(rank, offset + i).
void fill_input(DType t, int rank, void* buf, std::size_t count, std::size_t offset = 0);
void fill_sentinel(DType t, void* buf, std::size_t count);
// "" when the `count` elements at `out` are the expected output of `rank`, else the first wrong
// element described ("element 17 = 3, expected 10 (6 of 1024 elements wrong)").
std::string check_output(const CollectiveOp& op, DType t, int rank, int ranks, std::size_t chunk,
                         const void* out, std::size_t count);

// Initial contents of one rank's buffers: inputs from input_value(), outputs set to kSentinel. Out
// of place: `send` (layout.send_count elements) and `recv` (recv_count). In place: `recv` is the one
// buffer (in_place_count elements) and `send` is ignored.
void init_buffers(const CollectiveOp& op, DType t, int rank, const Layout& l, bool in_place, void* send,
                  void* recv);

// Where `rank`'s output lies in its recv buffer (op.output, or all of it).
OutputView output_view(const CollectiveOp& op, int rank, const Layout& l, bool in_place,
                       bool mpi_in_place_semantics);

// Message sizes: 8 B upward by `step` (x8 quick, x2 full) to `last` (1 GiB quick, 4 GiB full on
// GPUs; the host backend stops earlier: it proves the path, not a network).
std::vector<std::uint64_t> collective_sweep_bytes(const std::string& suite, bool host);

// The cases one suite registers, in registration order (identical on every rank).
struct CollectiveCase {
  const CollectiveOp* op;
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
