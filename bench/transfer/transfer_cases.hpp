// The transfers bench_transfer measures, as data: direction, host memory kind, engine and size, the
// ids, the size sweeps and the bytes each sample moves. Pure host code, unit-tested.
//
// Bandwidth counts the bytes that cross the link once (not read + write): a 1 GiB host->device copy
// moves 1 GiB. A bidirectional sample copies `bytes` host->device and `bytes` device->host at the
// same time on two streams and counts both (2 x bytes), as nvbandwidth's bidirectional tests do.
//
// Ids:
//   transfer/h2d/memory:pinned/engine:copy_engine/bytes:4096
//   transfer/d2h/memory:pageable/engine:copy_engine/bytes:4096
//   transfer/bidir/memory:pinned/engine:sm/bytes:4096
//   transfer/d2d_peer/src:0/dst:1/engine:copy_engine/bytes:4096
// The SM engine needs memory the GPU can address, so it is registered for pinned memory and peers
// only; bidirectional copies use pinned memory only (a pageable cudaMemcpyAsync holds the calling
// thread, so one thread cannot overlap the two directions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"

namespace gpuscale::bench {

enum class Direction { h2d, d2h, bidir, d2d_peer };
enum class HostMemory { pinned, pageable };
enum class Engine { copy_engine, sm };

std::string_view direction_name(Direction d);  // "h2d" | "d2h" | "bidir" | "d2d_peer"
std::string_view memory_name(HostMemory m);    // "pinned" | "pageable"
std::string_view engine_name(Engine e);        // "copy_engine" | "sm"

struct TransferCase {
  Direction direction = Direction::h2d;
  HostMemory memory = HostMemory::pinned;  // host<->device only
  Engine engine = Engine::copy_engine;
  std::uint64_t bytes = 0;
  int src = -1, dst = -1;  // d2d_peer only
};

BenchmarkId transfer_id(const TransferCase& c);
// Bytes one copy moves across the link: bytes, or 2 x bytes for bidir.
double bytes_transferred(const TransferCase& c);

// Sizes: 4 KiB upward by x16 (quick) or x2 (full) to 1 GiB, 1 GiB always the last.
std::vector<std::uint64_t> transfer_sweep_bytes(const std::string& suite);

// Host<->device cases for every size: h2d and d2h (pinned: copy engine and SM; pageable: copy
// engine), bidir (pinned: copy engine and SM).
std::vector<TransferCase> host_device_cases(const std::string& suite);
// Peer cases for every ordered pair of `gpus` GPUs, copy engine and SM. Quick: 256 MiB only (the
// matrix grows as n^2); full: the whole sweep.
std::vector<TransferCase> peer_cases(const std::string& suite, int gpus);

// Every case the GPU backend registers with `gpus` GPUs visible: host<->device, then the peer matrix;
// with fewer than two GPUs the one peer case 0 -> 1 (copy engine, 256 MiB) stays, to record why it
// cannot run.
std::vector<TransferCase> gpu_transfer_cases(const std::string& suite, int gpus);

// The parameters of `c` known before it runs.
nlohmann::json transfer_parameters(const TransferCase& c);

// The work of one copy: the bytes that cross the link (bytes_transferred), counted once.
Work transfer_work(const TransferCase& c);

// The link a peer copy takes and how that was found: NVML's NVLink P2P status when NVML answers
// (exact: NVLink, directly or through NVSwitch), else the CUDA runtime's native-atomics attribute
// (atomics between two GPUs exist over NVLink, not over PCIe).
struct PeerLink {
  std::string link;           // "nvlink" | "pcie" | "none (staged through host memory)"
  std::string inferred_from;  // "nvmlDeviceGetP2PStatus(NVLINK)" | "cudaDevP2PAttrNativeAtomicSupported" | ""
};
PeerLink peer_link(bool peer_access, bool native_atomics, std::optional<bool> nvml_nvlink);

// The GPU backend's cases (gpu_transfer_cases), each a GpuCopyCase (CUDA builds only), and the GPUs
// visible to the CUDA runtime (0 when there are none; creates no context).
CaseList transfer_gpu_cases(const std::string& suite, int gpus);
int visible_gpu_count();

}  // namespace gpuscale::bench
