// prop.hpp: WEFT_PROP, a RapidCheck property as a GoogleTest test with its
// own default number of cases.
//
//   WEFT_PROP(Suite, Name, 50) { ... RC_ASSERT(...); }
//
// RapidCheck's RC_GTEST_PROP runs every property max_success (100) times.
// Properties whose cases are slow (a real runtime run with a 100 ms
// deadlock grace period, an exhaustive model-checker search) give a smaller
// default here. RC_PARAMS still rules: when it names max_success, that count
// is used for every property (the long mode: RC_PARAMS="max_success=10000").
// The test id is "Suite/Name", as RC_GTEST_PROP's, so a failure's
// RC_PARAMS="reproduce=..." replays it.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

namespace weft_proptest {

// True when RC_PARAMS sets max_success (then the defaults here step aside).
inline bool max_success_from_environment() {
  const char* p = std::getenv("RC_PARAMS");
  return p != nullptr && std::strstr(p, "max_success") != nullptr;
}

template <class Testable>
void check_gtest(Testable&& testable, int default_cases) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  if (!max_success_from_environment()) params.maxSuccess = default_cases;
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  std::ostringstream ss;
  rc::detail::printResultMessage(result, ss);
  if (result.template is<rc::detail::SuccessResult>())
    std::cout << ss.str() << std::endl;
  else
    FAIL() << ss.str() << std::endl;
}

}  // namespace weft_proptest

#define WEFT_PROP(Suite, Name, default_cases)                                   \
  void weft_prop_##Suite##_##Name();                                            \
  TEST(Suite, Name) {                                                           \
    ::weft_proptest::check_gtest(&weft_prop_##Suite##_##Name, (default_cases)); \
  }                                                                             \
  void weft_prop_##Suite##_##Name()
