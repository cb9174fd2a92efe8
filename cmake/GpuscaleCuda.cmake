# Decide whether the CUDA parts are built, and with which architectures.
#
# GPUSCALE_CUDA=AUTO builds them when a CUDA compiler is found; OFF gives the host-only build
# (core, calibrate/plan, host backend); ON fails when no CUDA compiler is found.
# Default architectures: 80 (A100) and 90 (H100/H200), plus 89 (L40S, RTX Ada) and 100 (B200) when
# the toolkit knows them. sm_90a is never in this list: targets that need it add it themselves.
include(CheckLanguage)
set(GPUSCALE_WITH_CUDA OFF)
if(NOT GPUSCALE_CUDA STREQUAL "OFF")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # check_language does not tell the version: ask nvcc directly.
      execute_process(COMMAND "${CMAKE_CUDA_COMPILER}" --version OUTPUT_VARIABLE _nvcc_version)
      string(REGEX MATCH "release ([0-9]+)\\.([0-9]+)" _ "${_nvcc_version}")
      set(_major "${CMAKE_MATCH_1}")
      set(_minor "${CMAKE_MATCH_2}")
      set(_archs 80 89 90)
      if(_major GREATER_EQUAL 13 OR (_major EQUAL 12 AND _minor GREATER_EQUAL 8))
        list(APPEND _archs 100)
      endif()
      set(CMAKE_CUDA_ARCHITECTURES "${_archs}" CACHE STRING "CUDA architectures")
    endif()
    enable_language(CUDA)
    if(CMAKE_CUDA_COMPILER_VERSION VERSION_LESS 12.4)
      message(FATAL_ERROR "gpuscale needs CUDA 12.4 or newer (found ${CMAKE_CUDA_COMPILER_VERSION}); "
                          "configure with -DGPUSCALE_CUDA=OFF for the host-only build")
    endif()
    # C++20 in .cu files (they include core's headers). CMake 3.25 predates CUDA 12 and does not
    # know nvcc's C++20 flag (nvcc has it since 12.0): teach it.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(GPUSCALE_WITH_CUDA ON)
  elseif(GPUSCALE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "GPUSCALE_CUDA=ON but no CUDA compiler was found (set CUDACXX or PATH)")
  else()
    message(STATUS "No CUDA compiler found: host-only build (core, calibrate, host backend)")
  endif()
endif()

# Adds sm_90a code to a target that uses wgmma or other arch-specific Hopper features, when the
# toolkit can build it. The kernels check __CUDA_ARCH_FEAT_SM90_ALL at compile time and the GPU at
# run time, so other architectures skip them.
function(gpuscale_add_sm90a target)
  if(CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.0)
    get_target_property(_archs ${target} CUDA_ARCHITECTURES)
    if(NOT _archs OR _archs STREQUAL "_archs-NOTFOUND")
      set(_archs ${CMAKE_CUDA_ARCHITECTURES})
    endif()
    list(REMOVE_ITEM _archs 90)
    list(APPEND _archs 90a)
    set_property(TARGET ${target} PROPERTY CUDA_ARCHITECTURES ${_archs})
  endif()
endfunction()
