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
