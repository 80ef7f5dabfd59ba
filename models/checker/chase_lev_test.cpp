// chase_lev_test.cpp: the Chase-Lev deque (chase_lev.hpp), 1 owner and 2
// thieves: the correct deque passes the exhaustive search under preemption
// bound 2, and each weakened fence or ordering is caught.
#include <weft/model.hpp>

#include "chase_lev.hpp"
#include "model_test.hpp"

namespace {

using namespace weft::model_test;
namespace m = weft::model;

m::options bounded(int k) {
  m::options o;
  o.max_preemptions = k;
  o.environment = true;
  return o;
}

TEST(ChaseLevModel, CorrectDequePassesBound2) {
  auto r = m::check(bounded(2), chase_lev_scenario<cl_bug::none>);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
  std::printf("bound 2: %llu executions, %.2f s\n", static_cast<unsigned long long>(r.executions),
              r.seconds);
}

TEST(ChaseLevModel, PushWithoutReleaseFenceIsCaught) {
  EXPECT_MODEL_FAILS(m::check(bounded(2), chase_lev_scenario<cl_bug::push_no_release_fence>),
                     "assertion");
}
TEST(ChaseLevModel, PopWithoutSCFenceIsCaught) {
  EXPECT_MODEL_FAILS(m::check(bounded(2), chase_lev_scenario<cl_bug::pop_no_sc_fence>),
                     "assertion");
}
TEST(ChaseLevModel, StealWithoutSCFenceIsCaught) {
  EXPECT_MODEL_FAILS(m::check(bounded(2), chase_lev_scenario<cl_bug::steal_no_sc_fence>),
                     "assertion");
}
TEST(ChaseLevModel, StealWithRelaxedBottomIsCaught) {
  EXPECT_MODEL_FAILS(m::check(bounded(2), chase_lev_scenario<cl_bug::steal_bottom_relaxed>),
                     "assertion");
}

}  // namespace

namespace {

using namespace weft::model_test;
namespace m = weft::model;

// Executions up to the first failure, mean over seeds 0..19 (the
// side-by-side's measure; bench/model_vs_relacy/compare.sh).
double mean_to_failure(m::strategy s, void (*body)()) {
  m::options o;
  o.search = s;
  o.iterations = 100000;
  o.environment = false;
  o.progress = false;
  double total = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    o.seed = seed;
    m::result r = m::check(o, body);
    EXPECT_FALSE(r.ok);
    total += static_cast<double>(r.executions);
  }
  return total / 20;
}

// The stale-read preference of the random strategies (atomics.cpp, do_load)
// finds every variant in at most half the executions Relacy's best scheduler
// needs on the same deque (its random scheduler: 3, 28, 343, 3).
TEST(ChaseLevModel, RandomStrategiesFindEachBugInHalfRelacysExecutions) {
  EXPECT_LE(mean_to_failure(m::strategy::random, chase_lev_scenario<cl_bug::push_no_release_fence>),
            1.5);
  EXPECT_LE(mean_to_failure(m::strategy::random, chase_lev_scenario<cl_bug::pop_no_sc_fence>),
            14.0);
  EXPECT_LE(mean_to_failure(m::strategy::pct, chase_lev_scenario<cl_bug::steal_no_sc_fence>),
            171.5);
  EXPECT_LE(mean_to_failure(m::strategy::random, chase_lev_scenario<cl_bug::steal_bottom_relaxed>),
            1.5);
}

}  // namespace
