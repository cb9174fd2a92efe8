#include "collectives/nccl_env.hpp"

#include <cstring>

namespace gpuscale::bench {

nlohmann::json nccl_environment(char** environ) {
  nlohmann::json vars = nlohmann::json::object();
  if (!environ) return vars;
  for (char** p = environ; *p; ++p) {
    const std::string entry = *p;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    bool wanted = name.rfind("NCCL_IB_", 0) == 0;
    for (const char* v : kNcclAlgorithmVariables) wanted = wanted || name == v;
    if (wanted) vars[name] = entry.substr(eq + 1);
  }
  return vars;
}

std::string nccl_environment_line(const nlohmann::json& vars) {
  std::string line;
  for (const auto& [k, v] : vars.items()) line += (line.empty() ? "" : " ") + k + "=" + v.get<std::string>();
  return line.empty() ? "(none set)" : line;
}

}  // namespace gpuscale::bench
