#include <cmath>
#include <stdexcept>

#include "memory/stream_op.hpp"

namespace gpuscale::bench {

// Each operation's accessor, defined in its file.
#define GPUSCALE_STREAM_OP(name) const StreamOp& stream_op_##name();
#include "memory/ops/ops.def"
#undef GPUSCALE_STREAM_OP

const std::vector<const StreamOp*>& stream_ops() {
  static const std::vector<const StreamOp*> ops = {
#define GPUSCALE_STREAM_OP(name) &stream_op_##name(),
#include "memory/ops/ops.def"
#undef GPUSCALE_STREAM_OP
  };
  return ops;
}

double stream_a_sum(std::size_t n) {
  const std::uint64_t periods = n / 1024, rest = n % 1024;
  return periods * (1024 + 511.5) + rest + (rest * (rest - 1) / 2.0) / 1024.0;
}

Work StreamOp::work(std::uint64_t elements) const {
  const double array_bytes = static_cast<double>(elements) * sizeof(float);
  Work w;
  w.bytes_read = info_.arrays_read * array_bytes;
  w.bytes_written = info_.arrays_written * array_bytes;
  return w;
}

namespace {
[[noreturn]] void no_gpu_kernel(std::string_view op) {
  throw std::logic_error("stream op " + std::string(op) + " has no GPU kernel in this build");
}
}  // namespace

int StreamOp::blocks_per_sm(int) const {
  no_gpu_kernel(name());
}
void StreamOp::launch(const StreamArrays&, int, StreamHandle) const {
  no_gpu_kernel(name());
}
std::string StreamOp::check(const StreamArrays&, StreamHandle) const {
  no_gpu_kernel(name());
}

std::string check_sum(double got, double want, double rel_tol, const char* what) {
  if (std::abs(got - want) <= rel_tol * std::abs(want)) return {};
  return std::string(what) + " = " + std::to_string(got) + ", expected " + std::to_string(want);
}

}  // namespace gpuscale::bench
