// sync_test.cpp: the checker's blocking primitives (mutex, condition
// variable, futex) and virtual time, as docs/model-checking.md describes
// them: misuse is reported with the documented failure kind, timed waits
// time out on virtual time, spurious wakeups appear only when asked for, a
// blocked thread is listed with what it waits for, and the objects behave as
// plain values outside check().
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
namespace m = weft::model;
using std::memory_order_relaxed;
using namespace std::chrono_literals;

m::options quiet() {
  m::options o;
  o.environment = false;
  o.progress = false;
  return o;
}

m::options exhaustive() {
  m::options o = quiet();
  o.max_preemptions = -1;
  return o;
}

std::int64_t ns(sys::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- outside check() --------------------------------------------------------
TEST(ModelSync, ObjectsArePlainValuesOutsideCheck) {
  sys::mutex mu;
  mu.lock();
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();

  sys::condition_variable cv;
  cv.notify_one();
  cv.notify_all();
  {
    std::unique_lock<sys::mutex> lk(mu);
    cv.wait(lk);  // returns at once: nothing can notify outside check()
    EXPECT_EQ(cv.wait_until(lk, sys::clock::time_point{}), std::cv_status::no_timeout);
  }

  sys::atomic<std::uint32_t> w{3};
  sys::futex_wait(w, 3);  // returns at once
  EXPECT_TRUE(sys::futex_wait_until(w, 3, sys::clock::time_point{}));
  sys::futex_wake(w, 1);

  EXPECT_EQ(ns(sys::clock::now()), 0);
  sys::spin_hint();
  std::uint64_t state = 1;
  EXPECT_EQ(sys::random_below(state, 10), 0u);
  EXPECT_EQ(sys::hardware_concurrency(), 2u);

  sys::atomic<int> a{5};
  EXPECT_EQ(a.load(), 5);
  a.store(6);
  EXPECT_EQ(a.exchange(7), 6);
  EXPECT_EQ(a.fetch_add(3), 7);
  int expected = 1;
  EXPECT_FALSE(a.compare_exchange_strong(expected, 0));
  EXPECT_EQ(expected, 10);
  EXPECT_TRUE(a.compare_exchange_weak(expected, 11));
  EXPECT_EQ(a.load(), 11);
  EXPECT_EQ(a.fetch_sub(1), 11);
  EXPECT_EQ(a.fetch_and(0xE), 10);
  EXPECT_EQ(a.fetch_or(1), 10);
  EXPECT_EQ(a.fetch_xor(3), 11);
  EXPECT_EQ(a.load(), 8);
  sys::atomic_thread_fence(std::memory_order_seq_cst);

  sys::cell<int> c(4);
  c.set(c.get() + 1);
  EXPECT_EQ(c.get(), 5);

  sys::thread none;  // not joinable: join and detach do nothing
  none.join();
  none.detach();
  EXPECT_FALSE(none.joinable());

  int slot_value = 0;
  sys::tls_set(sys::tls_slot::user0, &slot_value);
  EXPECT_EQ(sys::tls_get(sys::tls_slot::user0), &slot_value);
  sys::tls_set(sys::tls_slot::user0, nullptr);
  // Slots past the last one read as null and ignore writes.
  sys::tls_set(static_cast<sys::tls_slot>(9), &slot_value);
  EXPECT_EQ(sys::tls_get(static_cast<sys::tls_slot>(9)), nullptr);
}

TEST(ModelSync, AtomicKeepsItsValueAfterCheck) {
  sys::atomic<int> x{1};
  auto r = m::check(quiet(), [&] { x.store(x.load() + 1); });
  EXPECT_MODEL_OK(r);
  // Every execution starts from the value the previous one left (S1); after
  // the single execution the plain value is the last store.
  EXPECT_EQ(r.executions, 1u);
  EXPECT_EQ(x.load(), 2);
}

// ---- mutex ------------------------------------------------------------------
TEST(ModelSync, RelockingAHeldMutexIsADeadlock) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    mu.lock();
    mu.lock();
  });
  EXPECT_MODEL_FAILS(r, "deadlock");
  EXPECT_TRUE(contains(r.message, "that it already holds")) << r.message;
}

TEST(ModelSync, UnlockingAMutexNotHeldIsFatal) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    mu.unlock();
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "unlocks mutex #0 that it does not hold")) << r.message;
}

TEST(ModelSync, UnlockingAnotherThreadsMutexIsFatal) {
  auto r = m::check(exhaustive(), [] {
    sys::mutex mu;
    mu.lock();
    sys::thread t([&] { mu.unlock(); });
    t.join();
    mu.unlock();
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "thread 1 unlocks")) << r.message;
}

// Thread 1 try_locks while the body locks and unlocks: it fails exactly
// when it runs between the body's lock and unlock.
model_test::outcome try_lock_race() {
  sys::mutex mu;
  sys::atomic<int> got{-1};
  sys::thread t([&] {
    bool ok = mu.try_lock();
    if (ok) mu.unlock();
    got.store(ok ? 1 : 0, memory_order_relaxed);
  });
  mu.lock();
  mu.unlock();
  t.join();
  return model_test::outcome{got.load(memory_order_relaxed)};
}

TEST(ModelSync, TryLockSucceedsOrFailsDependingOnTheSchedule) {
  m::options o = model_test::unbounded();
  o.dpor = false;
  EXPECT_EQ(model_test::outcomes(o, try_lock_race), (std::set<model_test::outcome>{{0}, {1}}));
}

// CHECKER BUG (fails): with DPOR the failing try_lock is never explored.
// mutex_unlock is a step with access::none (src/model/sync.cpp:171-173,
// "Not an access for DPOR"), and independent() (src/model/execution.cpp:80)
// treats any step with access::none as independent of everything, so the
// only race found is try_lock against the body's lock: it is reversed (the
// try_lock runs first and succeeds), but the try_lock is never placed before
// the unlock. That is sound for a blocking lock (it
// is disabled while the mutex is held) but not for try_lock, whose result
// depends on the unlock.
TEST(ModelSync, DporExploresTheTryLockThatFails) {
  EXPECT_EQ(model_test::outcomes(try_lock_race), (std::set<model_test::outcome>{{0}, {1}}));
}

TEST(ModelSync, MutexStepsAppearInTheTrace) {
  m::options o = exhaustive();
  o.dpor = false;  // see DporExploresTheTryLockThatFails
  auto r = m::check(o, [] {
    sys::mutex mu;
    WEFT_MODEL_ASSERT(mu.try_lock());  // free: succeeds
    mu.unlock();
    sys::thread t([&] {
      mu.lock();
      mu.unlock();
    });
    bool ok = mu.try_lock();
    if (ok) mu.unlock();
    t.join();
    WEFT_MODEL_ASSERT(ok);
  });
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "try_lock")) << r.trace;
  EXPECT_TRUE(contains(r.trace, " succeeds")) << r.trace;
  EXPECT_TRUE(contains(r.trace, " fails")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "unlock")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "mutex first used at")) << r.trace;
}

// ---- condition variable -----------------------------------------------------
TEST(ModelSync, CondvarWaitWithoutItsMutexIsFatal) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::condition_variable cv;
    std::unique_lock<sys::mutex> lk(mu, std::defer_lock);
    cv.wait(lk);
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "without holding its mutex")) << r.message;
}

TEST(ModelSync, CondvarWaitForTimesOutOnVirtualTime) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::condition_variable cv;
    std::unique_lock<sys::mutex> lk(mu);
    auto t0 = sys::clock::now();
    bool notified = cv.wait_for(lk, 10ms) == std::cv_status::no_timeout;
    auto waited = sys::clock::now() - t0;
    WEFT_MODEL_ASSERT(!notified);
    WEFT_MODEL_ASSERT(waited == std::chrono::nanoseconds(10ms));
    WEFT_MODEL_ASSERT(lk.owns_lock() && false);  // for the trace
  });
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.message, "lk.owns_lock() && false")) << r.message;
  EXPECT_TRUE(contains(r.trace, "unlocks and blocks")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "time advances to 1010000000 ns")) << r.trace;
  EXPECT_TRUE(contains(r.trace, " times out")) << r.trace;
}

TEST(ModelSync, CondvarWaitUntilAPassedDeadlineTimesOutAtOnce) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::condition_variable cv;
    std::unique_lock<sys::mutex> lk(mu);
    auto t0 = sys::clock::now();
    WEFT_MODEL_ASSERT(cv.wait_until(lk, t0) == std::cv_status::timeout);
    WEFT_MODEL_ASSERT(sys::clock::now() == t0);
    WEFT_MODEL_ASSERT(!cv.wait_until(lk, t0, [] { return false; }));
    cv.notify_all();           // nobody waits
    WEFT_MODEL_ASSERT(false);  // for the trace
  });
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.message, "WEFT_MODEL_ASSERT(false)")) << r.message;
  EXPECT_TRUE(contains(r.trace, "deadline passed: times out")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "clock::now")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "notify_all wakes 0")) << r.trace;
}

TEST(ModelSync, TimedWaitDoesNotTimeOutWhileTheNotifierCanRun) {
  auto seen = model_test::outcomes([] {
    sys::mutex mu;
    sys::condition_variable cv;
    bool flag = false;  // guarded by mu
    sys::thread t([&] {
      std::lock_guard<sys::mutex> g(mu);
      flag = true;
      cv.notify_one();
    });
    bool got;
    {
      std::unique_lock<sys::mutex> lk(mu);
      got = cv.wait_for(lk, 1ms, [&] { return flag; });
    }
    t.join();
    return model_test::outcome{got ? 1 : 0};
  });
  // Virtual time advances only when every thread is blocked: while the
  // notifier can still run, the 1 ms deadline never passes.
  EXPECT_EQ(seen, (std::set<model_test::outcome>{{1}}));
}

TEST(ModelSync, NotifyAfterTheTimeoutDoesNotCountAsAWakeup) {
  // Both threads wait until the same virtual instant; whichever of them runs
  // second after time advances notifies (or finds) a waiter that already
  // timed out, which must still report the timeout.
  auto seen = model_test::outcomes([] {
    sys::mutex mu;
    sys::condition_variable cv, other;
    sys::atomic<int> a_result{-1};
    auto deadline = sys::clock::now() + 5ms;
    sys::thread a([&] {
      std::unique_lock<sys::mutex> lk(mu);
      a_result.store(cv.wait_until(lk, deadline) == std::cv_status::timeout ? 0 : 1,
                     memory_order_relaxed);
    });
    {
      std::unique_lock<sys::mutex> lk(mu);
      (void)other.wait_until(lk, deadline);
      cv.notify_all();
    }
    a.join();
    return model_test::outcome{a_result.load(memory_order_relaxed)};
  });
  EXPECT_EQ(seen, (std::set<model_test::outcome>{{0}}));
}

TEST(ModelSync, NotifyOneWakesOneWaiterNotifyAllWakesEvery) {
  auto run = [](bool all) {
    return m::check(exhaustive(), [all] {
      sys::mutex mu;
      sys::condition_variable cv;
      sys::atomic<int> waiting{0};
      auto waiter = [&] {
        std::unique_lock<sys::mutex> lk(mu);
        waiting.fetch_add(1);
        cv.wait(lk);
      };
      sys::thread t1(waiter), t2(waiter);
      while (waiting.load() != 2) sys::spin_hint();
      {
        // Holding mu after both counted: both are blocked in wait.
        std::lock_guard<sys::mutex> g(mu);
        if (all)
          cv.notify_all();
        else
          cv.notify_one();
      }
      t1.join();
      t2.join();
    });
  };
  auto one = run(false);
  EXPECT_MODEL_FAILS(one, "deadlock");
  EXPECT_TRUE(contains(one.message, "condition_variable wait on #")) << one.message;
  EXPECT_TRUE(contains(one.trace, "notify_one wakes 1")) << one.trace;
  auto every = run(true);
  EXPECT_MODEL_OK(every);
  EXPECT_TRUE(every.complete);
}

TEST(ModelSync, CondvarSpuriousWakeupsOnlyWhenEnabled) {
  auto body = [] {
    sys::mutex mu;
    sys::condition_variable cv;
    bool flag = false;  // guarded by mu
    sys::thread t([&] {
      std::lock_guard<sys::mutex> g(mu);
      flag = true;
      cv.notify_one();
    });
    {
      std::unique_lock<sys::mutex> lk(mu);
      if (!flag) cv.wait(lk);  // no predicate loop: correct only without spurious wakeups
      WEFT_MODEL_ASSERT(flag);
    }
    t.join();
  };
  m::options o = exhaustive();
  EXPECT_MODEL_OK(m::check(o, body));
  o.spurious_wakeups = true;
  auto r = m::check(o, body);
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "cv_wait")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "wakes spuriously")) << r.trace;
}

// ---- futex ------------------------------------------------------------------
TEST(ModelSync, FutexSpuriousWakeupsOnlyWhenEnabled) {
  auto body = [] {
    sys::atomic<std::uint32_t> w{0};
    sys::thread t([&] {
      w.store(1);
      sys::futex_wake(w, 1);
    });
    sys::futex_wait(w, 0);  // no re-check loop
    WEFT_MODEL_ASSERT(w.load(memory_order_relaxed) == 1);
    t.join();
  };
  m::options o = exhaustive();
  EXPECT_MODEL_OK(m::check(o, body));
  o.spurious_wakeups = true;
  auto r = m::check(o, body);
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "futex_wait")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "wakes spuriously")) << r.trace;
}

TEST(ModelSync, FutexWaitReturnsAtOnceWhenTheWordDiffers) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{7};
    sys::futex_wait(w, 3);  // would deadlock if it blocked
    WEFT_MODEL_ASSERT(sys::futex_wait_until(w, 3, sys::clock::now() + 1s));
    sys::futex_wake(w, 0);     // nobody waits
    sys::spin_hint();          // read nothing since the last hint: returns at once
    WEFT_MODEL_ASSERT(false);  // for the trace
  });
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.message, "WEFT_MODEL_ASSERT(false)")) << r.message;
  EXPECT_TRUE(contains(r.trace, "= 7 != 3: returns")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "futex_wake   #0 wakes 0")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "(reads again)")) << r.trace;
}

TEST(ModelSync, FutexWaitUntilTimesOutOnVirtualTime) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{0};
    auto t0 = sys::clock::now();
    WEFT_MODEL_ASSERT(!sys::futex_wait_until(w, 0, t0));  // already passed
    WEFT_MODEL_ASSERT(sys::clock::now() == t0);
    WEFT_MODEL_ASSERT(!sys::futex_wait_until(w, 0, t0 + 3ms));
    WEFT_MODEL_ASSERT(sys::clock::now() - t0 == std::chrono::nanoseconds(3ms));
    WEFT_MODEL_ASSERT(false);  // for the trace
  });
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.message, "WEFT_MODEL_ASSERT(false)")) << r.message;
  EXPECT_TRUE(contains(r.trace, "deadline passed: times out")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "time advances to 1003000000 ns")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "futex_wait   #0 times out")) << r.trace;
}

TEST(ModelSync, FutexTimedWaitIsWokenOrTimesOut) {
  auto seen = model_test::outcomes([] {
    sys::atomic<std::uint32_t> w{0};
    sys::thread t([&] { sys::futex_wake(w, 1); });
    bool woken = sys::futex_wait_until(w, 0, sys::clock::now() + 1ms);
    t.join();
    return model_test::outcome{woken ? 1 : 0};
  });
  EXPECT_EQ(seen, (std::set<model_test::outcome>{{0}, {1}}));
}

TEST(ModelSync, FutexWakeAfterTheTimeoutWakesNobody) {
  // a and main wait until the same instant; main's wake runs only after
  // time reached it, when a has timed out (or starts its wait past the
  // deadline): a always reports the timeout.
  auto r = m::check(exhaustive(), [] {
    sys::atomic<std::uint32_t> w{0}, other{0};
    auto deadline = sys::clock::now() + 5ms;
    sys::atomic<int> woke{-1};
    sys::thread a([&] { woke.store(sys::futex_wait_until(w, 0, deadline) ? 1 : 0); });
    (void)sys::futex_wait_until(other, 0, deadline);
    sys::futex_wake(w, 1);
    a.join();
    WEFT_MODEL_ASSERT(woke.load() == 0);
  });
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelSync, FutexWakeCountLimitsHowManyWake) {
  auto run = [](int count) {
    return m::check(exhaustive(), [count] {
      sys::atomic<std::uint32_t> w{0};
      sys::atomic<int> waiting{0};
      auto waiter = [&] {
        waiting.fetch_add(1);
        sys::futex_wait(w, 0);
      };
      sys::thread t1(waiter), t2(waiter);
      while (waiting.load() != 2) sys::spin_hint();
      // A timed wait returns only once every other thread is blocked, that
      // is, once both waiters sleep in futex_wait.
      sys::atomic<std::uint32_t> tick{0};
      (void)sys::futex_wait_until(tick, 0, sys::clock::now() + 1ms);
      sys::futex_wake(w, count);
      t1.join();
      t2.join();
    });
  };
  auto one = run(1);
  EXPECT_MODEL_FAILS(one, "deadlock");
  EXPECT_TRUE(contains(one.message, "futex_wait on #")) << one.message;
  EXPECT_TRUE(contains(one.message, "join of thread")) << one.message;
  EXPECT_TRUE(contains(one.trace, "wakes 1")) << one.trace;
  EXPECT_MODEL_OK(run(0));  // count <= 0: every waiter
  EXPECT_MODEL_OK(run(2));
}

// ---- blocked threads and virtual time ---------------------------------------
TEST(ModelSync, VirtualTimeJumpsToTheEarliestDeadlineFirst) {
  auto r = m::check(exhaustive(), [] {
    sys::atomic<std::uint32_t> w{0};
    auto t0 = sys::clock::now();
    sys::atomic<int> order{0}, late_rank{0}, early_rank{0};
    sys::thread late([&] {
      (void)sys::futex_wait_until(w, 0, t0 + 5ms);
      late_rank.store(order.fetch_add(1) + 1);
    });
    sys::thread early([&] {
      (void)sys::futex_wait_until(w, 0, t0 + 2ms);
      WEFT_MODEL_ASSERT(sys::clock::now() - t0 < std::chrono::nanoseconds(5ms));
      early_rank.store(order.fetch_add(1) + 1);
    });
    late.join();
    early.join();
    WEFT_MODEL_ASSERT(early_rank.load() == 1 && late_rank.load() == 2);
    WEFT_MODEL_ASSERT(sys::clock::now() - t0 == std::chrono::nanoseconds(5ms));
  });
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelSync, JoinOfABlockedThreadIsADeadlockListingBoth) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{0};
    sys::thread t([&] { sys::futex_wait(w, 0); });
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "deadlock");
  EXPECT_TRUE(contains(r.message, "thread 0 blocked in join of thread 1")) << r.message;
  EXPECT_TRUE(contains(r.message, "thread 1 blocked in futex_wait on #0")) << r.message;
}

TEST(ModelSync, DetachedThreadMayStayBlockedUnlessForbidden) {
  auto run = [](const m::options& o) {
    // Outside the body: the detached thread still uses them after the body
    // returns.
    sys::mutex mu;
    sys::condition_variable cv;
    return m::check(o, [&] {
      sys::thread t([&] {
        std::unique_lock<sys::mutex> lk(mu);
        cv.wait(lk);  // nobody notifies
      });
      t.detach();
    });
  };
  m::options o = quiet();
  EXPECT_MODEL_OK(run(o));
  o.detached_may_block = false;
  auto r = run(o);
  EXPECT_MODEL_FAILS(r, "blocked at exit");
  EXPECT_TRUE(contains(r.message, "thread 1 blocked in condition_variable wait on #")) << r.message;
  EXPECT_TRUE(contains(r.trace, "unlocks and blocks")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "condition_variable first used at")) << r.trace;
}

// Invariant S1 (include/weft/sys/model.hpp): an object that outlives an
// execution is registered again by the next one, also across check() calls.
// Until f17373f the epoch counter restarted with each check(), so here x, mu
// and c (last registered in execution 1 of the first check() as #0, #1, #2)
// looked registered in execution 1 of the second and were taken for its
// objects #0 (y) and #1 (local): x read 5, and locking mu "relocked" local.
TEST(ModelSync, ObjectsOutlivingACheckAreRegisteredAgainByTheNext) {
  sys::atomic<int> x{0};
  sys::mutex mu;
  sys::cell<int> c(0);
  auto first = m::check(quiet(), [&] {
    x.store(1);
    mu.lock();
    c.set(c.get() + 1);
    mu.unlock();
  });
  EXPECT_MODEL_OK(first);
  EXPECT_EQ(first.executions, 1u);
  EXPECT_EQ(x.load(), 1);
  auto r = m::check(quiet(), [&] {
    sys::atomic<int> y{5};
    sys::mutex local;
    WEFT_MODEL_ASSERT(y.load() == 5);
    local.lock();
    WEFT_MODEL_ASSERT(x.load() == 1);
    mu.lock();
    WEFT_MODEL_ASSERT(c.get() == 1);
    mu.unlock();
    local.unlock();
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelSync, ThreadLeftBlockedOnAMutexIsReported) {
  sys::mutex mu;  // outlives the body: re-registered by each execution (S1)
  auto r = m::check(quiet(), [&] {
    mu.lock();
    sys::thread t([&] { mu.lock(); });
    (void)t;
  });
  EXPECT_MODEL_FAILS(r, "blocked at exit");
  EXPECT_TRUE(contains(r.message, "thread 1 blocked in mutex #0 (held by thread 0)")) << r.message;
}

}  // namespace
