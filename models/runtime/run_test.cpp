// run_test.cpp: weft::run under the checker (issue 4, item 2). The runtime's
// Ms and its monitor are model threads; goroutine switches nest inside them.
// Each test is a scenario, one check per strategy, and a conservation
// assertion at the end.
#include <chrono>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "model_test.hpp"

namespace {

namespace m = weft::model;

m::options with(m::strategy s, int preemptions, std::uint64_t n) {
  m::options o;
  o.search = s;
  o.max_preemptions = preemptions;
  o.iterations = n;
  o.max_executions = n;
  o.progress = false;
  o.detached_may_block = false;  // every M and the monitor exit with run()
  return o;
}

// procs = 2, three goroutines: main, a producer and a relay; values pass over
// two unbuffered channels and all arrive.
void three_goroutines_over_channels() {
  weft::config c;
  c.procs = 2;
  auto st = weft::run(c, [] {
    weft::chan<int> a(0), b(0);
    weft::go([&] {
      for (int i = 1; i <= 2; ++i) a.send(i);
    });
    weft::go([&] {
      for (int i = 0; i < 2; ++i) b.send(*a.recv() * 10);
    });
    int sum = 0;
    for (int i = 0; i < 2; ++i) sum += *b.recv();
    WEFT_MODEL_ASSERT(sum == 30);  // nothing lost, nothing twice
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

TEST(RuntimeModel, RunWithTwoProcsPassesValuesOverChannelsBounded) {
  auto r = m::check(with(m::strategy::exhaustive, 1, 3000), three_goroutines_over_channels);
  EXPECT_MODEL_OK(r);
}

TEST(RuntimeModel, RunWithTwoProcsPassesValuesOverChannelsRandom) {
  auto r = m::check(with(m::strategy::random, -1, 3000), three_goroutines_over_channels);
  EXPECT_MODEL_OK(r);
}

TEST(RuntimeModel, RunWithTwoProcsPassesValuesOverChannelsPct) {
  auto r = m::check(with(m::strategy::pct, -1, 3000), three_goroutines_over_channels);
  EXPECT_MODEL_OK(r);
}

TEST(RuntimeModel, BufferedChannelWaitGroupAndMutex) {
  auto r = m::check(with(m::strategy::random, -1, 2000), [] {
    weft::config c;
    c.procs = 2;
    weft::run(c, [] {
      weft::chan<int> ch(2);
      weft::wait_group wg;
      weft::mutex mu;
      int total = 0;
      wg.add(2);
      for (int g = 0; g < 2; ++g)
        weft::go([&] {
          for (int v : ch) {
            mu.lock();
            total += v;
            mu.unlock();
          }
          wg.done();
        });
      for (int i = 1; i <= 3; ++i) ch.send(i);
      ch.close();
      wg.wait();
      WEFT_MODEL_ASSERT(total == 6);
    });
  });
  EXPECT_MODEL_OK(r);
}

// A fatal error inside the runtime (here: unlocking an unlocked weft::mutex)
// fails the execution with kind "fatal" and Go's message, instead of ending
// the test process.
TEST(RuntimeModel, FatalErrorIsReportedAsAFailure) {
  auto r = m::check(with(m::strategy::random, 0, 3), [] {
    weft::config c;
    c.procs = 1;
    weft::run(c, [] {
      weft::mutex mu;
      mu.unlock();
    });
  });
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "fatal") << r.message;
  EXPECT_NE(r.message.find("sync: unlock of unlocked mutex"), std::string::npos) << r.message;
}

// A failed assertion inside weft::run is reported as such, with a trace
// that replays (the execution is abandoned mid-run; the next one must not
// see the abandoned runtime).
TEST(RuntimeModel, AssertionInsideRunIsReportedAndReplays) {
  auto r = m::check(with(m::strategy::random, 0, 3), [] {
    weft::config c;
    c.procs = 2;
    weft::run(c, [] {
      weft::chan<int> ch(1);
      weft::go([ch] { ch.send(41); });
      WEFT_MODEL_ASSERT(*ch.recv() == 42);
    });
  });
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "assertion") << r.message;
}

}  // namespace

namespace {

// What the main goroutine wrote before it returned is visible to run()'s
// caller once run() returns (D1 in run.cpp: the done flag's release store
// on the main goroutine's M, its acquire load in run()). A cell: the checker
// reports a data race if the two are not ordered.
TEST(RuntimeModel, MainGoroutineWritesAreVisibleAfterRun) {
  auto r = m::check(with(m::strategy::exhaustive, 1, 3000), [] {
    weft::sys::cell<int> result(0);
    weft::config c;
    c.procs = 2;
    auto st = weft::run(c, [&] {
      weft::chan<int> ch(0);
      weft::go([ch] { ch.send(7); });
      result.set(*ch.recv());
    });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
    WEFT_MODEL_ASSERT(result.get() == 7);
  });
  EXPECT_MODEL_OK(r);
}

// What main wrote is visible to run()'s caller even when run() returns
// while its only M is still held by a goroutine (released at the end of the
// body): run() then neither waits on the done futex (main is already done)
// nor sees that M leave (its wait for the Ms times out on virtual time).
void main_write_visible_while_the_m_is_held(m::strategy s, bool inside_blocking) {
  auto r = m::check(with(s, -1, 2000), [inside_blocking] {
    weft::sys::cell<int> result(0);
    // Outlives the body: the held M reads it after the body has returned.
    static weft::sys::atomic<std::uint32_t> release{0};
    release.store(0, std::memory_order_relaxed);
    weft::config c;
    c.procs = 1;
    auto st = weft::run(c, [&] {
      weft::go([inside_blocking] {
        auto hold = [] {
          while (release.load(std::memory_order_acquire) == 0) weft::sys::futex_wait(release, 0);
        };
        if (inside_blocking)
          weft::blocking(hold);
        else
          hold();
      });
      result.set(7);
    });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
    WEFT_MODEL_ASSERT(result.get() == 7);
    release.store(1, std::memory_order_release);  // the held M may now leave
    weft::sys::futex_wake(release, 1);
  });
  EXPECT_MODEL_OK(r);
}

// Held inside blocking(): the monitor retakes the P, and its sched lock
// orders main's write too. Random, 2000 executions.
TEST(RuntimeModel, MainGoroutineWritesAreVisibleWhileAnMIsStuck) {
  main_write_visible_while_the_m_is_held(m::strategy::random, true);
}

// Held outside any blocking() call: the monitor never retakes the P and
// the M takes no lock run() takes after main's exit, so only (D1) orders
// main's write. PCT, 2000 executions: the race needs run() to fall some 50
// steps behind the M (main finishes before run() first reads done), which
// the random strategy practically never does and PCT does at once (a
// relaxed (D1) fails on the 2nd execution).
TEST(RuntimeModel, MainGoroutineWritesAreVisibleWhileAGoroutineHoldsTheOnlyP) {
  main_write_visible_while_the_m_is_held(m::strategy::pct, false);
}

// run() waits up to a second for its Ms and its monitor to leave (D2/D3 in
// run.cpp); each wakes it as it goes, so with nothing left running run()
// returns at once. Virtual time moves only when every thread waits, so a
// missing wake shows as run() taking the whole second. PCT, 500
// executions: without the monitor's wake it fails on the 14th, without an
// M's on the 1st.
TEST(RuntimeModel, RunReturnsWithoutWaitingOutItsGracePeriod) {
  auto r = m::check(with(m::strategy::pct, -1, 500), [] {
    auto t0 = weft::sys::clock::now();
    weft::config c;
    c.procs = 2;
    auto st = weft::run(c, [] {
      weft::chan<int> ch(0);
      weft::go([ch] { ch.send(1); });
      WEFT_MODEL_ASSERT(ch.recv() == 1);
    });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
    WEFT_MODEL_ASSERT(weft::sys::clock::now() - t0 < std::chrono::milliseconds(500));
  });
  EXPECT_MODEL_OK(r);
}

// A plain thread that finds the running runtime through weft::procs() (or
// weft::go from outside) sees it fully built: run_main publishes it with a
// release store and readers load it with acquire (G1 in sched.cpp). The
// thread starts before run(), so nothing else orders the two; nprocs is a
// cell, so a G1 too weak is a data race. Exhaustive, bound 2.
TEST(RuntimeModel, PlainThreadSeesTheRunningRuntimeBuilt) {
  auto r = m::check(with(m::strategy::exhaustive, 2, 0), [] {
    weft::chan<int> seen(1);
    // procs() is 2 (the checker's hardware_concurrency) until the runtime
    // below, with one P, is visible.
    weft::sys::thread t([seen] {
      while (weft::procs() != 1) weft::sys::spin_hint();
      seen.send(1);
    });
    weft::config c;
    c.procs = 1;
    auto st = weft::run(c, [seen] { WEFT_MODEL_ASSERT(seen.recv() == 1); });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
    t.join();
  });
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

}  // namespace
