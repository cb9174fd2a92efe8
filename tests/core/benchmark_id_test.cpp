#include "gpuscale/core/benchmark_id.hpp"

#include <gtest/gtest.h>

namespace gpuscale {

TEST(BenchmarkId, BuildsAndParsesStableIds) {
  BenchmarkId id{"memory", false, "copy", {{"bytes", "1073741824"}, {"width", "16"}}};
  EXPECT_EQ(id.str(), "memory/copy/bytes:1073741824/width:16");
  BenchmarkId host{"memory", true, "triad", {{"bytes", "1048576"}}};
  EXPECT_EQ(host.str(), "memory/host/triad/bytes:1048576");
  BenchmarkId back = BenchmarkId::parse("collective/host/all_reduce/dtype:bf16/ranks:4");
  EXPECT_EQ(back.family, "collective");
  EXPECT_TRUE(back.host);
  EXPECT_EQ(back.name, "all_reduce");
  ASSERT_EQ(back.axes.size(), 2u);
  EXPECT_EQ(back.axes[1].second, "4");
  EXPECT_EQ(back.str(), "collective/host/all_reduce/dtype:bf16/ranks:4");
}

TEST(BenchmarkId, RejectsMalformedIds) {
  EXPECT_THROW(BenchmarkId::parse("disk/copy"), std::invalid_argument);
  EXPECT_THROW(BenchmarkId::parse("memory"), std::invalid_argument);
  EXPECT_THROW(BenchmarkId::parse("memory/copy/bytes"), std::invalid_argument);
  EXPECT_THROW(BenchmarkId::parse("memory/copy/by tes:1"), std::invalid_argument);
  EXPECT_THROW((BenchmarkId{"gemm", false, "", {}}.str()), std::invalid_argument);
}

}  // namespace gpuscale
