# install.cmake (included by the root CMakeLists.txt): install rules and the
# exported package.
#
# `cmake --install build/<preset> --prefix P` puts
#   P/include/weft/**                         the public headers
#   P/<libdir>/libweft.a (or .so)             the runtime, target weft::weft
#   P/<libdir>/libweft_model.*                the runtime built for the checker,
#                                             target weft::model (when cmake/model.cmake
#                                             defines weft_model)
#   P/<libdir>/cmake/weft/weftConfig.cmake    find_package(weft) (+ version, targets)
#   P/<libdir>/pkgconfig/weft.pc              pkg-config --cflags --libs weft
# tests/install.cmake checks all three ways of consuming weft (find_package,
# add_subdirectory, pkg-config) against such a prefix.

# Install rules are on when weft is the top-level project; a parent project
# that add_subdirectory()s weft opts in with WEFT_INSTALL=ON.
option(WEFT_INSTALL "Generate weft's install rules" ${PROJECT_IS_TOP_LEVEL})
if(NOT WEFT_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

set(WEFT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/weft"
    CACHE STRING "Where weftConfig.cmake is installed (relative to the prefix)")
set(WEFT_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where weft.pc is installed (relative to the prefix)")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/weft"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT weft_development
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")

# The libraries: weft (weft::weft) and, when cmake/model.cmake defined them,
# weft_model (weft::model, API.md's name) and weft_model_engine
# (weft::model_engine, the checker alone). A target left out of `all` is not
# installed (cmake --install would find no file).
set(_weft_install_targets "")
foreach(_t weft weft_model weft_model_engine)
  if(TARGET ${_t})
    get_target_property(_excluded ${_t} EXCLUDE_FROM_ALL)
    if(NOT _excluded)
      list(APPEND _weft_install_targets ${_t})
    endif()
  endif()
endforeach()
if(TARGET weft_model)
  get_target_property(_export_name weft_model EXPORT_NAME)
  if(NOT _export_name)
    set_target_properties(weft_model PROPERTIES EXPORT_NAME model)
  endif()
endif()

# Every in-project library one of them links must be in the export set too,
# or install(EXPORT) fails at generate time: follow the link graph.
set(_weft_queue ${_weft_install_targets})
while(_weft_queue)
  list(POP_FRONT _weft_queue _t)
  get_target_property(_deps ${_t} LINK_LIBRARIES)
  get_target_property(_ideps ${_t} INTERFACE_LINK_LIBRARIES)
  foreach(_d IN LISTS _deps _ideps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _d "${_d}")
    if(NOT _d OR NOT TARGET "${_d}")
      continue()
    endif()
    get_target_property(_aliased "${_d}" ALIASED_TARGET)
    if(_aliased)
      set(_d ${_aliased})
    endif()
    get_target_property(_imported "${_d}" IMPORTED)
    if(NOT _imported AND NOT _d IN_LIST _weft_install_targets)
      list(APPEND _weft_install_targets ${_d})
      list(APPEND _weft_queue ${_d})
    endif()
  endforeach()
endwhile()
message(STATUS "weft: install rules for ${_weft_install_targets}")

install(TARGETS ${_weft_install_targets}
        EXPORT weftTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT weft_development
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT weft_runtime
                NAMELINK_COMPONENT weft_development
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT weft_runtime
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT weftTargets
        NAMESPACE weft::
        FILE weftTargets.cmake
        DESTINATION "${WEFT_INSTALL_CMAKEDIR}"
        COMPONENT weft_development)

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/weftConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/weftConfig.cmake"
  INSTALL_DESTINATION "${WEFT_INSTALL_CMAKEDIR}")
# 0.x: a minor version may break the API, so only the same minor is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/weftConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/weftConfig.cmake"
              "${PROJECT_BINARY_DIR}/weftConfigVersion.cmake"
        DESTINATION "${WEFT_INSTALL_CMAKEDIR}"
        COMPONENT weft_development)

# weft.pc is relocatable: prefix is found from the .pc file's own location, so
# `cmake --install --prefix P` works for any P.
if(IS_ABSOLUTE "${WEFT_INSTALL_PKGCONFIGDIR}")
  set(WEFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(WEFT_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(WEFT_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _weft_pc_up "/p/${WEFT_INSTALL_PKGCONFIGDIR}" "/p")
  string(REGEX REPLACE "/$" "" _weft_pc_up "${_weft_pc_up}")
  set(WEFT_PC_PREFIX "\${pcfiledir}/${_weft_pc_up}")
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(WEFT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  else()
    set(WEFT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(WEFT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(WEFT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
endif()
# With a static libweft, -pthread belongs in Libs: a consumer links it directly.
configure_file("${CMAKE_CURRENT_LIST_DIR}/weft.pc.in" "${PROJECT_BINARY_DIR}/weft.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/weft.pc"
        DESTINATION "${WEFT_INSTALL_PKGCONFIGDIR}"
        COMPONENT weft_development)

unset(_weft_install_targets)
unset(_weft_queue)
unset(_weft_pc_up)
