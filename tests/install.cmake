# install.cmake (included by tests/CMakeLists.txt): weft is consumable three
# ways, each checked end to end (tests/consumer/run.cmake does the work):
#
#   install_to_prefix          cmake --install this build into a temporary prefix
#   install_find_package       tests/consumer/find_package/: find_package(weft),
#                              weft::weft, against that prefix; build and run
#   install_pkg_config         tests/consumer/main.cpp compiled with
#                              `pkg-config --cflags --libs weft` against that prefix; run
#   install_add_subdirectory   tests/consumer/add_subdirectory/: add_subdirectory(weft)
#                              from the source tree; build and run
#
# Consumers get this build's compiler, build type and flags, sanitizer flags
# included (the sanitizers are global compile options here, not part of
# weft::weft's interface), so the tests work in every preset. The asan and tsan
# test presets leave them out (label "install") to keep ./dev test short; run
# them there with `ctest --test-dir build/asan -L install`.
if(NOT WEFT_INSTALL)
  return()  # no install rules in this configuration
endif()

set(_weft_consumer_dir "${CMAKE_CURRENT_BINARY_DIR}/consumer")
set(_weft_consumer_flags "${CMAKE_CXX_FLAGS}")
set(_weft_consumer_ldflags "${CMAKE_EXE_LINKER_FLAGS}")
if(WEFT_SANITIZE)
  string(APPEND _weft_consumer_flags " -fsanitize=${WEFT_SANITIZE} -fno-omit-frame-pointer")
  string(APPEND _weft_consumer_ldflags " -fsanitize=${WEFT_SANITIZE}")
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _weft_bt)
set(_weft_consumer_args
  "-DWEFT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
  "-DWEFT_BINARY_DIR=${PROJECT_BINARY_DIR}"
  "-DWORK_DIR=${_weft_consumer_dir}"
  "-DPREFIX=${_weft_consumer_dir}/prefix"
  "-DLIBDIR=${CMAKE_INSTALL_LIBDIR}"
  "-DGENERATOR=${CMAKE_GENERATOR}"
  "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
  "-DCXX=${CMAKE_CXX_COMPILER}"
  "-DASM=${CMAKE_ASM_COMPILER}"
  "-DBUILD_TYPE=${CMAKE_BUILD_TYPE}"
  "-DCXX_FLAGS=${_weft_consumer_flags}"
  "-DCXX_FLAGS_CONFIG=${CMAKE_CXX_FLAGS_${_weft_bt}}"
  "-DLINKER_FLAGS=${_weft_consumer_ldflags}")
set(_weft_consumer_run "${CMAKE_CURRENT_LIST_DIR}/consumer/run.cmake")

add_test(NAME install_to_prefix
         COMMAND ${CMAKE_COMMAND} ${_weft_consumer_args} -DMODE=install -P ${_weft_consumer_run})
set_tests_properties(install_to_prefix PROPERTIES FIXTURES_SETUP weft_installed)

add_test(NAME install_find_package
         COMMAND ${CMAKE_COMMAND} ${_weft_consumer_args} -DMODE=find_package
                 -P ${_weft_consumer_run})
set_tests_properties(install_find_package PROPERTIES FIXTURES_REQUIRED weft_installed)

find_program(WEFT_PKG_CONFIG NAMES pkg-config pkgconf)
if(WEFT_PKG_CONFIG)
  add_test(NAME install_pkg_config
           COMMAND ${CMAKE_COMMAND} ${_weft_consumer_args} -DMODE=pkg_config
                   -P ${_weft_consumer_run})
  set_tests_properties(install_pkg_config PROPERTIES FIXTURES_REQUIRED weft_installed)
else()
  message(STATUS "weft: pkg-config not found; install_pkg_config skipped")
endif()

add_test(NAME install_add_subdirectory
         COMMAND ${CMAKE_COMMAND} ${_weft_consumer_args} -DMODE=add_subdirectory
                 -P ${_weft_consumer_run})

set(_weft_install_tests install_to_prefix install_find_package install_add_subdirectory)
if(WEFT_PKG_CONFIG)
  list(APPEND _weft_install_tests install_pkg_config)
endif()
# install_add_subdirectory builds libweft again: give it room.
set_tests_properties(${_weft_install_tests} PROPERTIES LABELS "install" TIMEOUT 900)
# The consumers' builds use every core; run them after each other, not beside
# one another.
set_tests_properties(install_find_package install_add_subdirectory PROPERTIES
  RESOURCE_LOCK weft_consumer_build)

unset(_weft_consumer_dir)
unset(_weft_consumer_flags)
unset(_weft_consumer_ldflags)
unset(_weft_consumer_args)
unset(_weft_consumer_run)
unset(_weft_install_tests)
unset(_weft_bt)
