# seam.cmake (included by tests/CMakeLists.txt): the seam rule as CTest tests.
#
#   seam_rule                    include/ and src/ name no std::atomic, std::thread,
#                                std::mutex, thread_local, pthread_*, futex or clock
#                                outside include/weft/sys* and src/sys/ (DESIGN.md,
#                                "The seam"); tools/check_seam.sh lists offenders.
#   seam_rule_detects_violation  the check itself: violations planted in temporary
#                                trees (one per rule, and one in a copy of the real
#                                tree) are caught; exempt forms are not.
find_program(WEFT_BASH bash)
if(NOT WEFT_BASH)
  message(STATUS "weft: bash not found; seam tests skipped")
  return()
endif()

add_test(NAME seam_rule
         COMMAND ${WEFT_BASH} ${PROJECT_SOURCE_DIR}/tools/check_seam.sh ${PROJECT_SOURCE_DIR})
add_test(NAME seam_rule_detects_violation
         COMMAND ${WEFT_BASH} ${PROJECT_SOURCE_DIR}/tools/check_seam.sh --self-test)
set_tests_properties(seam_rule seam_rule_detects_violation PROPERTIES
  LABELS "lint;seam" TIMEOUT 120)
