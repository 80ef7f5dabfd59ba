# model.cmake (included by the root CMakeLists.txt): weft::model, the runtime
# built against the checker (WEFT_MODEL) together with the checker engine.
#
#   weft_model_engine   src/model/*.cpp: the checker alone (litmus tests, the
#                       bug zoo and users' own lock-free code need only this)
#   weft_model          the engine plus the runtime sources compiled with
#                       WEFT_MODEL: src/sched, src/chan, src/sync and src/sys
#                       minus the production backend (src/sys/std_*.cpp)
#                       (alias weft::model; what find_package(weft) exports)
#
# WEFT_MODEL is PUBLIC: everything that links weft::model sees sys/model.hpp.
# The engine needs exceptions (an escaped exception is a reported failure);
# the -fno-exceptions preset turns WEFT_BUILD_MODEL_LIB off. Linking the
# engine replaces the global operator new/delete (src/model/alloc.cpp, for
# options::check_leaks).
file(GLOB WEFT_MODEL_ENGINE_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/model/*.cpp)

add_library(weft_model_engine STATIC ${WEFT_MODEL_ENGINE_SOURCES})
add_library(weft::model_engine ALIAS weft_model_engine)
target_include_directories(weft_model_engine
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(weft_model_engine PUBLIC WEFT_MODEL=1)
target_compile_options(weft_model_engine PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${WEFT_WARNINGS}>)
set_target_properties(weft_model_engine PROPERTIES EXPORT_NAME model_engine)

option(WEFT_MODEL_RUNTIME "Build the runtime sources into weft::model" ON)
set(WEFT_MODEL_RUNTIME_SOURCES "")
if(WEFT_MODEL_RUNTIME)
  file(GLOB _weft_model_rt CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/src/sched/*.cpp ${PROJECT_SOURCE_DIR}/src/chan/*.cpp
       ${PROJECT_SOURCE_DIR}/src/sync/*.cpp ${PROJECT_SOURCE_DIR}/src/sys/*.cpp)
  list(FILTER _weft_model_rt EXCLUDE REGEX "/src/sys/std_[^/]*\\.cpp$")
  set(WEFT_MODEL_RUNTIME_SOURCES ${_weft_model_rt})
  foreach(_s ${WEFT_SWITCH_SOURCES})
    list(APPEND WEFT_MODEL_RUNTIME_SOURCES ${PROJECT_SOURCE_DIR}/${_s})
  endforeach()
endif()

add_library(weft_model ${WEFT_MODEL_RUNTIME_SOURCES} ${WEFT_MODEL_ENGINE_SOURCES})
add_library(weft::model ALIAS weft_model)
target_include_directories(weft_model
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(weft_model PUBLIC WEFT_MODEL=1)
if(WEFT_USE_UCONTEXT)
  target_compile_definitions(weft_model PRIVATE WEFT_UCONTEXT=1)
endif()
target_compile_options(weft_model PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${WEFT_WARNINGS}>)
find_package(Threads REQUIRED)
target_link_libraries(weft_model PUBLIC Threads::Threads)
set_target_properties(weft_model PROPERTIES EXPORT_NAME model)
