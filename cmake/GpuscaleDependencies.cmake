# Third-party dependencies: the system's packages first, then (GPUSCALE_FETCH_DEPS=ON and a network)
# a pinned release through FetchContent (by release tag; the archives are not hashed here because
# they could not be fetched to hash from the machines this project is developed on). This machine and CI use Debian's packages; a fresh rented
# node without them fetches.
include(FetchContent)

macro(gpuscale_dependency name)
  if(GPUSCALE_FETCH_DEPS)
    FetchContent_Declare(${name} ${ARGN} FIND_PACKAGE_ARGS)
  else()
    FetchContent_Declare(${name} ${ARGN} FIND_PACKAGE_ARGS REQUIRED)
  endif()
endmacro()

set(JSON_BuildTests OFF CACHE INTERNAL "")
gpuscale_dependency(nlohmann_json
  URL https://github.com/nlohmann/json/releases/download/v3.11.3/json.tar.xz)

set(BENCHMARK_ENABLE_TESTING OFF CACHE INTERNAL "")
set(BENCHMARK_ENABLE_GTEST_TESTS OFF CACHE INTERNAL "")
set(BENCHMARK_ENABLE_INSTALL OFF CACHE INTERNAL "")
gpuscale_dependency(benchmark
  URL https://github.com/google/benchmark/archive/refs/tags/v1.8.3.tar.gz)

# The argument parser of the gpuscale command (cli/args.hpp).
set(CLI11_BUILD_TESTS OFF CACHE INTERNAL "")
set(CLI11_BUILD_EXAMPLES OFF CACHE INTERNAL "")
set(CLI11_BUILD_DOCS OFF CACHE INTERNAL "")
set(CLI11_PRECOMPILED OFF CACHE INTERNAL "")
gpuscale_dependency(CLI11
  URL https://github.com/CLIUtils/CLI11/archive/refs/tags/v2.4.2.tar.gz)

set(_deps nlohmann_json benchmark CLI11)
if(GPUSCALE_TESTS)
  set(INSTALL_GTEST OFF CACHE INTERNAL "")
  gpuscale_dependency(GTest
    URL https://github.com/google/googletest/archive/refs/tags/v1.14.0.tar.gz)
  list(APPEND _deps GTest)
endif()
FetchContent_MakeAvailable(${_deps})
if(NOT TARGET GTest::gtest_main AND TARGET gtest_main)
  add_library(GTest::gtest_main ALIAS gtest_main)
endif()
if(NOT TARGET benchmark::benchmark AND TARGET benchmark)
  add_library(benchmark::benchmark ALIAS benchmark)
endif()

find_package(Threads REQUIRED)

# MPI is optional: it launches the collectives across processes and nodes, and runs the host
# collective backend in CI (mpirun -np 4).
find_package(MPI COMPONENTS CXX QUIET)
set(GPUSCALE_WITH_MPI ${MPI_CXX_FOUND})

if(GPUSCALE_WITH_CUDA)
  find_package(NCCL)
  set(GPUSCALE_WITH_NCCL ${NCCL_FOUND})
else()
  set(GPUSCALE_WITH_NCCL OFF)
endif()
message(STATUS "gpuscale dependencies: MPI ${GPUSCALE_WITH_MPI}, NCCL ${GPUSCALE_WITH_NCCL}")
