# Compile checks on the kernels' PTX, SASS and ptxas -v report (files made by gpuscale_kernels_inspect).
#
#   cmake -DMODE=ptx  -DFILE=x.ptx -DFUNCTION=stream_copyILi16E -DPATTERNS="re1@re2" -P check_compiled.cmake
#   cmake -DMODE=sass -DFILE=x.cubin -DCUOBJDUMP=/path/cuobjdump -DFUNCTION=... -DPATTERNS=... -P ...
#   cmake -DMODE=spills -DFILE=x.ptxas.log [-DFUNCTION=substring] -P ...
#   cmake -DMODE=log_forbid -DFILE=x.ptxas.log -DPATTERNS=... -P ...
# FUNCTION is a substring of the mangled kernel name; PATTERNS are CMake regexes separated by '@'
# that must all occur in that kernel's body. Exits non-zero (FATAL_ERROR) on any miss; prints
# "SKIPPED: <reason>" and exits 0 when a tool is missing (the test's SKIP_REGULAR_EXPRESSION).
cmake_minimum_required(VERSION 3.24)
string(REPLACE "@" ";" _patterns "${PATTERNS}")

if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE} does not exist (build the gpuscale_kernels_inspect target)")
endif()

# The text between `start` (first match of start_regex) and the next match of end_regex.
function(section text start_regex end_regex out)
  string(REGEX MATCH "${start_regex}" _head "${text}")
  if(NOT _head)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  string(FIND "${text}" "${_head}" _pos)
  string(LENGTH "${_head}" _len)
  math(EXPR _body_start "${_pos} + ${_len}")
  string(SUBSTRING "${text}" ${_body_start} -1 _rest)
  string(REGEX MATCH "${end_regex}" _end "${_rest}")
  if(_end)
    string(FIND "${_rest}" "${_end}" _end_pos)
    string(SUBSTRING "${_rest}" 0 ${_end_pos} _rest)
  endif()
  set(${out} "${_head}${_rest}" PARENT_SCOPE)
endfunction()

function(require_patterns body what)
  foreach(_re IN LISTS _patterns)
    if(NOT body MATCHES "${_re}")
      message(FATAL_ERROR "${what}: no match for '${_re}'")
    endif()
    message(STATUS "${what}: found '${CMAKE_MATCH_0}'")
  endforeach()
endfunction()

if(MODE STREQUAL "ptx")
  file(READ "${FILE}" _text)
  # A kernel ends where the next one is declared (inline asm blocks also close with "}" lines).
  section("${_text}" "\\.entry [A-Za-z0-9_]*${FUNCTION}[A-Za-z0-9_]*\\(" "// \\.globl|\\.entry " _body)
  if(NOT _body)
    message(FATAL_ERROR "no .entry matching ${FUNCTION} in ${FILE}")
  endif()
  require_patterns("${_body}" "PTX of *${FUNCTION}*")

elseif(MODE STREQUAL "sass")
  if(NOT CUOBJDUMP OR NOT EXISTS "${CUOBJDUMP}")
    message(STATUS "SKIPPED: cuobjdump not found (install the CUDA toolkit's cuobjdump and nvdisasm, "
                   "e.g. pip install nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm, then reconfigure)")
    return()
  endif()
  # cuobjdump runs nvdisasm: look beside it first.
  get_filename_component(_bin "${CUOBJDUMP}" DIRECTORY)
  set(ENV{PATH} "${_bin}:$ENV{PATH}")
  execute_process(COMMAND "${CUOBJDUMP}" -sass "${FILE}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _text
                  ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    if(_err MATCHES "nvdisasm")
      message(STATUS "SKIPPED: cuobjdump found but nvdisasm is missing: ${_err}")
      return()
    endif()
    message(FATAL_ERROR "cuobjdump -sass ${FILE} failed: ${_err}")
  endif()
  section("${_text}" "Function : [A-Za-z0-9_]*${FUNCTION}[A-Za-z0-9_]*" "Function : " _body)
  if(NOT _body)
    message(FATAL_ERROR "no function matching ${FUNCTION} in the SASS of ${FILE}")
  endif()
  require_patterns("${_body}" "SASS of *${FUNCTION}*")

elseif(MODE STREQUAL "spills")
  file(STRINGS "${FILE}" _lines)
  set(_current "")
  set(_checked 0)
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "Compiling entry function '([^']+)'")
      set(_current "${CMAKE_MATCH_1}")
    elseif(_line MATCHES "([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads" AND _current)
      set(_stores "${CMAKE_MATCH_1}")
      set(_loads "${CMAKE_MATCH_2}")
      if(NOT FUNCTION OR _current MATCHES "${FUNCTION}")
        math(EXPR _checked "${_checked} + 1")
        if(NOT _stores EQUAL 0 OR NOT _loads EQUAL 0)
          message(FATAL_ERROR "${_current} spills: ${_line}")
        endif()
        message(STATUS "${_current}: ${_line}")
      endif()
      set(_current "")
    endif()
  endforeach()
  if(_checked EQUAL 0)
    message(FATAL_ERROR "no kernel matching '${FUNCTION}' in ${FILE}")
  endif()

elseif(MODE STREQUAL "log_forbid")
  file(READ "${FILE}" _text)
  foreach(_re IN LISTS _patterns)
    if(_text MATCHES "${_re}")
      message(FATAL_ERROR "${FILE} contains '${CMAKE_MATCH_0}'")
    endif()
  endforeach()

else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
