#include "transfer/numa.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <set>

namespace gpuscale::bench {

int pci_numa_node(std::string id, const std::string& sysfs_root) {
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (id.size() == 16 && id.find(':') == 8) id = id.substr(4);  // CUDA's 8-digit domain -> sysfs' 4
  std::ifstream in(sysfs_root + "/" + id + "/numa_node");
  int node = -1;
  if (!(in >> node)) return -1;
  return node;
}

nlohmann::json host_numa_node(const void* p, std::size_t bytes) {
#ifdef SYS_move_pages
  if (!p || bytes == 0) return "unknown";
  const long page = ::sysconf(_SC_PAGESIZE);
  const auto base = reinterpret_cast<std::uintptr_t>(p) & ~static_cast<std::uintptr_t>(page - 1);
  const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(p) + bytes - 1;
  void* pages[3] = {
      reinterpret_cast<void*>(base),
      reinterpret_cast<void*>((base + (last - base) / 2) & ~static_cast<std::uintptr_t>(page - 1)),
      reinterpret_cast<void*>(last & ~static_cast<std::uintptr_t>(page - 1))};
  int status[3] = {-1, -1, -1};
  // nodes = NULL: report where each page is, move nothing.
  if (::syscall(SYS_move_pages, 0, 3, pages, nullptr, status, 0) != 0) return "unknown";
  std::set<int> nodes;
  for (int s : status) {
    if (s < 0) return "unknown";  // -ENOENT: not faulted in; -EFAULT etc.
    nodes.insert(s);
  }
  if (nodes.size() == 1) return *nodes.begin();
  return "mixed";
#else
  (void)p;
  (void)bytes;
  return "unknown";
#endif
}

}  // namespace gpuscale::bench
