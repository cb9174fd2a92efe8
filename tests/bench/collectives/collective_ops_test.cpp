// The collective table: bus factors, buffer layouts and the size convention, the size sweeps and
// suites, ids, BF16 rounding, and the input/expected-output pair, checked against a reference
// implementation of each collective on host vectors.
#include "collectives/collective_ops.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "gpuscale/core/benchmark_id.hpp"

namespace gpuscale::bench {
namespace {

TEST(CollectiveBusFactor, MatchesNcclTests) {
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("all_reduce"), 1), 0.0);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("all_reduce"), 2), 1.0);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("all_reduce"), 8), 1.75);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("all_gather"), 8), 0.875);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("reduce_scatter"), 4), 0.75);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("alltoall"), 4), 0.75);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("broadcast"), 8), 1.0);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("sendrecv"), 8), 1.0);
  EXPECT_DOUBLE_EQ(collective_bus_factor(collective("all_gather"), 1), 0.0);
}

TEST(CollectiveLayout, MessageBytesFollowTheNcclTestsSizeConvention) {
  const Layout ar = make_layout(collective("all_reduce"), 1024, 4, DType::fp32);
  EXPECT_EQ(ar.send_count, 256u);
  EXPECT_EQ(ar.recv_count, 256u);
  EXPECT_EQ(ar.message_bytes, 1024u);

  const Layout ag = make_layout(collective("all_gather"), 1024, 4, DType::fp32);  // size = gathered output
  EXPECT_EQ(ag.chunk, 64u);
  EXPECT_EQ(ag.send_count, 64u);
  EXPECT_EQ(ag.recv_count, 256u);
  EXPECT_EQ(ag.message_bytes, 1024u);

  const Layout rs = make_layout(collective("reduce_scatter"), 1024, 4, DType::bf16);  // size = input
  EXPECT_EQ(rs.chunk, 128u);
  EXPECT_EQ(rs.send_count, 512u);
  EXPECT_EQ(rs.recv_count, 128u);
  EXPECT_EQ(rs.message_bytes, 1024u);

  const Layout a2a = make_layout(collective("alltoall"), 1024, 4, DType::fp32);
  EXPECT_EQ(a2a.send_count, 256u);
  EXPECT_EQ(a2a.recv_count, 256u);
  EXPECT_EQ(a2a.chunk, 64u);

  const Layout b = make_layout(collective("broadcast"), 64, 8, DType::bf16);
  EXPECT_EQ(b.send_count, 32u);
  EXPECT_EQ(b.message_bytes, 64u);
  EXPECT_EQ(b.buffer_bytes(DType::bf16, false), 128u);
  EXPECT_EQ(b.buffer_bytes(DType::bf16, true), 64u);
}

TEST(CollectiveLayout, RoundsDownToAMultipleOfTheRanksAndSkipsWhatIsTooSmall) {
  const Layout ag = make_layout(collective("all_gather"), 1000, 3, DType::fp32);  // 250 elements -> 249
  EXPECT_EQ(ag.chunk, 83u);
  EXPECT_EQ(ag.message_bytes, 996u);
  EXPECT_EQ(make_layout(collective("all_gather"), 8, 4, DType::fp32).message_bytes, 0u);
  EXPECT_EQ(make_layout(collective("all_gather"), 8, 4, DType::bf16).message_bytes, 8u);
  EXPECT_EQ(make_layout(collective("all_reduce"), 8, 64, DType::fp32).message_bytes, 8u);
  EXPECT_THROW(make_layout(collective("all_reduce"), 8, 0, DType::fp32), std::invalid_argument);
}

TEST(CollectiveTable, ListsEveryOpOnceUnderItsOwnName) {
  std::set<std::string_view> names;
  for (const CollectiveOp* op : collectives()) {
    EXPECT_TRUE(names.insert(op->name).second) << op->name;
    EXPECT_EQ(&collective(op->name), op);
    EXPECT_NE(op->expected, nullptr) << op->name;
    EXPECT_NO_THROW(collective_bus_factor(*op, 8)) << op->name;  // core knows its factor
  }
  EXPECT_EQ(collectives().front()->name, "all_reduce");  // registration order: ops.def's
  EXPECT_THROW(collective("all_reduce_typo"), std::invalid_argument);
}

TEST(CollectiveSweep, QuickIsX8To1GiBAndFullIsX2To4GiB) {
  const auto quick = collective_sweep_bytes("quick", false);
  ASSERT_EQ(quick.size(), 10u);
  EXPECT_EQ(quick.front(), 8u);
  EXPECT_EQ(quick.back(), 1ull << 30);
  for (std::size_t i = 1; i < quick.size(); ++i) EXPECT_EQ(quick[i], quick[i - 1] * 8);

  const auto full = collective_sweep_bytes("full", false);
  ASSERT_EQ(full.size(), 30u);
  EXPECT_EQ(full.back(), 4ull << 30);
  for (std::size_t i = 1; i < full.size(); ++i) EXPECT_EQ(full[i], full[i - 1] * 2);

  EXPECT_EQ(collective_sweep_bytes("quick", true), (std::vector<std::uint64_t>{8, 512, 32768, 2097152}));
  EXPECT_EQ(collective_sweep_bytes("full", true).back(), 256ull << 20);
}

TEST(CollectiveCases, QuickGpuSuiteIsShortAndFullCoversEverything) {
  const auto quick = collective_cases("quick", false);
  EXPECT_EQ(quick.size(), 10u * 4);  // all_reduce fp32+bf16, all_gather fp32, reduce_scatter fp32
  std::set<std::string> names;
  for (const auto& c : quick) {
    EXPECT_FALSE(c.in_place);
    names.insert(std::string(c.op->name) + "/" + std::string(dtype_name(c.dtype)));
  }
  EXPECT_EQ(names, (std::set<std::string>{"all_reduce/fp32", "all_reduce/bf16", "all_gather/fp32",
                                          "reduce_scatter/fp32"}));
  // Full: 5 collectives x 2 dtypes x {in, out of place} + alltoall, sendrecv x 2 dtypes, per size.
  EXPECT_EQ(collective_cases("full", false).size(), 30u * 24);
  EXPECT_EQ(collective_cases("quick", true).size(), 4u * 24);
}

TEST(CollectiveIds, CarryEveryAxisAndParse) {
  const CollectiveCase c{&collective("all_reduce"), DType::bf16, 1024, false};
  EXPECT_EQ(collective_id(c, 8, false).str(),
            "collective/all_reduce/dtype:bf16/bytes:1024/ranks:8/inplace:0");
  const CollectiveCase h{&collective("reduce_scatter"), DType::fp32, 8, true};
  const std::string id = collective_id(h, 4, true).str();
  EXPECT_EQ(id, "collective/host/reduce_scatter/dtype:fp32/bytes:8/ranks:4/inplace:1");
  const BenchmarkId p = BenchmarkId::parse(id);
  EXPECT_TRUE(p.host);
  EXPECT_EQ(p.name, "reduce_scatter");
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(1.0f + 1.0f / 256), 0x3f80);  // half an ulp: tie to even
  EXPECT_EQ(float_to_bf16(1.0f + 3.0f / 256), 0x3f82);  // 1.5 ulp: tie to even
  EXPECT_EQ(float_to_bf16(-2.0f), 0xc000);
  EXPECT_FLOAT_EQ(bf16_to_float(0x3f80), 1.0f);
  EXPECT_FLOAT_EQ(bf16_to_float(float_to_bf16(3.0f)), 3.0f);
  EXPECT_EQ(float_to_bf16(257.0f), float_to_bf16(256.0f));  // 257 is not representable
}

TEST(Tolerance, ExactWhileSumsFitTheMantissa) {
  EXPECT_EQ(tolerance(collective("all_reduce"), DType::bf16, 64), 0.0);
  EXPECT_GT(tolerance(collective("all_reduce"), DType::bf16, 128), 0.0);
  EXPECT_EQ(tolerance(collective("all_reduce"), DType::fp32, 4096), 0.0);
  EXPECT_EQ(tolerance(collective("all_gather"), DType::bf16, 1024), 0.0);  // moves, never sums
}

// A reference implementation of every collective on host buffers, in the element type's values.
struct RankBuffers {
  std::vector<char> send, recv;
};

double get(DType t, const std::vector<char>& b, std::size_t i) {
  if (t == DType::fp32) {
    float f;
    std::memcpy(&f, b.data() + i * 4, 4);
    return f;
  }
  std::uint16_t h;
  std::memcpy(&h, b.data() + i * 2, 2);
  return bf16_to_float(h);
}
void put(DType t, std::vector<char>& b, std::size_t i, double v) {
  if (t == DType::fp32) {
    const float f = static_cast<float>(v);
    std::memcpy(b.data() + i * 4, &f, 4);
  } else {
    const std::uint16_t h = float_to_bf16(static_cast<float>(v));
    std::memcpy(b.data() + i * 2, &h, 2);
  }
}

// Runs `op` over n ranks, NCCL's in-place layout (or MPI's for reduce_scatter), then checks.
std::vector<std::string> simulate(const CollectiveOp& op, DType t, int n, std::uint64_t bytes, bool in_place,
                                  bool mpi, int corrupt_rank = -1) {
  const Layout l = make_layout(op, bytes, n, t);
  const std::size_t e = dtype_bytes(t);
  std::vector<RankBuffers> r(n);
  for (int k = 0; k < n; ++k) {
    if (in_place) {
      r[k].recv.resize(l.in_place_count() * e);
    } else {
      r[k].send.resize(l.send_count * e);
      r[k].recv.resize(l.recv_count * e);
    }
    init_buffers(op, t, k, l, in_place, r[k].send.data(), r[k].recv.data());
  }
  // The input of rank k, element i, as the collective reads it.
  auto in = [&](int k, std::size_t i) {
    if (!in_place) return get(t, r[k].send, i);
    if (op.in_place_input) return get(t, r[k].recv, op.in_place_input(k, l) + i);
    return get(t, r[k].recv, i);
  };
  std::vector<std::vector<double>> out(n);
  for (int k = 0; k < n; ++k) {
    const std::size_t count = op.name == "reduce_scatter" ? l.chunk : l.recv_count;
    for (std::size_t j = 0; j < count; ++j) {
      double v = 0;
      const std::string_view name = op.name;
      if (name == "all_reduce") {
        for (int s = 0; s < n; ++s) v += in(s, j);
      } else if (name == "all_gather") {
        v = in(static_cast<int>(j / l.chunk), j % l.chunk);
      } else if (name == "reduce_scatter") {
        for (int s = 0; s < n; ++s) v += in(s, k * l.chunk + j);
      } else if (name == "broadcast") {
        v = in(kRoot, j);
      } else if (name == "alltoall") {
        v = in(static_cast<int>(j / l.chunk), k * l.chunk + j % l.chunk);
      } else if (name == "reduce") {
        for (int s = 0; s < n; ++s) v += in(s, j);  // checked on the root only
      } else if (name == "sendrecv") {
        v = in((k + n - 1) % n, j);
      } else {
        ADD_FAILURE() << "no reference for " << name;
      }
      out[k].push_back(v);
    }
  }
  std::vector<std::string> problems;
  for (int k = 0; k < n; ++k) {
    const OutputView view = output_view(op, k, l, in_place, mpi);
    for (std::size_t j = 0; j < out[k].size(); ++j) put(t, r[k].recv, view.offset + j, out[k][j]);
    if (k == corrupt_rank && view.count > 0) put(t, r[k].recv, view.offset + view.count - 1, 1000);
    const std::string bad =
        check_output(op, t, k, n, l.chunk, r[k].recv.data() + view.offset * e, view.count);
    if (!bad.empty()) problems.push_back(bad);
  }
  return problems;
}

TEST(ExpectedOutput, MatchesAReferenceOfEveryCollective) {
  for (const CollectiveOp* info : collectives())
    for (DType t : {DType::fp32, DType::bf16})
      for (int n : {1, 3, 4})
        for (bool in_place : {false, true}) {
          if (in_place && !info->has_in_place) continue;
          for (bool mpi : {false, true}) {
            SCOPED_TRACE(std::string(info->name) + " " + std::string(dtype_name(t)) + " n=" +
                         std::to_string(n) + (in_place ? " in place" : "") + (mpi ? " mpi" : " nccl"));
            EXPECT_TRUE(simulate(*info, t, n, 4096, in_place, mpi).empty());
            // A wrong element on the last rank with an output (reduce: only the root has one).
            const Layout l = make_layout(*info, 4096, n, t);
            int victim = n - 1;
            while (victim > 0 && output_view(*info, victim, l, in_place, mpi).count == 0) --victim;
            EXPECT_EQ(simulate(*info, t, n, 4096, in_place, mpi, victim).size(), 1u);
          }
        }
}

TEST(ExpectedOutput, CatchesABlockFromTheWrongRankAndUnwrittenOutput) {
  const int n = 8;
  const Layout l = make_layout(collective("all_gather"), 8 * 64 * 4, n, DType::fp32);
  std::vector<float> out(l.recv_count);
  for (std::size_t j = 0; j < out.size(); ++j)
    out[j] = static_cast<float>(expected_value(collective("all_gather"), 0, n, l.chunk, j));
  EXPECT_EQ(check_output(collective("all_gather"), DType::fp32, 0, n, l.chunk, out.data(), out.size()), "");
  // Ranks 1 and 5 swapped: a periodic pattern would not notice.
  for (std::size_t k = 0; k < l.chunk; ++k) std::swap(out[1 * l.chunk + k], out[5 * l.chunk + k]);
  EXPECT_NE(check_output(collective("all_gather"), DType::fp32, 0, n, l.chunk, out.data(), out.size()), "");

  std::vector<float> untouched(l.recv_count);
  fill_sentinel(DType::fp32, untouched.data(), untouched.size());
  const std::string bad =
      check_output(collective("all_gather"), DType::fp32, 0, n, l.chunk, untouched.data(), untouched.size());
  EXPECT_NE(bad.find("element 0 = -1"), std::string::npos) << bad;
  EXPECT_NE(bad.find("512 of 512"), std::string::npos) << bad;
}

}  // namespace
}  // namespace gpuscale::bench
