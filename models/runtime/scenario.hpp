// scenario.hpp: shared helpers of the runtime scenario tests (issue 5).
//
//   exhaustive(2)          exhaustive search, preemption bound 2 (-1: unbounded)
//   sampled(pct, 2000)     PCT (or random) with a stated iteration count
//   scenario(opts, body)   runs the check, expects no failure, and prints a
//                          table row for docs/model-scenarios.md:
//   | Suite.Name | exhaustive | bound 2 | 1485 | yes | 0.015 |
//   last_search_whole()    false after a sharded exhaustive search: coverage
//                          demands are then left to the union of the shards
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <weft/chan.hpp>
#include <weft/model.hpp>
#include <weft/runtime.hpp>

#include "model_test.hpp"

namespace weft::model_scenario {

namespace m = weft::model;

// Runs f on a plain thread (the model's thread 0) or as the main goroutine
// of a procs = 2 runtime.
template <class F>
void on(bool goroutine, F f) {
  if (!goroutine) {
    f();
    return;
  }
  weft::config c;
  c.procs = 2;
  c.on_deadlock = weft::deadlock_policy::report;
  WEFT_MODEL_ASSERT(weft::run(c, f) == weft::exit_status::ok);
}

// A runtime config with `n` Ps whose deadlock is reported (run() returns
// exit_status::deadlock), so that a lost wakeup fails the check, not the
// process.
inline weft::config procs(unsigned n) {
  weft::config c;
  c.procs = n;
  c.on_deadlock = weft::deadlock_policy::report;
  return c;
}

inline m::options exhaustive(int bound) {
  m::options o;
  o.search = m::strategy::exhaustive;
  o.max_preemptions = bound;
  o.progress = false;
  // The runtime's Ms and monitor are detached threads that must all exit
  // when run() returns: one left blocked is a lost wakeup.
  o.detached_may_block = false;
  return o;
}

inline m::options sampled(m::strategy s, std::uint64_t iterations, std::uint64_t seed = 1) {
  m::options o;
  o.search = s;
  o.max_preemptions = -1;
  o.iterations = iterations;
  o.seed = seed;
  o.progress = false;
  o.detached_may_block = false;  // as in exhaustive()
  return o;
}

inline std::string describe_strategy(const m::options& o) {
  switch (o.search) {
    case m::strategy::exhaustive:
      return std::string("exhaustive | ") +
             (o.max_preemptions < 0 ? std::string("unbounded")
                                    : "bound " + std::to_string(o.max_preemptions)) +
             (o.max_executions ? ", cap " + std::to_string(o.max_executions) : "");
    case m::strategy::random:
      return "random | " + std::to_string(o.iterations);
    case m::strategy::pct:
      return "pct (d=" + std::to_string(o.pct_depth) + ") | " + std::to_string(o.iterations);
    default:
      return "fuzz | 1";
  }
}

// The row docs/model-scenarios.md collects (grep '^| ' in the test output).
inline void print_row(const m::options& o, const m::result& r) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "?";
  bool exhaustive = o.search == m::strategy::exhaustive;
  // What the search ran with: check() applies the environment's overrides
  // (./dev test --deep sets the bound and a shard).
  m::options shown = o;
  if (const char* b = std::getenv("WEFT_MODEL_MAX_PREEMPTIONS"); b && exhaustive)
    shown.max_preemptions = std::atoi(b);
  std::string strategy = describe_strategy(shown);
  if (const char* sh = std::getenv("WEFT_MODEL_SHARD"); sh && exhaustive)
    strategy += std::string(", shard ") + sh;
  std::printf("| %s | %s | %llu | %s | %.2f |\n", name.c_str(), strategy.c_str(),
              static_cast<unsigned long long>(r.executions),
              exhaustive ? (r.complete ? "yes" : "no") : "n/a (sampled)", r.seconds);
  std::fflush(stdout);
}

// Whether a search under `o` covers its whole space in this process. An
// exhaustive search split into shards (./dev test --deep sets
// WEFT_MODEL_SHARD) explores only its share.
inline bool searches_whole_space(const m::options& o) {
  if (o.search != m::strategy::exhaustive) return true;  // runs its iterations in every shard
  if (o.shard_count > 1) return false;
  const char* sh = std::getenv("WEFT_MODEL_SHARD");
  const char* slash = sh != nullptr ? std::strchr(sh, '/') : nullptr;
  return slash == nullptr || std::atoi(slash + 1) <= 1;
}

// Whether the last scenario() searched its whole space. A test's coverage
// demands ("both outcomes occur in some execution") hold for the union of
// the shards, not for each: check them only when this is true.
inline bool g_last_search_whole = true;
inline bool last_search_whole() { return g_last_search_whole; }

// Runs body under `o`; the search must pass and, when exhaustive, be complete.
inline m::result scenario(const m::options& o, std::function<void()> body) {
  g_last_search_whole = searches_whole_space(o);
  m::result r = m::check(o, std::move(body));
  EXPECT_MODEL_OK(r);
  if (o.search == m::strategy::exhaustive && o.max_executions == 0) {
    EXPECT_TRUE(r.complete);
  }
  print_row(o, r);
  return r;
}

}  // namespace weft::model_scenario
