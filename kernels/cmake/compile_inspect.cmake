# cmake -DNVCC=... -DSOURCE=x.cu -DGENCODE=arch=compute_90,code=sm_90 -DINCLUDES=a|b -DOUT=dir/name -P compile_inspect.cmake
# Writes OUT.ptx, OUT.cubin and OUT.ptxas.log (the -Xptxas -v report of the cubin compile).
# The flags mirror the library's: C++20, release optimisation, -lineinfo.
string(REPLACE "|" ";" _includes "${INCLUDES}")
set(_flags -std=c++20 -O3 -lineinfo "-gencode=${GENCODE}")
foreach(_dir IN LISTS _includes)
  list(APPEND _flags "-I${_dir}")
endforeach()
get_filename_component(_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${_dir}")

execute_process(COMMAND "${NVCC}" ${_flags} -ptx "${SOURCE}" -o "${OUT}.ptx"
                RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "nvcc -ptx ${SOURCE} failed:\n${_err}")
endif()
execute_process(COMMAND "${NVCC}" ${_flags} -Xptxas -v -cubin "${SOURCE}" -o "${OUT}.cubin"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
file(WRITE "${OUT}.ptxas.log" "${_out}${_err}")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "nvcc -cubin ${SOURCE} failed:\n${_err}")
endif()
