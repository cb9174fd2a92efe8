// Stable benchmark ids: `family[/host]/name/axis:value/...`, e.g.
// `memory/copy/bytes:1073741824/width:16` or `memory/host/triad/bytes:1048576`.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuscale {

inline constexpr std::string_view kFamilies[] = {"memory", "compute", "gemm", "collective", "transfer"};
bool is_family(std::string_view family);

struct BenchmarkId {
  std::string family;
  bool host = false;  // the host backend inserts "host" after the family
  std::string name;
  std::vector<std::pair<std::string, std::string>> axes;  // in order

  std::string str() const;
  // Throws std::invalid_argument naming what is wrong.
  static BenchmarkId parse(std::string_view id);
};

}  // namespace gpuscale
