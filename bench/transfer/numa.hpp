// NUMA placement of what a transfer touches: the node a GPU hangs off (sysfs) and the node holding
// a host buffer's pages (the move_pages system call in query mode, so no libnuma is needed).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuscale::bench {

// The node of the PCI device "0000:19:00.0" (any case, with a 4- or 8-digit domain) from
// /sys/bus/pci/devices/<id>/numa_node; -1 on a single-node machine or when unknown.
int pci_numa_node(std::string pci_bus_id, const std::string& sysfs_root = "/sys/bus/pci/devices");

// The node holding the pages of [p, p + bytes) (sampled at the first, middle and last page; pages
// must have been touched): the node as a number, "mixed" when the samples differ, "unknown" when
// the kernel cannot say.
nlohmann::json host_numa_node(const void* p, std::size_t bytes);

}  // namespace gpuscale::bench
