// The MPI side of bench_collectives (built only with MPI): the session (MPI_Init_thread with
// MPI_THREAD_MULTIPLE, so the watchdog thread may call MPI_Abort while the main thread is inside a
// blocked collective), the world as a RankGroup, the error check, and the BF16 sum operator of the
// host backend.
#pragma once

#include <mpi.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "collectives/rank_group.hpp"

namespace gpuscale::bench {

class MpiError : public std::runtime_error {
 public:
  MpiError(int code, const char* expr, const char* file, int line);
};

}  // namespace gpuscale::bench

#define GPUSCALE_MPI_CHECK(expr)                                                       \
  do {                                                                                 \
    const int gpuscale_mpi_err_ = (expr);                                              \
    if (gpuscale_mpi_err_ != MPI_SUCCESS)                                              \
      throw ::gpuscale::bench::MpiError(gpuscale_mpi_err_, #expr, __FILE__, __LINE__); \
  } while (0)

namespace gpuscale::bench {

class MpiGroup final : public RankGroup {
 public:
  MpiGroup();  // MPI must be initialised
  ~MpiGroup() override;
  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  bool is_mpi() const override { return true; }
  std::array<double, 2> max(std::array<double, 2> v) override;
  std::string first_error(const std::string& mine) override;
  void broadcast(void* data, std::size_t bytes) override;
  std::vector<std::vector<double>> gather(const std::vector<double>& mine) override;
  std::vector<std::string> gather_text(const std::string& mine) override;
  [[noreturn]] void abort_job(int code) override;

  MPI_Comm comm() const { return comm_; }
  // Sum of BF16 values carried as MPI_UINT16_T (each addition rounded to BF16, as a device would).
  MPI_Op bf16_sum() const { return bf16_sum_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Op bf16_sum_ = MPI_OP_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

// MPI_Init_thread .. MPI_Finalize around main's work.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int thread_level() const { return provided_; }

 private:
  int provided_ = 0;
};

// "Open MPI v4.1.4, ..." (MPI_Get_library_version), for the results' system.mpi_version.
std::string mpi_library_version();

}  // namespace gpuscale::bench
