// Readable names of the cuBLASLt algorithm configuration ids a GEMM records (tile, stages, cluster
// shape): "128x256", "64x4", "2x1x1"; "undefined" / "auto" for 0, "id N" for an id newer than the
// table. Host-only.
#pragma once

#include <string>

namespace gpuscale::bench::gemm {

std::string tile_name(unsigned id);           // cublasLtMatmulTile_t
std::string stages_name(unsigned id);         // cublasLtMatmulStages_t
std::string cluster_shape_name(unsigned id);  // cublasLtClusterShape_t

}  // namespace gpuscale::bench::gemm
