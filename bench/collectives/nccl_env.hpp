// The environment variables that change what NCCL does (algorithm, protocol, NVLS/SHARP, transports,
// interfaces, channel counts), recorded beside every GPU collective so that two runs can be compared
// knowing whether they ran the same algorithm. Pure host code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gpuscale::bench {

// Variables recorded by name when set, besides every NCCL_IB_* variable.
inline constexpr const char* kNcclAlgorithmVariables[] = {
    "NCCL_ALGO",          "NCCL_PROTO",         "NCCL_NVLS_ENABLE",  "NCCL_COLLNET_ENABLE",
    "NCCL_P2P_LEVEL",     "NCCL_P2P_DISABLE",   "NCCL_SHM_DISABLE",  "NCCL_NET",
    "NCCL_NET_GDR_LEVEL", "NCCL_SOCKET_IFNAME", "NCCL_CROSS_NIC",    "NCCL_MIN_NCHANNELS",
    "NCCL_MAX_NCHANNELS", "NCCL_MIN_CTAS",      "NCCL_MAX_CTAS",     "NCCL_BUFFSIZE",
    "NCCL_NTHREADS",      "NCCL_CUMEM_ENABLE",  "NCCL_TUNER_PLUGIN", "NCCL_NET_PLUGIN"};

// {"NCCL_ALGO": "Ring", "NCCL_IB_HCA": "mlx5_0", ...} for the variables set in `environ`
// (a null-terminated "NAME=value" array, as the process's environ).
nlohmann::json nccl_environment(char** environ);

// The same as one line, "NCCL_ALGO=Ring NCCL_PROTO=Simple", or "(none set)".
std::string nccl_environment_line(const nlohmann::json& vars);

// Why a busbw may be above the link speed.
inline constexpr const char* kBusbwNote =
    "busbw = algbw x bus_factor assumes ring-like traffic; with NVLS (NVSwitch multicast/reduction, "
    "NCCL_NVLS_ENABLE) or SHARP/CollNet (in-network reduction) the switch does part of the work, so busbw "
    "can exceed the per-GPU link speed";

}  // namespace gpuscale::bench
