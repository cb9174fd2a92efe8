#include "gpuscale/core/units.hpp"

#include <gtest/gtest.h>

namespace gpuscale {

TEST(Units, BandwidthCountsBytesOverSeconds) {
  // A copy of 1 GiB reads 1 GiB and writes 1 GiB: 2^31 bytes in 0.5 ms = 4294.967296 GB/s.
  EXPECT_NEAR(bandwidth_gbps(2.0 * kGiB, 0.5e-3), 4294.967296, 1e-9);
  EXPECT_DOUBLE_EQ(bandwidth_gbps(1e9, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(bandwidth_gbps(1e9, 0.0), 0.0);
}

TEST(Units, TflopsAndPercent) {
  // 8192^3 GEMM: 2*8192^3 = 1.099511627776e12 FLOP in 1.4 ms = 785.365... TFLOPS
  EXPECT_NEAR(tflops(2.0 * 8192.0 * 8192.0 * 8192.0, 1.4e-3), 785.3654484, 1e-6);
  EXPECT_DOUBLE_EQ(pct_of(494.7, 989.4), 50.0);
  EXPECT_DOUBLE_EQ(pct_of(1, 0), 0.0);
}

TEST(Units, ClockNormalisedEfficiency) {
  // H100/H200: 132 SMs x 4096 BF16 FLOP/clk = 540672 FLOP/clk; at 1755 MHz the rate is
  // 948.879 TFLOPS, so 853.99 TFLOPS achieved is 90%.
  const double rate = 132.0 * 4096;
  EXPECT_NEAR(clock_normalised_efficiency_pct(0.9 * rate * 1755e6 / 1e12, rate, 1755), 90.0, 1e-9);
  EXPECT_EQ(clock_normalised_efficiency_pct(100, 0, 1755), 0);
}

TEST(Units, BusFactorsFollowNcclTests) {
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_factor("all_gather", 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor("reduce_scatter", 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(bus_factor("alltoall", 2), 0.5);
  EXPECT_DOUBLE_EQ(bus_factor("broadcast", 8), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 1), 0.0);
  EXPECT_THROW(bus_factor("allreduce", 8), std::invalid_argument);
  EXPECT_THROW(bus_factor("all_reduce", 0), std::invalid_argument);
  EXPECT_TRUE(has_bus_factor("reduce"));
  EXPECT_FALSE(has_bus_factor("allreduce"));
}

TEST(Units, FormatFixed) {
  EXPECT_EQ(format_fixed(2.345, 1), "2.3");
  EXPECT_EQ(format_fixed(2.0, 2), "2.00");
  EXPECT_EQ(format_fixed(1234.5, 0), "1234");  // round half to even
  EXPECT_EQ(format_fixed(-0.125, 3), "-0.125");
}

TEST(Units, FormatAndParseBytes) {
  EXPECT_EQ(format_bytes(1024), "1 KiB");
  EXPECT_EQ(format_bytes(4 * kGiB), "4 GiB");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(parse_bytes("1MiB"), kMiB);
  EXPECT_EQ(parse_bytes("4 GiB"), 4 * kGiB);
  EXPECT_EQ(parse_bytes("2GB"), 2000000000u);
  EXPECT_EQ(parse_bytes("4096"), 4096u);
  EXPECT_THROW(parse_bytes("4 parsecs"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("lots"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("-1MiB"), std::invalid_argument);
}

}  // namespace gpuscale

#include "gpuscale/core/memory_ops.hpp"

namespace gpuscale {

TEST(MemoryOps, TrafficPerOperation) {
  // 1 MiB of floats: 262144 elements.
  const auto copy = memory_traffic(MemoryOp::copy, 262144, 4);
  EXPECT_DOUBLE_EQ(copy.bytes_read, 1048576);
  EXPECT_DOUBLE_EQ(copy.bytes_written, 1048576);
  const auto triad = memory_traffic(MemoryOp::triad, 262144, 4);
  EXPECT_DOUBLE_EQ(triad.bytes_read + triad.bytes_written, 3 * 1048576.0);
  EXPECT_DOUBLE_EQ(memory_traffic(MemoryOp::read, 10, 4).bytes_written, 0);
  EXPECT_DOUBLE_EQ(memory_traffic(MemoryOp::write, 10, 4).bytes_written, 40);
  EXPECT_EQ(memory_op_arrays(MemoryOp::add), 3);
  EXPECT_EQ(memory_op_arrays(MemoryOp::triad), 3);
  EXPECT_EQ(memory_op_arrays(MemoryOp::read), 1);
  EXPECT_EQ(memory_op_from_string("triad"), MemoryOp::triad);
  EXPECT_FALSE(memory_op_from_string("stream").has_value());
}

}  // namespace gpuscale
