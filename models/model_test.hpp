// model_test.hpp: GoogleTest helpers so that a model test reads like a unit
// test (STYLE.md, item 6):
//
//   TEST(RunQueueModel, StealRacesWithOverflow) {
//     EXPECT_MODEL_OK(weft::model::check([] { ... WEFT_MODEL_ASSERT(...); }));
//   }
//
// EXPECT_MODEL_OK(r)            the search found no failure (else: the whole report)
// EXPECT_MODEL_FAILS(r, kind)   it found a failure of that kind ("assertion", ...)
// weft::model_test::outcomes()  the set of outcomes a body produces over the
//                               whole (unbounded) search: for litmus tests
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <weft/model.hpp>

namespace weft::model_test {

inline ::testing::AssertionResult passes(const weft::model::result& r) {
  if (r.ok) return ::testing::AssertionSuccess() << weft::model::describe(r);
  return ::testing::AssertionFailure() << weft::model::describe(r);
}

inline ::testing::AssertionResult fails_with(const weft::model::result& r,
                                             const std::string& kind) {
  if (!r.ok && r.failure == kind) return ::testing::AssertionSuccess();
  if (r.ok)
    return ::testing::AssertionFailure()
           << "expected a \"" << kind << "\" failure; the search passed (" << r.executions
           << " executions" << (r.complete ? ", complete" : "") << ")";
  return ::testing::AssertionFailure()
         << "expected a \"" << kind << "\" failure; got " << weft::model::describe(r);
}

// Options for an exhaustive search that covers every interleaving (or,
// where a suite is built with WEFT_MODEL_TEST_GRAPH, every execution graph:
// the litmus tests run under both searches).
inline weft::model::options unbounded() {
  weft::model::options o;
  o.max_preemptions = -1;
  o.environment = false;
#ifdef WEFT_MODEL_TEST_GRAPH
  o.search = weft::model::strategy::graph;
#endif
  return o;
}

using outcome = std::vector<long>;
// Every outcome `body` returns over an exhaustive search with `o`.
inline std::set<outcome> outcomes(const weft::model::options& o,
                                  const std::function<outcome()>& body,
                                  weft::model::result* out = nullptr) {
  std::set<outcome> seen;
  auto r = weft::model::check(o, [&] { seen.insert(body()); });
  EXPECT_TRUE(r.ok) << weft::model::describe(r);
  EXPECT_TRUE(r.complete);
  if (out) *out = r;
  return seen;
}
inline std::set<outcome> outcomes(const std::function<outcome()>& body) {
  return outcomes(unbounded(), body);
}

}  // namespace weft::model_test

#define EXPECT_MODEL_OK(r) EXPECT_TRUE(::weft::model_test::passes(r))
#define ASSERT_MODEL_OK(r) ASSERT_TRUE(::weft::model_test::passes(r))
#define EXPECT_MODEL_FAILS(r, kind) EXPECT_TRUE(::weft::model_test::fails_with((r), (kind)))
#define ASSERT_MODEL_FAILS(r, kind) ASSERT_TRUE(::weft::model_test::fails_with((r), (kind)))
