#include "collectives/mpi_group.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "collectives/collective_ops.hpp"

namespace gpuscale::bench {
namespace {

std::string error_string(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(buf, static_cast<std::size_t>(len));
}

void bf16_sum_fn(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const std::uint16_t*>(in);
  auto* b = static_cast<std::uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = float_to_bf16(bf16_to_float(a[i]) + bf16_to_float(b[i]));
}

}  // namespace

MpiError::MpiError(int code, const char* expr, const char* file, int line)
    : std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                         error_string(code)) {}

MpiGroup::MpiGroup() {
  GPUSCALE_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
  GPUSCALE_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  GPUSCALE_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  MPI_Comm node = MPI_COMM_NULL;
  GPUSCALE_MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node));
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_size(node, &local_size_);
  MPI_Comm_free(&node);
  GPUSCALE_MPI_CHECK(MPI_Op_create(bf16_sum_fn, /*commute=*/1, &bf16_sum_));
}

MpiGroup::~MpiGroup() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (bf16_sum_ != MPI_OP_NULL) MPI_Op_free(&bf16_sum_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::array<double, 2> MpiGroup::max(std::array<double, 2> v) {
  std::array<double, 2> out{};
  GPUSCALE_MPI_CHECK(MPI_Allreduce(v.data(), out.data(), 2, MPI_DOUBLE, MPI_MAX, comm_));
  return out;
}

std::string MpiGroup::first_error(const std::string& mine) {
  const int candidate = mine.empty() ? size_ : rank_;
  int first = size_;
  GPUSCALE_MPI_CHECK(MPI_Allreduce(&candidate, &first, 1, MPI_INT, MPI_MIN, comm_));
  if (first == size_) return {};
  std::string text = rank_ == first ? mine : std::string();
  int len = static_cast<int>(text.size());
  GPUSCALE_MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, first, comm_));
  text.resize(static_cast<std::size_t>(len));
  GPUSCALE_MPI_CHECK(MPI_Bcast(text.data(), len, MPI_CHAR, first, comm_));
  return "rank " + std::to_string(first) + ": " + text;
}

std::vector<std::string> MpiGroup::gather_text(const std::string& mine) {
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(rank_ == 0 ? static_cast<std::size_t>(size_) : 0);
  GPUSCALE_MPI_CHECK(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm_));
  std::vector<int> displs(lens.size());
  int total = 0;
  for (std::size_t r = 0; r < lens.size(); ++r) displs[r] = total, total += lens[r];
  std::vector<char> all(static_cast<std::size_t>(total));
  GPUSCALE_MPI_CHECK(
      MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, comm_));
  std::vector<std::string> out;
  for (std::size_t r = 0; r < lens.size(); ++r)
    out.emplace_back(all.data() + displs[r], static_cast<std::size_t>(lens[r]));
  return out;
}

void MpiGroup::broadcast(void* data, std::size_t bytes) {
  GPUSCALE_MPI_CHECK(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, 0, comm_));
}

std::vector<std::vector<double>> MpiGroup::gather(const std::vector<double>& mine) {
  const int n = static_cast<int>(mine.size());
  std::vector<double> all(rank_ == 0 ? static_cast<std::size_t>(n) * size_ : 0);
  GPUSCALE_MPI_CHECK(MPI_Gather(mine.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, 0, comm_));
  std::vector<std::vector<double>> out;
  if (rank_ != 0) return out;
  for (int r = 0; r < size_; ++r) out.emplace_back(all.begin() + r * n, all.begin() + (r + 1) * n);
  return out;
}

void MpiGroup::abort_job(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should an implementation return, end anyway
}

MpiSession::MpiSession(int* argc, char*** argv) {
  const int err = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided_);
  if (err != MPI_SUCCESS) throw MpiError(err, "MPI_Init_thread", __FILE__, __LINE__);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string mpi_library_version() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  if (MPI_Get_library_version(buf, &len) != MPI_SUCCESS) return "unknown";
  std::string v(buf, static_cast<std::size_t>(len));
  if (const auto cut = v.find_first_of(",\n"); cut != std::string::npos) v.resize(cut);
  return v;
}

}  // namespace gpuscale::bench
