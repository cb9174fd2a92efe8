# Sanitizer and fuzzing flags for every host target (CUDA device code is left alone).
#
#   GPUSCALE_SANITIZE=address,undefined   ASan + UBSan, no recovery: the first finding aborts the
#                                         test that hit it (the sanitize preset; CI runs the host tests so)
#   GPUSCALE_FUZZ=ON                      clang only: every target instrumented for libFuzzer
#                                         (fuzzer-no-link) with ASan + UBSan; tests/fuzz links the
#                                         fuzz targets (the fuzz preset)
if(GPUSCALE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GPUSCALE_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT GPUSCALE_SANITIZE)
    set(GPUSCALE_SANITIZE "address,undefined")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
endif()
if(GPUSCALE_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${GPUSCALE_SANITIZE}>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=${GPUSCALE_SANITIZE} -fno-sanitize-recover=all)
  message(STATUS "gpuscale: sanitizers ${GPUSCALE_SANITIZE}")
endif()
