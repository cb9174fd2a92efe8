#include "transfer/transfer_cases.hpp"

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::bench {

std::string_view direction_name(Direction d) {
  switch (d) {
    case Direction::h2d:
      return "h2d";
    case Direction::d2h:
      return "d2h";
    case Direction::bidir:
      return "bidir";
    case Direction::d2d_peer:
      return "d2d_peer";
  }
  return "unknown";
}
std::string_view memory_name(HostMemory m) {
  return m == HostMemory::pinned ? "pinned" : "pageable";
}
std::string_view engine_name(Engine e) {
  return e == Engine::copy_engine ? "copy_engine" : "sm";
}

BenchmarkId transfer_id(const TransferCase& c) {
  BenchmarkId id{"transfer", false, std::string(direction_name(c.direction)), {}};
  if (c.direction == Direction::d2d_peer) {
    id.axes.emplace_back("src", std::to_string(c.src));
    id.axes.emplace_back("dst", std::to_string(c.dst));
  } else {
    id.axes.emplace_back("memory", std::string(memory_name(c.memory)));
  }
  id.axes.emplace_back("engine", std::string(engine_name(c.engine)));
  id.axes.emplace_back("bytes", std::to_string(c.bytes));
  return id;
}

double bytes_transferred(const TransferCase& c) {
  return static_cast<double>(c.bytes) * (c.direction == Direction::bidir ? 2 : 1);
}

std::vector<std::uint64_t> transfer_sweep_bytes(const std::string& suite) {
  const std::uint64_t step = suite == "full" ? 2 : 16;
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t s = 4 * kKiB; s < kGiB; s *= step) sizes.push_back(s);
  sizes.push_back(kGiB);
  return sizes;
}

std::vector<TransferCase> host_device_cases(const std::string& suite) {
  std::vector<TransferCase> cases;
  for (std::uint64_t bytes : transfer_sweep_bytes(suite))
    for (Direction d : {Direction::h2d, Direction::d2h, Direction::bidir})
      for (HostMemory m : {HostMemory::pinned, HostMemory::pageable})
        for (Engine e : {Engine::copy_engine, Engine::sm}) {
          if (m == HostMemory::pageable && (e == Engine::sm || d == Direction::bidir)) continue;
          cases.push_back({d, m, e, bytes});
        }
  return cases;
}

std::vector<TransferCase> peer_cases(const std::string& suite, int gpus) {
  std::vector<std::uint64_t> sizes =
      suite == "full" ? transfer_sweep_bytes(suite) : std::vector<std::uint64_t>{256 * kMiB};
  std::vector<TransferCase> cases;
  for (std::uint64_t bytes : sizes)
    for (int s = 0; s < gpus; ++s)
      for (int d = 0; d < gpus; ++d) {
        if (s == d) continue;
        for (Engine e : {Engine::copy_engine, Engine::sm})
          cases.push_back({Direction::d2d_peer, HostMemory::pinned, e, bytes, s, d});
      }
  return cases;
}

std::vector<TransferCase> gpu_transfer_cases(const std::string& suite, int gpus) {
  std::vector<TransferCase> cases = host_device_cases(suite);
  std::vector<TransferCase> peers = peer_cases(suite, gpus);
  if (peers.empty())
    peers = {TransferCase{Direction::d2d_peer, HostMemory::pinned, Engine::copy_engine, 256 * kMiB, 0, 1}};
  cases.insert(cases.end(), peers.begin(), peers.end());
  return cases;
}

nlohmann::json transfer_parameters(const TransferCase& c) {
  nlohmann::json params = {
      {"direction", direction_name(c.direction)},
      {"engine", engine_name(c.engine)},
      {"bytes", c.bytes},
      {"counts", c.direction == Direction::bidir ? "bytes transferred, both directions (2 x bytes)"
                                                 : "bytes transferred (each byte once)"}};
  if (c.direction == Direction::d2d_peer) {
    params["src"] = c.src;
    params["dst"] = c.dst;
  } else {
    params["memory"] = memory_name(c.memory);
  }
  return params;
}

Work transfer_work(const TransferCase& c) {
  Work w;
  w.bytes_written = bytes_transferred(c);
  return w;
}

PeerLink peer_link(bool peer_access, bool native_atomics, std::optional<bool> nvml_nvlink) {
  if (!peer_access) return {"none (staged through host memory)", ""};
  if (nvml_nvlink) return {*nvml_nvlink ? "nvlink" : "pcie", "nvmlDeviceGetP2PStatus(NVLINK)"};
  return {native_atomics ? "nvlink" : "pcie", "cudaDevP2PAttrNativeAtomicSupported"};
}

}  // namespace gpuscale::bench
