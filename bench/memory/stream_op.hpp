// One BabelStream operation on float arrays, for both backends: what it reads and writes (the
// declared work: bytes = (arrays read + arrays written) x elements x 4), its GPU kernel launch and
// check, and its host loop and check. Each operation is one file, bench/memory/ops/<name>.cpp,
// registered by one line in bench/memory/ops/ops.def (the order in which every size runs them);
// its GPU kernel is in kernels/memory/.
//
// Inputs, the same on both backends: a[i] = stream_a(i) (1 + (i mod 1024) / 1024, exact in float),
// b[i] = kStreamB, c[i] = kStreamC; the scalar is kStreamScalar, the write op's value kStreamFill.
// Every output is checked after timing; a reduction (read, dot) leaves its sum in `result`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuscale/core/results.hpp"
#include "harness/case.hpp"

namespace gpuscale::bench {

inline constexpr float kStreamScalar = 0.4f;
inline constexpr float kStreamFill = 3.0f;
inline constexpr float kStreamB = 2.0f;
inline constexpr float kStreamC = 0.5f;
inline float stream_a(std::size_t i) {
  return 1.0f + static_cast<float>(i % 1024) / 1024.0f;
}
// Sum of stream_a(i) over i < n, exactly (each full period of 1024 sums to 1024 + 511.5).
double stream_a_sum(std::size_t n);

// The arrays of one run. GPU: device pointers (null for arrays the op does not use) and the per-block
// partial sums of a reduction; host: every array. `result` is a reduction's sum once the run is over.
struct StreamArrays {
  float* a = nullptr;
  float* b = nullptr;
  float* c = nullptr;
  std::size_t n = 0;
  double* partials = nullptr;  // GPU: one double per block of the grid
  int grid = 0;
  double result = 0;
};

struct StreamOpInfo {
  std::string_view name;  // the id's name and parameters.op
  int arrays_read;        // per element: the declared work
  int arrays_written;
  int arrays;                         // distinct arrays it allocates on the GPU (a, then b, then c)
  std::string_view formula;           // for --help and documentation
  bool every_width_in_quick = false;  // the quick suite runs 4/8/16-byte accesses (else 16 only)
};

class StreamOp {
 public:
  explicit StreamOp(StreamOpInfo info) : info_(info) {}
  virtual ~StreamOp() = default;
  const StreamOpInfo& info() const { return info_; }
  std::string_view name() const { return info_.name; }
  // Bytes read and written by one pass over `elements` floats.
  Work work(std::uint64_t elements) const;

  // GPU backend, defined by the op's file in CUDA builds (in others they throw): blocks of its kernel
  // instance for `width_bytes` resident on one SM, one launch, and the check after timing ("" or the
  // first wrong element; `result` holds the partials' sum).
  virtual int blocks_per_sm(int width_bytes) const;
  virtual void launch(const StreamArrays& x, int width_bytes, StreamHandle s) const;
  virtual std::string check(const StreamArrays& x, StreamHandle s) const;

  // Host backend: one pass with all threads, and its check after timing.
  virtual void host_run(StreamArrays& x) const = 0;
  virtual std::string host_check(const StreamArrays& x) const = 0;

 private:
  StreamOpInfo info_;
};

// Every operation, in ops.def order.
const std::vector<const StreamOp*>& stream_ops();

// Host checks: "" when x[i] == expected(i) for every i, else "name[i] = v, expected w".
template <typename Expected>
std::string check_every_element(const float* x, std::size_t n, Expected expected, const char* name) {
  for (std::size_t i = 0; i < n; ++i) {
    const float want = expected(i);
    if (x[i] != want)
      return std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(x[i]) + ", expected " +
             std::to_string(want);
  }
  return {};
}
// "" when |got - want| <= rel_tol * |want|, else "sum = got, expected want".
std::string check_sum(double got, double want, double rel_tol, const char* what = "sum");

}  // namespace gpuscale::bench
