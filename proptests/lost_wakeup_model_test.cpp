// lost_wakeup_model_test.cpp: the lost-wakeup programs (programs.hpp) under
// the checker. weft::run runs inside weft::model::check with the random
// strategy (procs = 1 and 2): its Ms and monitor are model threads, so the
// runtime's own parking protocol is explored too. A lost wake-up shows as
// run() returning exit_status::deadlock (the detector's grace period is
// virtual time under the checker), or as the checker's "deadlock",
// "blocked at exit" or "livelock" failure when the runtime itself sleeps
// for good. The failure comes back with the program, the replay token and
// the trace.
//
// The random seed is part of the generated case (not shrunk), so
// RC_PARAMS="reproduce=..." replays the same schedules.
#include <cstdint>
#include <string>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "programs.hpp"
#include "prop.hpp"

namespace {

using namespace weft_proptest;

// Executions per program and procs value.
constexpr std::uint64_t kIterations = 25;

weft::model::result check_program(const lw_program& p, unsigned procs, std::uint64_t seed) {
  weft::model::options o;
  o.search = weft::model::strategy::random;
  o.iterations = kIterations;
  o.seed = seed;
  o.progress = false;
  return weft::model::check(o, [&] {
    weft::config cfg;
    cfg.procs = procs;
    cfg.on_deadlock = weft::deadlock_policy::report;
    lw_result got;
    auto st = weft::run(cfg, [&] { got = run_lw_program(p); });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);  // no lost wake-up
    WEFT_MODEL_ASSERT(got.ok());                     // nothing lost or twice
  });
}

WEFT_PROP(LostWakeupModel, GeneratedProgramsTerminateUnderTheChecker, 300) {
  const lw_program p = gen_lw_program();
  const auto seed = *rc::gen::noShrink(rc::gen::inRange<std::uint64_t>(0, 1u << 30));
  for (unsigned procs : {1u, 2u}) {
    auto r = check_program(p, procs, seed);
    if (!r.ok)
      RC_FAIL("procs=" + std::to_string(procs) + ": " + weft::model::describe(r) + "\nprogram:\n" +
              show(p));
    RC_ASSERT(r.executions == kIterations);
  }
}

// The harness can fail: a program outside the generator's rules (a try_send
// polling an unbuffered channel whose only consumer polls too: the two never
// meet) must be reported, not pass.
TEST(LostWakeupModel, HarnessReportsAProgramThatNeverEnds) {
  lw_program p;
  p.cap[0] = p.cap[1] = 0;
  p.producers.push_back(producer{producer_mode::poll_send, 0, {1}});
  p.consumers.push_back(consumer{consumer_mode::poll_recv, 0});
  p.consumers.push_back(consumer{consumer_mode::range, 1});
  p.closer = closer_mode::goroutine;
  auto r = check_program(p, 1, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "livelock") << weft::model::describe(r);
}

// A program that blocks for good (a receive nobody sends to and nobody
// closes) comes back as run() == exit_status::deadlock: an assertion.
TEST(LostWakeupModel, HarnessReportsADeadlock) {
  weft::model::options o;
  o.search = weft::model::strategy::random;
  o.iterations = 3;
  o.progress = false;
  auto r = weft::model::check(o, [] {
    weft::config cfg;
    cfg.procs = 2;
    cfg.on_deadlock = weft::deadlock_policy::report;
    auto st = weft::run(cfg, [] {
      weft::chan<int> c(0);
      c.recv();
    });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
  });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "assertion") << weft::model::describe(r);
}

}  // namespace
