#include "gpuscale/core/file_io.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gpuscale {
namespace fs = std::filesystem;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuscale_file_io_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileIo, AtomicWriteReplacesWholeFileAndLeavesNoTemp) {
  const std::string path = (dir_ / "out.json").string();
  write_file_atomic(path, "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(FileIo, FailedWriteNamesPathAndLeavesNothing) {
  const std::string path = (dir_ / "missing-dir" / "out.json").string();
  try {
    write_file_atomic(path, "x");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(FileIo, MalformedJsonNamesFileLineAndColumn) {
  const std::string path = (dir_ / "bad.json").string();
  std::ofstream(path) << "{\n  \"a\": 1,\n  \"b\": ]\n}";
  try {
    read_json_file(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  }
  EXPECT_THROW(read_file((dir_ / "nope").string()), std::runtime_error);
}

}  // namespace gpuscale
