// graph_test.cpp: strategy::graph (src/model/graph.hpp). On random programs
// (random_programs.hpp, without the mutex) it must find every outcome of the
// interleaving search, exactly those where that search's operational model
// is complete, in fewer executions; search the Chase-Lev deque completely
// without a preemption bound; catch each of its bugs; replay a failure from
// its token; and reject what it does not support with a clear failure. The
// litmus suite also runs under it (model_checker_litmus_graph).
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "chase_lev.hpp"
#include "model_test.hpp"
#include "random_programs.hpp"

namespace {

using namespace weft;
using namespace weft::model_test;

std::set<outcome> run(const rp_program& prog, model::strategy how, std::uint64_t* executions,
                      bool weak_cas = false) {
  model::options o = weft::model_test::unbounded();
  o.search = how;
  o.progress = false;
  return rp_run(prog, o, executions, weak_cas);
}

// Without RMWs and seq_cst accesses (seq_cst fences stay) the interleaving
// search's operational model is complete for RC11 (a store may take any
// coherence position after what it observed): both searches must give the
// same outcomes.
TEST(GraphSearch, SameOutcomesAsInterleavingSearchWithoutRmws) {
  std::uint64_t graph_total = 0, exhaustive_total = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    rp_program p = rp_generate(seed, 3, 0);
    std::uint64_t n1 = 0, n2 = 0;
    auto g = run(p, model::strategy::graph, &n1);
    auto e = run(p, model::strategy::exhaustive, &n2);
    EXPECT_EQ(g, e) << "program seed " << seed;
    graph_total += n1;
    exhaustive_total += n2;
    if (g != e) break;
  }
  EXPECT_LT(graph_total, exhaustive_total);
  std::printf("graph %llu executions, exhaustive (DPOR) %llu\n",
              static_cast<unsigned long long>(graph_total),
              static_cast<unsigned long long>(exhaustive_total));
}

// With RMWs the operational model misses executions: an RMW always reads
// the latest store and goes last in coherence order, so a store cannot come
// after an RMW that happens later in every interleaving (see
// StoreCoherenceAfterAPorfLaterRmw). The graph search must still find every
// outcome it finds.
void every_outcome_with_rmws(bool weak_cas) {
  std::uint64_t graph_total = 0, exhaustive_total = 0;
  int more = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    rp_program p = rp_generate(seed, 3, rp_rmws | rp_sc_access);
    std::uint64_t n1 = 0, n2 = 0;
    auto g = run(p, model::strategy::graph, &n1, weak_cas);
    auto e = run(p, model::strategy::exhaustive, &n2, weak_cas);
    bool subset = std::includes(g.begin(), g.end(), e.begin(), e.end());
    EXPECT_TRUE(subset) << "program seed " << seed;
    if (!subset) break;
    if (g.size() > e.size()) ++more;
    graph_total += n1;
    exhaustive_total += n2;
  }
  EXPECT_LT(graph_total, exhaustive_total);
  std::printf(
      "%s CAS: graph %llu executions, exhaustive (DPOR) %llu; graph found more outcomes in %d "
      "programs\n",
      weak_cas ? "weak" : "strong", static_cast<unsigned long long>(graph_total),
      static_cast<unsigned long long>(exhaustive_total), more);
}

TEST(GraphSearch, EveryOutcomeOfTheInterleavingSearchWithRmws) { every_outcome_with_rmws(false); }

// compare_exchange_weak: one spurious failure per thread and execution, in
// both searches.
TEST(GraphSearch, EveryOutcomeOfTheInterleavingSearchWithWeakCas) { every_outcome_with_rmws(true); }

}  // namespace

namespace {

using namespace weft::model_test;

model::options graph_options() {
  model::options o;
  o.search = model::strategy::graph;
  o.environment = true;
  return o;
}

// The side-by-side's deque (1 owner pushing 3 and popping 3 times, 2 thieves
// stealing twice each), every execution graph: no preemption bound.
TEST(GraphSearch, ChaseLevDequeCompletely) {
  auto r = model::check(graph_options(), chase_lev_scenario<cl_bug::none>);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
  std::printf("correct deque, every graph: %llu executions, %.2f s\n",
              static_cast<unsigned long long>(r.executions), r.seconds);
}

TEST(GraphSearch, ChaseLevBugsAreCaught) {
  for (auto r : {model::check(graph_options(), chase_lev_scenario<cl_bug::push_no_release_fence>),
                 model::check(graph_options(), chase_lev_scenario<cl_bug::pop_no_sc_fence>),
                 model::check(graph_options(), chase_lev_scenario<cl_bug::steal_no_sc_fence>),
                 model::check(graph_options(), chase_lev_scenario<cl_bug::steal_bottom_relaxed>)}) {
    EXPECT_MODEL_FAILS(r, "assertion");
    std::printf("found after %llu executions\n", static_cast<unsigned long long>(r.executions));
  }
}

}  // namespace

namespace {

using namespace weft::model_test;
constexpr auto rlx = std::memory_order_relaxed;
constexpr auto sc = std::memory_order_seq_cst;

// A smaller deque both searches finish unbounded: the same outcomes.
TEST(GraphSearch, SmallDequeSameOutcomesAsInterleavingSearch) {
  auto body = [] {
    chase_lev<cl_bug::none> q;
    long stolen = 0;
    sys::thread thief([&] { stolen = q.steal(); });
    q.push(1);
    q.push(2);
    long a = q.pop();
    long b = q.pop();
    thief.join();
    return outcome{a, b, stolen};
  };
  model::result rg, re;
  model::options o = unbounded();
  o.search = model::strategy::graph;
  auto g = outcomes(o, body, &rg);
  o.search = model::strategy::exhaustive;
  auto e = outcomes(o, body, &re);
  EXPECT_EQ(g, e);
  EXPECT_LT(rg.executions, re.executions);
  std::printf("graph %llu executions, exhaustive %llu\n",
              static_cast<unsigned long long>(rg.executions),
              static_cast<unsigned long long>(re.executions));
}

// RC11 orders two seq_cst stores to one location by psc, not by porf: here
// T2's store may come before T1's in coherence order although T2 read what
// T0 wrote after reading T1's store (T2's read is relaxed, so nothing of
// this is happens-before). The interleaving search's operational model
// orders seq_cst stores by execution order and misses it; the graph search
// finds it.
TEST(GraphSearch, ScStoresAreOrderedByPscNotByPorf) {
  auto body = [] {
    sys::atomic<int> x{0}, y{0};
    long r0 = 0, r2 = 0;
    sys::thread t1([&] { y.store(1, sc); });
    sys::thread t2([&] {
      r2 = x.load(rlx);
      y.store(2, sc);
    });
    r0 = y.load(sc);
    x.store(2, std::memory_order_release);
    t1.join();
    t2.join();
    return outcome{r0, r2, y.load(rlx)};
  };
  model::options o = unbounded();
  o.search = model::strategy::graph;
  auto g = outcomes(o, body);
  EXPECT_EQ(g.count(outcome{1, 2, 1}), 1u);
  EXPECT_EQ(g.count(outcome{1, 2, 2}), 1u);
  EXPECT_EQ(g.count(outcome{2, 2, 1}), 0u);  // po u rf would have a cycle (no thin air)
  // The gap this shows in the interleaving search (docs/model-checking.md,
  // "what is and is not modelled"); closing it should flip this line.
  o.search = model::strategy::exhaustive;
  EXPECT_EQ(outcomes(o, body).count(outcome{1, 2, 1}), 0u);
}

// A failure's replay token is its graph: WEFT_MODEL_REPLAY re-runs it alone.
TEST(GraphSearch, ReplayTokenReproducesTheFailure) {
  auto r = model::check(graph_options(), chase_lev_scenario<cl_bug::pop_no_sc_fence>);
  ASSERT_MODEL_FAILS(r, "assertion");
  EXPECT_NE(r.trace.find("rmw-r"), std::string::npos);
  model::options o = graph_options();
  o.replay = r.replay;
  auto again = model::check(o, chase_lev_scenario<cl_bug::pop_no_sc_fence>);
  EXPECT_MODEL_FAILS(again, "assertion");
  EXPECT_EQ(again.message, r.message);
  EXPECT_EQ(again.executions, 1u);
}

TEST(GraphSearch, WhatItDoesNotModelFailsClearly) {
  auto r = model::check(graph_options(), [] {
    sys::mutex m;
    sys::thread t([&] { std::lock_guard<sys::mutex> g(m); });
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "unsupported");
  EXPECT_NE(r.message.find("strategy::graph"), std::string::npos) << r.message;
}

}  // namespace
