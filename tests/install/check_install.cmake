# Installs the build into a scratch prefix and checks that every binary landed in <prefix>/bin
# and runs from there (--help exits 0).
#   cmake -DBUILD_DIR=... -DPREFIX=... -DBINARIES="gpuscale;bench_memory" -P check_install.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(bin IN LISTS BINARIES)
  if(NOT EXISTS "${PREFIX}/bin/${bin}")
    message(FATAL_ERROR "${bin} is not installed in ${PREFIX}/bin")
  endif()
  execute_process(COMMAND "${PREFIX}/bin/${bin}" --help RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PREFIX}/bin/${bin} --help exited ${rc}")
  endif()
endforeach()
if(NOT EXISTS "${PREFIX}/share/gpuscale/schema/results.schema.json")
  message(FATAL_ERROR "the results schema is not installed under share/gpuscale/schema")
endif()
file(REMOVE_RECURSE "${PREFIX}")
message(STATUS "installed and ran: ${BINARIES}")
