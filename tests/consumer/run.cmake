# run.cmake: the driver behind tests/install.cmake's CTest tests (cmake -P).
#
#   -DMODE=install           cmake --install WEFT_BINARY_DIR into PREFIX (fresh)
#   -DMODE=find_package      configure, build and run find_package/ against PREFIX
#   -DMODE=add_subdirectory  configure, build and run add_subdirectory/ on WEFT_SOURCE_DIR
#   -DMODE=pkg_config        compile main.cpp with `pkg-config --cflags --libs weft`
#                            against PREFIX and run it
# The consumers get the same compiler, build type and flags (sanitizers
# included) as the build under test, so a sanitized libweft links.
cmake_minimum_required(VERSION 3.25)

foreach(v MODE WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run.cmake: -D${v}= is required")
  endif()
endforeach()
set(HERE "${CMAKE_CURRENT_LIST_DIR}")

function(run_step)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "+ ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run.cmake (${MODE}): step failed (${rc}): ${_shown}")
  endif()
endfunction()

set(_cache_args
  -G "${GENERATOR}"
  "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}"
  "-DCMAKE_CXX_COMPILER=${CXX}"
  "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(BUILD_TYPE)
  string(TOUPPER "${BUILD_TYPE}" _bt)
  list(APPEND _cache_args "-DCMAKE_CXX_FLAGS_${_bt}=${CXX_FLAGS_CONFIG}")
endif()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run_step("${CMAKE_COMMAND}" --install "${WEFT_BINARY_DIR}" --prefix "${PREFIX}")
  foreach(f "include/weft/weft.hpp" "include/weft/sys.hpp"
            "${LIBDIR}/cmake/weft/weftConfig.cmake"
            "${LIBDIR}/cmake/weft/weftConfigVersion.cmake"
            "${LIBDIR}/cmake/weft/weftTargets.cmake"
            "${LIBDIR}/pkgconfig/weft.pc")
    if(NOT EXISTS "${PREFIX}/${f}")
      message(FATAL_ERROR "run.cmake (install): ${PREFIX}/${f} was not installed")
    endif()
  endforeach()
  file(GLOB _libs "${PREFIX}/${LIBDIR}/libweft.*")
  if(NOT _libs)
    message(FATAL_ERROR "run.cmake (install): no libweft in ${PREFIX}/${LIBDIR}")
  endif()

elseif(MODE STREQUAL "find_package" OR MODE STREQUAL "add_subdirectory")
  set(_bin "${WORK_DIR}/${MODE}")
  file(REMOVE_RECURSE "${_bin}")
  if(MODE STREQUAL "find_package")
    set(_extra "-DCMAKE_PREFIX_PATH=${PREFIX}")
  else()
    set(_extra "-DWEFT_SOURCE_DIR=${WEFT_SOURCE_DIR}" "-DCMAKE_ASM_COMPILER=${ASM}")
  endif()
  run_step("${CMAKE_COMMAND}" -S "${HERE}/${MODE}" -B "${_bin}" ${_cache_args} ${_extra})
  if(MODE STREQUAL "find_package")
    # The weft found must be the one just installed, not one on the system.
    file(STRINGS "${_bin}/CMakeCache.txt" _dir REGEX "^weft_DIR:")
    string(FIND "${_dir}" "${PREFIX}/" _at)
    if(_at EQUAL -1)
      message(FATAL_ERROR "run.cmake (find_package): found ${_dir}, not the one under ${PREFIX}")
    endif()
  endif()
  if(MODE STREQUAL "add_subdirectory")
    # Only what the consumer needs: not weft's checker libraries.
    run_step("${CMAKE_COMMAND}" --build "${_bin}" --target consumer)
  else()
    run_step("${CMAKE_COMMAND}" --build "${_bin}")
  endif()
  run_step("${_bin}/consumer")
  if(EXISTS "${_bin}/consumer_model")
    run_step("${_bin}/consumer_model")
  endif()

elseif(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG NAMES pkg-config pkgconf)
  if(NOT PKG_CONFIG)
    message(STATUS "run.cmake (pkg_config): no pkg-config; skipped")
    return()  # exit code 0; tests/install.cmake only adds this test when it exists
  endif()
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
  execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs weft
                  OUTPUT_VARIABLE _pc OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run.cmake (pkg_config): pkg-config --cflags --libs weft failed")
  endif()
  message(STATUS "pkg-config --cflags --libs weft: ${_pc}")
  string(FIND "${_pc}" "${PREFIX}/" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "run.cmake (pkg_config): flags do not point into ${PREFIX}")
  endif()
  separate_arguments(_pc UNIX_COMMAND "${_pc}")
  separate_arguments(_flags UNIX_COMMAND "${CXX_FLAGS} ${CXX_FLAGS_CONFIG} ${LINKER_FLAGS}")
  set(_bin "${WORK_DIR}/pkg_config")
  file(REMOVE_RECURSE "${_bin}")
  file(MAKE_DIRECTORY "${_bin}")
  run_step("${CXX}" -std=c++17 ${_flags} "${HERE}/main.cpp" ${_pc} -o "${_bin}/consumer")
  run_step("${_bin}/consumer")

else()
  message(FATAL_ERROR "run.cmake: unknown MODE=${MODE}")
endif()
