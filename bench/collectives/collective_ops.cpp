#include "collectives/collective_ops.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "gpuscale/core/benchmark_id.hpp"
#include "gpuscale/core/units.hpp"

namespace gpuscale::bench {

// The ops of collectives/ops/ops.def, each defined in its own file.
namespace collective_ops {
#define GPUSCALE_COLLECTIVE(name) extern const CollectiveOp name;
#include "collectives/ops/ops.def"
#undef GPUSCALE_COLLECTIVE
}  // namespace collective_ops

const std::vector<const CollectiveOp*>& collectives() {
  static const std::vector<const CollectiveOp*> all = {
#define GPUSCALE_COLLECTIVE(name) &collective_ops::name,
#include "collectives/ops/ops.def"
#undef GPUSCALE_COLLECTIVE
  };
  return all;
}

const CollectiveOp& collective(std::string_view name) {
  for (const CollectiveOp* op : collectives())
    if (op->name == name) return *op;
  throw std::invalid_argument("unknown collective '" + std::string(name) + "'");
}

std::string_view dtype_name(DType t) {
  return t == DType::fp32 ? "fp32" : "bf16";
}
std::size_t dtype_bytes(DType t) {
  return t == DType::fp32 ? 4 : 2;
}

std::uint64_t Layout::buffer_bytes(DType t, bool in_place) const {
  const std::size_t elems = in_place ? in_place_count() : send_count + recv_count;
  return static_cast<std::uint64_t>(elems) * dtype_bytes(t);
}

Layout make_layout(const CollectiveOp& op, std::uint64_t bytes, int ranks, DType t) {
  if (ranks < 1) throw std::invalid_argument("make_layout: ranks must be >= 1");
  const std::size_t n = static_cast<std::size_t>(ranks);
  const std::size_t elem = dtype_bytes(t);
  std::size_t count = static_cast<std::size_t>(bytes / elem);
  Layout l;
  switch (op.shape) {
    case Shape::whole:
      l.send_count = l.recv_count = count;
      break;
    case Shape::gather:
      l.chunk = count / n;
      l.send_count = l.chunk;
      l.recv_count = l.chunk * n;
      count = l.recv_count;
      break;
    case Shape::scatter:
      l.chunk = count / n;
      l.send_count = l.chunk * n;
      l.recv_count = l.chunk;
      count = l.send_count;
      break;
    case Shape::blocks:
      l.chunk = count / n;
      l.send_count = l.recv_count = l.chunk * n;
      count = l.send_count;
      break;
  }
  l.message_bytes = static_cast<std::uint64_t>(count) * elem;
  if (l.send_count == 0 || l.recv_count == 0) l = Layout{};
  return l;
}

double collective_bus_factor(const CollectiveOp& op, int ranks) {
  return bus_factor(op.name, ranks);
}

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr double kMaxInput = 4;  // input_value() is in 1..kMaxInput

}  // namespace

double input_value(int rank, std::size_t i) {
  // Hashed rather than periodic, so that a block landing at another rank's place is caught.
  return 1.0 + static_cast<double>(mix((static_cast<std::uint64_t>(rank) << 40) ^ i) & 3u);
}

double sum_of_inputs(int ranks, std::size_t i) {
  double s = 0;
  for (int r = 0; r < ranks; ++r) s += input_value(r, i);
  return s;
}

double expected_value(const CollectiveOp& op, int rank, int ranks, std::size_t chunk, std::size_t j) {
  return op.expected(rank, ranks, chunk, j);
}

double tolerance(const CollectiveOp& op, DType t, int ranks) {
  if (!op.reduces) return 0;
  const double largest_sum = kMaxInput * ranks;
  const double exact_up_to = t == DType::bf16 ? 256.0 : 16777216.0;  // 2^(mantissa bits + 1)
  if (largest_sum <= exact_up_to) return 0;
  // Past the exact range every partial sum may round by half an ulp of the largest sum.
  const double ulp = t == DType::bf16 ? std::ldexp(largest_sum, -7) : std::ldexp(largest_sum, -23);
  return ranks * ulp;
}

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<std::uint16_t>(u >> 16);
}

float bf16_to_float(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

namespace {

template <typename Fn>
void for_each_element(DType t, void* buf, std::size_t count, Fn value_of) {
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(count);
  if (t == DType::fp32) {
    float* x = static_cast<float*>(buf);
#pragma omp parallel for schedule(static) if (n > (1 << 20))
    for (std::ptrdiff_t i = 0; i < n; ++i) x[i] = static_cast<float>(value_of(static_cast<std::size_t>(i)));
  } else {
    std::uint16_t* x = static_cast<std::uint16_t*>(buf);
#pragma omp parallel for schedule(static) if (n > (1 << 20))
    for (std::ptrdiff_t i = 0; i < n; ++i)
      x[i] = float_to_bf16(static_cast<float>(value_of(static_cast<std::size_t>(i))));
  }
}

}  // namespace

void fill_input(DType t, int rank, void* buf, std::size_t count, std::size_t offset) {
  for_each_element(t, buf, count, [&](std::size_t i) { return input_value(rank, offset + i); });
}

void fill_sentinel(DType t, void* buf, std::size_t count) {
  for_each_element(t, buf, count, [](std::size_t) { return kSentinel; });
}

std::string check_output(const CollectiveOp& op, DType t, int rank, int ranks, std::size_t chunk,
                         const void* out, std::size_t count) {
  const double tol = tolerance(op, t, ranks);
  auto value_at = [&](std::size_t j) -> double {
    return t == DType::fp32 ? static_cast<const float*>(out)[j]
                            : bf16_to_float(static_cast<const std::uint16_t*>(out)[j]);
  };
  auto wrong = [&](std::size_t j) {
    const double got = value_at(j);
    return !(std::abs(got - expected_value(op, rank, ranks, chunk, j)) <= tol);  // NaN is wrong
  };
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(count);
  unsigned long long bad = 0;
  std::size_t first = std::numeric_limits<std::size_t>::max();
#pragma omp parallel for schedule(static) reduction(+ : bad) reduction(min : first) if (n > (1 << 20))
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    if (wrong(static_cast<std::size_t>(i))) {
      ++bad;
      first = std::min(first, static_cast<std::size_t>(i));
    }
  }
  if (bad == 0) return {};
  char buf[256];
  std::snprintf(buf, sizeof buf, "element %zu = %g, expected %g (%llu of %zu elements wrong)", first,
                value_at(first), expected_value(op, rank, ranks, chunk, first), bad, count);
  return buf;
}

void init_buffers(const CollectiveOp& op, DType t, int rank, const Layout& l, bool in_place, void* send,
                  void* recv) {
  if (!in_place) {
    fill_input(t, rank, send, l.send_count);
    fill_sentinel(t, recv, l.recv_count);
    return;
  }
  const std::size_t n = l.in_place_count();
  if (op.in_place_input) {  // the input is a part of the one buffer, the rest awaits the output
    const std::size_t at = op.in_place_input(rank, l);
    fill_sentinel(t, recv, n);
    fill_input(t, rank, static_cast<char*>(recv) + at * dtype_bytes(t), l.send_count);
  } else {
    fill_input(t, rank, recv, n);
  }
}

OutputView output_view(const CollectiveOp& op, int rank, const Layout& l, bool in_place,
                       bool mpi_in_place_semantics) {
  if (op.output) return op.output(rank, l, in_place, mpi_in_place_semantics);
  return {0, l.recv_count};
}

std::vector<std::uint64_t> collective_sweep_bytes(const std::string& suite, bool host) {
  const bool full = suite == "full";
  std::uint64_t step = full ? 2 : 8;
  std::uint64_t last = full ? 4 * kGiB : kGiB;
  if (host) {
    step = full ? 2 : 64;
    last = full ? 256 * kMiB : 2 * kMiB;
  }
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t s = 8; s <= last; s *= step) sizes.push_back(s);
  return sizes;
}

std::vector<CollectiveCase> collective_cases(const std::string& suite, bool host) {
  const bool full = suite == "full";
  std::vector<CollectiveCase> cases;
  for (std::uint64_t bytes : collective_sweep_bytes(suite, host)) {
    for (const CollectiveOp* op : collectives()) {
      for (DType t : {DType::fp32, DType::bf16}) {
        for (bool in_place : {false, true}) {
          if (in_place && !op->has_in_place) continue;
          if (!full && !host) {
            // Quick GPU suite: the collectives that dominate training, out of place.
            const bool wanted = op->quick_gpu == QuickGpu::fp32_and_bf16 ||
                                (op->quick_gpu == QuickGpu::fp32 && t == DType::fp32);
            if (!wanted || in_place) continue;
          }
          cases.push_back({op, t, bytes, in_place});
        }
      }
    }
  }
  return cases;
}

BenchmarkId collective_id(const CollectiveCase& c, int ranks, bool host) {
  return BenchmarkId{"collective",
                     host,
                     std::string(c.op->name),
                     {{"dtype", std::string(dtype_name(c.dtype))},
                      {"bytes", std::to_string(c.bytes)},
                      {"ranks", std::to_string(ranks)},
                      {"inplace", c.in_place ? "1" : "0"}}};
}

}  // namespace gpuscale::bench
