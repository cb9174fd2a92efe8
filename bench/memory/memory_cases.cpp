#include "memory/memory_cases.hpp"

#include "gpuscale/core/benchmark_id.hpp"
#include "harness/report.hpp"
#include "memory/sizes.hpp"

namespace gpuscale::bench {
namespace {

std::string_view bench_name(const MemoryCase& c) {
  switch (c.bench) {
    case MemoryBench::stream:
      return memory_op_info(c.op).name;
    case MemoryBench::memcpy:
      return "memcpy";
    case MemoryBench::latency:
      return "latency";
  }
  return "unknown";
}

BenchmarkId id_of(const MemoryCase& c) {
  BenchmarkId id{"memory", false, std::string(bench_name(c)), {{"bytes", std::to_string(c.bytes)}}};
  if (c.bench == MemoryBench::stream) id.axes.emplace_back("width", std::to_string(c.width));
  return id;
}

}  // namespace

std::vector<MemoryCase> gpu_memory_cases(const std::string& suite) {
  const bool full = suite == "full";
  std::vector<MemoryCase> cases;
  for (std::uint64_t bytes : memory_sweep_bytes(suite, false)) {
    for (const auto& info : kMemoryOps)
      for (int width : {4, 8, 16}) {
        if (!full && width != 16 && info.op != MemoryOp::copy) continue;
        cases.push_back({MemoryBench::stream, info.op, bytes, width});
      }
    cases.push_back({MemoryBench::memcpy, MemoryOp::copy, bytes, 0});
  }
  for (std::uint64_t bytes : latency_sweep_bytes(suite))
    cases.push_back({MemoryBench::latency, MemoryOp::read, bytes, 0});
  return cases;
}

std::string memory_id(const MemoryCase& c) {
  return id_of(c).str();
}

BenchmarkEntry memory_entry(const MemoryCase& c) {
  if (c.bench == MemoryBench::latency)
    return make_entry(id_of(c),
                      {{"op", "pointer_chase"}, {"bytes", c.bytes}, {"stride_bytes", kChaseStrideBytes}});
  nlohmann::json params = {
      {"op", std::string(bench_name(c))}, {"bytes", c.bytes}, {"counts", "read+write"}, {"cache", "warm"}};
  if (c.bench == MemoryBench::stream) params["width_bytes"] = c.width;
  if (c.bench == MemoryBench::memcpy) params["api"] = "cudaMemcpyAsync D2D";
  return make_entry(id_of(c), std::move(params));
}

Work memory_work(const MemoryCase& c) {
  Work w;
  switch (c.bench) {
    case MemoryBench::stream: {
      const auto traffic = memory_traffic(c.op, c.bytes / sizeof(float), sizeof(float));
      w.bytes_read = traffic.bytes_read;
      w.bytes_written = traffic.bytes_written;
      break;
    }
    case MemoryBench::memcpy:
      w.bytes_read = static_cast<double>(c.bytes);
      w.bytes_written = static_cast<double>(c.bytes);
      break;
    case MemoryBench::latency:
      w.loads = static_cast<double>(kChaseLoads);
      break;
  }
  return w;
}

}  // namespace gpuscale::bench
