#include "gpuscale/core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gpuscale {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error("cannot read " + path + ": it is a directory, not a JSON file");
  return parse_json_text(read_file(path), path);
}

nlohmann::json parse_json_text(const std::string& text, const std::string& path) {
  try {
    // Nesting deeper than any gpuscale document is refused while parsing: deep values would take
    // the stack in every recursive walk after (copies, dumps, error messages).
    return nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxJsonDepth)
        throw std::runtime_error(path + ": nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                 " levels: not a gpuscale document");
      return true;
    });
  } catch (const nlohmann::json::out_of_range& e) {  // a number beyond double, e.g. 1e400
    throw std::runtime_error(path + ": a number out of range: " + e.what());
  } catch (const nlohmann::json::parse_error& e) {
    // Turn the byte offset into line and column: that is what a person looks for in the file.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw std::runtime_error(path + ": malformed JSON at line " + std::to_string(line) + ", column " +
                             std::to_string(col) + ": " + e.what());
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmpl = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw std::runtime_error(std::string("cannot write ") + path + ": " + what + ": " + reason);
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmpl.c_str());
    throw std::runtime_error("cannot write " + path + ": close: " + reason);
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmpl.c_str());
    throw std::runtime_error("cannot write " + path + ": rename: " + reason);
  }
}

}  // namespace gpuscale
