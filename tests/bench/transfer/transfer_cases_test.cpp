// bench_transfer's case table: sweeps, ids, the bytes a sample counts, the peer matrix, and the NUMA
// queries (sysfs read from a fake tree; move_pages on a touched buffer).
#include "transfer/transfer_cases.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"
#include "transfer/numa.hpp"

namespace gpuscale::bench {
namespace {

TEST(TransferSweep, QuickAndFullRunFrom4KiBTo1GiB) {
  EXPECT_EQ(transfer_sweep_bytes("quick"),
            (std::vector<std::uint64_t>{4096, 65536, 1u << 20, 16u << 20, 256u << 20, 1u << 30}));
  const auto full = transfer_sweep_bytes("full");
  ASSERT_EQ(full.size(), 19u);
  EXPECT_EQ(full.front(), 4096u);
  EXPECT_EQ(full.back(), 1u << 30);
  for (std::size_t i = 1; i < full.size(); ++i) EXPECT_EQ(full[i], 2 * full[i - 1]);
}

TEST(TransferIds, NameEveryAxisAndParse) {
  const TransferCase h2d{Direction::h2d, HostMemory::pinned, Engine::copy_engine, 4096};
  EXPECT_EQ(transfer_id(h2d).str(), "transfer/h2d/memory:pinned/engine:copy_engine/bytes:4096");
  const TransferCase peer{Direction::d2d_peer, HostMemory::pinned, Engine::sm, 1024, 0, 3};
  EXPECT_EQ(transfer_id(peer).str(), "transfer/d2d_peer/src:0/dst:3/engine:sm/bytes:1024");
  EXPECT_EQ(BenchmarkId::parse(transfer_id(peer).str()).name, "d2d_peer");
}

TEST(TransferBytes, BidirCountsBothDirections) {
  EXPECT_EQ(bytes_transferred({Direction::h2d, HostMemory::pinned, Engine::copy_engine, 1000}), 1000);
  EXPECT_EQ(bytes_transferred({Direction::d2h, HostMemory::pageable, Engine::copy_engine, 1000}), 1000);
  EXPECT_EQ(bytes_transferred({Direction::bidir, HostMemory::pinned, Engine::sm, 1000}), 2000);
  EXPECT_EQ(bytes_transferred({Direction::d2d_peer, HostMemory::pinned, Engine::copy_engine, 1000, 0, 1}),
            1000);
}

TEST(TransferCases, HostDeviceCasesSkipWhatCannotRun) {
  const auto cases = host_device_cases("quick");
  EXPECT_EQ(cases.size(), 6u * 8);
  std::set<std::string> ids;
  for (const auto& c : cases) {
    ids.insert(transfer_id(c).str());
    if (c.memory == HostMemory::pageable) {
      EXPECT_EQ(c.engine, Engine::copy_engine);  // SMs cannot address pageable memory
      EXPECT_NE(c.direction, Direction::bidir);  // one thread cannot overlap pageable copies
    }
  }
  EXPECT_EQ(ids.size(), cases.size());
}

TEST(TransferCases, PeerMatrixCoversEveryOrderedPair) {
  EXPECT_TRUE(peer_cases("quick", 1).empty());
  const auto quick = peer_cases("quick", 8);
  EXPECT_EQ(quick.size(), 8u * 7 * 2);
  std::set<std::pair<int, int>> pairs;
  for (const auto& c : quick) {
    EXPECT_NE(c.src, c.dst);
    pairs.insert({c.src, c.dst});
  }
  EXPECT_EQ(pairs.size(), 56u);
  EXPECT_EQ(peer_cases("full", 2).size(), 19u * 2 * 2);
}

TEST(PeerLink, NvmlDecidesWhenItAnswersElseNativeAtomics) {
  EXPECT_EQ(peer_link(false, true, true).link, "none (staged through host memory)");
  EXPECT_EQ(peer_link(false, true, true).inferred_from, "");
  EXPECT_EQ(peer_link(true, false, true).link, "nvlink");  // NVML is exact: it wins over the hint
  EXPECT_EQ(peer_link(true, true, false).link, "pcie");
  EXPECT_EQ(peer_link(true, true, false).inferred_from, "nvmlDeviceGetP2PStatus(NVLINK)");
  EXPECT_EQ(peer_link(true, true, std::nullopt).link, "nvlink");
  EXPECT_EQ(peer_link(true, false, std::nullopt).link, "pcie");
  EXPECT_EQ(peer_link(true, false, std::nullopt).inferred_from, "cudaDevP2PAttrNativeAtomicSupported");
}

TEST(Numa, ReadsTheGpusNodeFromSysfs) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("gpuscale-sysfs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "0000:19:00.0");
  std::ofstream(root / "0000:19:00.0" / "numa_node") << "1\n";
  EXPECT_EQ(pci_numa_node("00000000:19:00.0", root.string()), 1);  // CUDA's 8-digit domain
  EXPECT_EQ(pci_numa_node("0000:19:00.0", root.string()), 1);
  EXPECT_EQ(pci_numa_node("0000:1A:00.0", root.string()), -1);
  std::filesystem::remove_all(root);
}

TEST(Numa, FindsTheNodeOfATouchedHostBuffer) {
  const std::size_t bytes = 1 << 20;
  void* p = std::aligned_alloc(4096, bytes);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, bytes);
  const auto node = host_numa_node(p, bytes);
  // A number on Linux (0 on a one-node machine); "unknown" where move_pages is not allowed.
  EXPECT_TRUE(node.is_number_integer() || node == "unknown") << node;
  if (node.is_number_integer()) EXPECT_GE(node.get<int>(), 0);
  std::free(p);
  EXPECT_EQ(host_numa_node(nullptr, 0), "unknown");
}

}  // namespace
}  // namespace gpuscale::bench
