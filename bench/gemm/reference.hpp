// Checking a GEMM against FP64 outside the timed region, and the buffer rotation that keeps the
// timed GEMMs out of the L2. Host-only.
//
// Small GEMMs (m n k <= 2^27) are checked in full. Larger ones are checked on a grid of 16 sampled
// rows x 16 sampled columns of D (256 elements, the first and last row and column always among
// them, so edge tiles are covered): only those rows of op(A) and columns of B (k values each,
// contiguous in the TN layout) and those 256 elements of D come back to the host.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gemm/precision.hpp"
#include "gemm/shapes.hpp"

namespace gpuscale::bench::gemm {

inline constexpr double kFullReferenceMaxMnk = 134217728.0;  // 2^27 multiply-adds
inline constexpr int kSampledRows = 16;
inline constexpr int kSampledCols = 16;

// `count` distinct indices in [0, n), sorted, always holding 0 and n - 1; all of [0, n) when
// count >= n. Deterministic for a given seed.
std::vector<int64_t> sample_indices(int64_t n, int count, uint64_t seed);

struct ReferencePlan {
  std::vector<int64_t> rows;  // rows of D (and of op(A)) to check
  std::vector<int64_t> cols;  // columns of D (and of B)
  bool full = false;          // every element
  std::size_t elements() const { return rows.size() * cols.size(); }
};
ReferencePlan reference_plan(const GemmShape& s, uint64_t seed = 0x6a09e667f3bcc908ull);

struct ElementCheck {
  std::size_t checked = 0;
  std::size_t bad = 0;     // out of tolerance, or not finite
  double worst_ratio = 0;  // max |d - ref| / bound
  int64_t worst_row = -1, worst_col = -1;
  double worst_got = 0, worst_expected = 0, worst_bound = 0;
  // "" when bad == 0, else "3 of 256 elements out of tolerance; worst D[12,4095] = ... (FP64 ...)".
  std::string describe() const;
};

// Compares D with the FP64 product on the elements of `plan`:
//   a_rows[r * k + t] = op(A)[plan.rows[r], t]     (as float, exactly the stored values)
//   b_cols[c * k + t] = B[t, plan.cols[c]]
//   d[c * rows + r]   = D[plan.rows[r], plan.cols[c]]
// The reference is ab_scale * sum_t a b (ab_scale: FP8's two per-tensor scales multiplied).
ElementCheck check_elements(const ReferencePlan& plan, int64_t k, std::span<const float> a_rows,
                            std::span<const float> b_cols, std::span<const float> d, double ab_scale,
                            const Tolerance& tol);

// Bytes of A (k x m), B (k x n) and D (m x n) of one GEMM, each rounded up to 256 bytes so that
// operands placed one after another keep cuBLASLt's preferred alignment.
struct OperandBytes {
  uint64_t a = 0, b = 0, d = 0;
  uint64_t slot() const { return a + b + d; }
};
inline constexpr uint64_t kOperandAlignment = 256;
OperandBytes operand_bytes(Precision p, const GemmShape& s);

// Copies of the operands a benchmark rotates through so that the timed GEMMs see at least
// `factor` x the L2 size of distinct data (A + B + D of one slot is `slot_bytes`): 1 when one slot
// is already that large.
int rotation_slots(uint64_t slot_bytes, uint64_t l2_bytes, int factor = 3);

}  // namespace gpuscale::bench::gemm
