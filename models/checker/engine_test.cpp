// engine_test.cpp: the checker's own behaviour: each failure kind is found
// and reported (kind, message, trace, replay token), replay reproduces a
// failure, and the strategies and options do what they say.
#include <cstdlib>
#include <mutex>
#include <string>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
namespace m = weft::model;
using std::memory_order_acquire;
using std::memory_order_relaxed;
using std::memory_order_release;

m::options quiet() {
  m::options o;
  o.environment = false;
  o.progress = false;
  return o;
}

TEST(ModelEngine, SingleThreadPasses) {
  auto r = m::check(quiet(), [] {
    sys::atomic<int> x{1};
    x.store(2);
    WEFT_MODEL_ASSERT(x.load() == 2);
  });
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 1u);
  EXPECT_TRUE(r.complete);
}

TEST(ModelEngine, FindsAssertionAndTracesIt) {
  auto r = m::check(quiet(), [] {
    sys::atomic<int> x{0};
    sys::thread t([&] { x.store(1, memory_order_relaxed); });
    WEFT_MODEL_ASSERT(x.load(memory_order_relaxed) == 0);
    t.join();
  });
  ASSERT_TRUE(::weft::model_test::fails_with(r, "assertion"));
  EXPECT_NE(r.message.find("x.load(memory_order_relaxed) == 0"), std::string::npos) << r.message;
  EXPECT_NE(r.trace.find("engine_test.cpp:"), std::string::npos) << r.trace;
  EXPECT_NE(r.trace.find("store"), std::string::npos) << r.trace;
  EXPECT_FALSE(r.replay.empty());
}

TEST(ModelEngine, ReplayReproducesTheFailure) {
  auto body = [] {
    sys::atomic<int> x{0};
    sys::thread a([&] { x.fetch_add(1, memory_order_relaxed); });
    sys::thread b([&] { x.fetch_add(2, memory_order_relaxed); });
    int seen = x.load(memory_order_relaxed);
    WEFT_MODEL_ASSERT(seen != 2);
    a.join();
    b.join();
  };
  auto r = m::check(quiet(), body);
  ASSERT_TRUE(::weft::model_test::fails_with(r, "assertion"));
  m::options o = quiet();
  o.replay = r.replay;
  auto again = m::check(o, body);
  ASSERT_TRUE(::weft::model_test::fails_with(again, "assertion"));
  EXPECT_EQ(again.executions, 1u);
  EXPECT_EQ(again.trace.substr(again.trace.find('\n')), r.trace.substr(r.trace.find('\n')));
}

TEST(ModelEngine, MutexProtectsACell) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::cell<int> n(0);
    auto inc = [&] {
      std::lock_guard<sys::mutex> g(mu);
      n.set(n.get() + 1);
    };
    sys::thread a(inc), b(inc);
    a.join();
    b.join();
    WEFT_MODEL_ASSERT(n.get() == 2);
  });
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelEngine, UnprotectedCellIsADataRaceNamingBothAccesses) {
  auto r = m::check(quiet(), [] {
    sys::cell<int> n(0);
    sys::thread a([&] { n.set(1); });
    int v = n.get();
    (void)v;
    a.join();
  });
  ASSERT_TRUE(::weft::model_test::fails_with(r, "data race"));
  EXPECT_NE(r.message.find("write by thread 1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("read by thread 0"), std::string::npos) << r.message;
}

TEST(ModelEngine, ReleaseAcquireOrdersACell) {
  auto r = m::check(quiet(), [] {
    sys::cell<int> data(0);
    sys::atomic<bool> ready{false};
    sys::thread a([&] {
      data.set(42);
      ready.store(true, memory_order_release);
    });
    if (ready.load(memory_order_acquire)) WEFT_MODEL_ASSERT(data.get() == 42);
    a.join();
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelEngine, RelaxedFlagRacesOnTheCell) {
  auto r = m::check(quiet(), [] {
    sys::cell<int> data(0);
    sys::atomic<bool> ready{false};
    sys::thread a([&] {
      data.set(42);
      ready.store(true, memory_order_relaxed);
    });
    if (ready.load(memory_order_relaxed)) (void)data.get();
    a.join();
  });
  EXPECT_MODEL_FAILS(r, "data race");
}

// Claimed reads (sys::read_mark, sys::ghost_cell): a reader reads a slot,
// then claims it with a CAS; the owner reuses the slot once it sees the
// claim. The reader's read must happen before the reuse, which only an
// acquire load of the claim gives (relaxed: load buffering in ISO C++).
// Or the owner claims the slot itself, and the reader's read, whose claim
// then fails, counts for nothing.
enum class owner { sees_claim_acquire, sees_claim_relaxed, claims_itself };

template <owner kOwner>
void claim_then_reuse() {
  sys::atomic<int> slot{1};
  sys::atomic<int> claimed{0};
  sys::ghost_cell ghost;
  sys::thread reader([&] {
    (void)slot.load(memory_order_relaxed);
    sys::read_mark mark = sys::mark_read();
    int expected = 0;
    if (claimed.compare_exchange_strong(expected, 1, memory_order_release, memory_order_relaxed))
      ghost.commit_read(mark);
  });
  bool reuse = false;
  if constexpr (kOwner == owner::claims_itself) {
    int expected = 0;
    reuse = claimed.compare_exchange_strong(expected, 2, memory_order_relaxed);
    // A scheduling point between claim and reuse: the reader's failed
    // claim can come in between, so a commit it made would be checked.
    (void)claimed.load(memory_order_relaxed);
  } else {
    reuse = claimed.load(kOwner == owner::sees_claim_acquire ? memory_order_acquire
                                                             : memory_order_relaxed) == 1;
  }
  if (reuse) {
    ghost.write();
    slot.store(2, memory_order_relaxed);
  }
  reader.join();
}

TEST(ModelEngine, ClaimedReadOrderedBeforeTheReusePasses) {
  auto r = m::check(quiet(), claim_then_reuse<owner::sees_claim_acquire>);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelEngine, ClaimedReadNotOrderedBeforeTheReuseIsADataRace) {
  auto r = m::check(quiet(), claim_then_reuse<owner::sees_claim_relaxed>);
  ASSERT_TRUE(::weft::model_test::fails_with(r, "data race"));
  EXPECT_NE(r.message.find("read by thread 1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("write by thread 0"), std::string::npos) << r.message;
}

// The owner reuses the slot with no ordering at all against the reader;
// committing the reader's read regardless of its claim fails this test.
TEST(ModelEngine, ReadWhoseClaimFailedIsNotChecked) {
  auto r = m::check(quiet(), claim_then_reuse<owner::claims_itself>);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelEngine, LockOrderDeadlockListsEachBlockedThread) {
  auto r = m::check(quiet(), [] {
    sys::mutex a, b;
    sys::thread t([&] {
      std::lock_guard<sys::mutex> x(b);
      std::lock_guard<sys::mutex> y(a);
    });
    {
      std::lock_guard<sys::mutex> x(a);
      std::lock_guard<sys::mutex> y(b);
    }
    t.join();
  });
  ASSERT_TRUE(::weft::model_test::fails_with(r, "deadlock"));
  EXPECT_NE(r.message.find("thread 0 blocked in mutex"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("thread 1 blocked in mutex"), std::string::npos) << r.message;
}

TEST(ModelEngine, ThreadBlockedWhenBodyReturnsIsReported) {
  auto r = m::check(quiet(), [] {
    static sys::atomic<std::uint32_t>* word;
    auto* w = new sys::atomic<std::uint32_t>(0);
    word = w;
    sys::thread t([] { sys::futex_wait(*word, 0); });
    t.detach();
  });
  // detached threads may stay blocked by default; joinable ones may not
  EXPECT_MODEL_OK(r);
  m::options o = quiet();
  o.detached_may_block = false;
  auto r2 = m::check(o, [] {
    auto* w = new sys::atomic<std::uint32_t>(0);
    sys::thread t([w] { sys::futex_wait(*w, 0); });
    t.detach();
  });
  EXPECT_MODEL_FAILS(r2, "blocked at exit");
}

TEST(ModelEngine, FutexWakeEndsTheWait) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{0};
    sys::thread t([&] {
      while (w.load(memory_order_acquire) == 0) sys::futex_wait(w, 0);
    });
    w.store(1, memory_order_release);
    sys::futex_wake(w, 1);
    t.join();
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelEngine, LostWakeupIsADeadlock) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{0};
    sys::thread t([&] {
      if (w.load(memory_order_acquire) == 0) {
        sys::atomic<std::uint32_t> other{0};
        sys::futex_wait(other, 0);  // waits on the wrong word: never woken
      }
    });
    w.store(1, memory_order_release);
    sys::futex_wake(w, 1);
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "deadlock");
}

TEST(ModelEngine, SpinWithoutHintIsALivelock) {
  m::options o = quiet();
  o.max_steps = 2000;
  auto r = m::check(o, [] {
    sys::atomic<int> x{0};
    while (x.load(memory_order_relaxed) == 0) {
    }
  });
  EXPECT_MODEL_FAILS(r, "livelock");
}

TEST(ModelEngine, SpinHintWaitsForAWriter) {
  auto r = m::check(quiet(), [] {
    sys::atomic<int> x{0};
    sys::thread t([&] { x.store(1, memory_order_release); });
    while (x.load(memory_order_acquire) == 0) sys::spin_hint();
    t.join();
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelEngine, SpinHintWithNoWriterIsALivelock) {
  auto r = m::check(quiet(), [] {
    sys::atomic<int> x{0};
    while (x.load(memory_order_acquire) == 0) sys::spin_hint();
  });
  EXPECT_MODEL_FAILS(r, "livelock");
}

TEST(ModelEngine, EscapedExceptionIsAFailure) {
  auto r = m::check(quiet(), [] {
    sys::thread t([] { throw std::runtime_error("boom"); });
    t.join();
  });
  ASSERT_TRUE(::weft::model_test::fails_with(r, "exception"));
  EXPECT_NE(r.message.find("boom"), std::string::npos);
}

TEST(ModelEngine, LeakedAllocationIsReported) {
  m::options o = quiet();
  o.check_leaks = true;
  auto r = m::check(o, [] {
    sys::atomic<int*> p{nullptr};
    sys::thread t([&] { p.store(new int(7), memory_order_release); });
    t.join();
    int* q = p.load(memory_order_acquire);
    if (*q == 7) return;  // forgets to delete
    delete q;
  });
  EXPECT_MODEL_FAILS(r, "leak");
  auto ok = m::check(o, [] {
    sys::atomic<int*> p{nullptr};
    sys::thread t([&] { p.store(new int(7), memory_order_release); });
    t.join();
    delete p.load(memory_order_acquire);
  });
  EXPECT_MODEL_OK(ok);
}

TEST(ModelEngine, AbortInTheBodyIsAFailure) {
  auto r = m::check(quiet(), [] {
    sys::atomic<int> x{0};
    sys::thread t([&] { x.store(1, memory_order_relaxed); });
    if (x.load(memory_order_relaxed) == 1) std::abort();  // e.g. a failed assert()
    t.join();
  });
  ASSERT_MODEL_FAILS(r, "abort");
  EXPECT_NE(r.trace.find("FAIL  abort"), std::string::npos) << r.trace;
  // and the checker keeps working afterwards
  EXPECT_MODEL_OK(m::check(quiet(), [] {}));
}

TEST(ModelEngine, VirtualTimeAdvancesOnlyWhenAllBlocked) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::condition_variable cv;
    bool flag = false;
    auto t0 = sys::clock::now();
    sys::thread t([&] {
      std::unique_lock<sys::mutex> l(mu);
      // nobody notifies: it must time out, and time must have moved 5 ms
      bool got = cv.wait_for(l, std::chrono::milliseconds(5), [&] { return flag; });
      WEFT_MODEL_ASSERT(!got);
      WEFT_MODEL_ASSERT(sys::clock::now() - t0 >= std::chrono::milliseconds(5));
    });
    t.join();
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelEngine, FutexWaitUntilTimesOut) {
  auto r = m::check(quiet(), [] {
    sys::atomic<std::uint32_t> w{0};
    bool woke = sys::futex_wait_until(w, 0, sys::clock::now() + std::chrono::seconds(1));
    WEFT_MODEL_ASSERT(!woke);
  });
  EXPECT_MODEL_OK(r);
}

TEST(ModelEngine, CondvarWithoutPredicateLoopLosesAWakeup) {
  auto r = m::check(quiet(), [] {
    sys::mutex mu;
    sys::condition_variable cv;
    sys::thread t([&] {
      std::unique_lock<sys::mutex> l(mu);
      cv.wait(l);  // no predicate: misses a notify that came first
    });
    { std::lock_guard<sys::mutex> g(mu); }
    cv.notify_one();
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "deadlock");
}

TEST(ModelEngine, RandomChoiceIsExplored) {
  std::set<int> seen;
  auto r = m::check(quiet(), [&] {
    std::uint64_t s = 0;
    seen.insert(static_cast<int>(sys::random_below(s, 3)));
  });
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2}));
}

TEST(ModelEngine, TlsSlotsArePerModelThread) {
  auto r = m::check(quiet(), [] {
    int a = 1, b = 2;
    sys::tls_set(sys::tls_slot::user0, &a);
    sys::thread t([&] {
      WEFT_MODEL_ASSERT(sys::tls_get(sys::tls_slot::user0) == nullptr);
      sys::tls_set(sys::tls_slot::user0, &b);
    });
    t.join();
    WEFT_MODEL_ASSERT(sys::tls_get(sys::tls_slot::user0) == &a);
  });
  EXPECT_MODEL_OK(r);
}

// Strategies all find a bug that needs one preemption.
void racy_counter() {
  sys::atomic<int> n{0};
  auto inc = [&] {
    int v = n.load(memory_order_relaxed);
    n.store(v + 1, memory_order_relaxed);
  };
  sys::thread a(inc), b(inc);
  a.join();
  b.join();
  WEFT_MODEL_ASSERT(n.load(memory_order_relaxed) == 2);
}

TEST(ModelEngine, RandomFindsALostUpdate) {
  m::options o = quiet();
  o.search = m::strategy::random;
  o.iterations = 10000;
  EXPECT_MODEL_FAILS(m::check(o, racy_counter), "assertion");
}

TEST(ModelEngine, PctFindsALostUpdate) {
  m::options o = quiet();
  o.search = m::strategy::pct;
  o.iterations = 10000;
  EXPECT_MODEL_FAILS(m::check(o, racy_counter), "assertion");
}

TEST(ModelEngine, ExhaustiveWithoutDporFindsALostUpdate) {
  m::options o = quiet();
  o.dpor = false;
  EXPECT_MODEL_FAILS(m::check(o, racy_counter), "assertion");
}

TEST(ModelEngine, FuzzTakesChoicesFromBytes) {
  m::options o = quiet();
  o.search = m::strategy::fuzz;
  int failures = 0;
  for (int i = 0; i < 256 && failures == 0; ++i) {
    o.fuzz_input.assign(16, static_cast<char>(i));
    o.fuzz_input[0] = static_cast<char>(i * 7);
    if (!m::check(o, racy_counter).ok) ++failures;
  }
  EXPECT_GT(failures, 0);
}

TEST(ModelEngine, PreemptionBoundLimitsTheSearch) {
  auto count = [](int bound) {
    m::options o = quiet();
    o.max_preemptions = bound;
    o.dpor = false;
    return m::check(o,
                    [] {
                      sys::atomic<int> x{0};
                      auto f = [&] {
                        for (int i = 0; i < 3; ++i) x.fetch_add(1, memory_order_relaxed);
                      };
                      sys::thread a(f), b(f);
                      a.join();
                      b.join();
                    })
        .executions;
  };
  EXPECT_LT(count(0), count(1));
  EXPECT_LT(count(1), count(2));
}

TEST(ModelEngine, DporExploresFewerExecutionsThanPlainSearch) {
  auto run = [](bool dpor) {
    m::options o = quiet();
    o.max_preemptions = -1;
    o.dpor = dpor;
    return m::check(o, [] {
      sys::atomic<int> x{0}, y{0}, z{0};
      sys::thread a([&] {
        x.store(1, memory_order_relaxed);
        y.store(1, memory_order_relaxed);
      });
      sys::thread b([&] {
        z.store(1, memory_order_relaxed);
        z.store(2, memory_order_relaxed);
      });
      a.join();
      b.join();
    });
  };
  auto with = run(true), without = run(false);
  EXPECT_MODEL_OK(with);
  EXPECT_MODEL_OK(without);
  EXPECT_LT(with.executions, without.executions);
}

}  // namespace

namespace {

TEST(ModelEngine, ShardsSplitTheSearchAndCoverIt) {
  auto body_outcomes = [](unsigned index, unsigned count, std::uint64_t* executions) {
    std::set<std::vector<int>> seen;
    m::options o = quiet();
    o.max_preemptions = -1;
    o.shard_index = index;
    o.shard_count = count;
    o.dpor = false;  // what a sharded search does
    auto r = m::check(o, [&] {
      sys::atomic<int> x{0};
      int a = 0, b = 0;
      sys::thread t1([&] { a = x.exchange(1, std::memory_order_relaxed); });
      sys::thread t2([&] { b = x.exchange(2, std::memory_order_relaxed); });
      int c = x.load(std::memory_order_relaxed);
      t1.join();
      t2.join();
      seen.insert({a, b, c});
    });
    EXPECT_MODEL_OK(r);
    EXPECT_TRUE(r.complete);
    *executions = r.executions;
    return seen;
  };
  std::uint64_t n_all = 0, n0 = 0, n1 = 0;
  auto all = body_outcomes(0, 1, &n_all);
  auto s0 = body_outcomes(0, 2, &n0);
  auto s1 = body_outcomes(1, 2, &n1);
  std::set<std::vector<int>> both = s0;
  both.insert(s1.begin(), s1.end());
  EXPECT_EQ(both, all);
  EXPECT_LT(n0, n_all);
  EXPECT_LT(n1, n_all);
}

// An atomic that outlives check() (a global) is registered again by each
// execution of a later check(), even one whose executions are numbered like
// those of the first (one execution each, as strategy::fuzz runs): found by
// fuzz_schedule, where the second check() read a stale object index.
sys::atomic<int> g_outliving{0};

TEST(ModelEngine, GlobalAtomicOutlivingACheckIsFreshInTheNext) {
  for (int i = 0; i < 3; ++i) {
    m::options o;
    o.search = m::strategy::fuzz;
    o.environment = false;
    o.progress = false;
    auto r = m::check(o, [] {
      sys::thread t([] { g_outliving.fetch_add(1, std::memory_order_relaxed); });
      g_outliving.fetch_add(1, std::memory_order_relaxed);
      t.join();
    });
    EXPECT_MODEL_OK(r);
    EXPECT_EQ(r.executions, 1u);
  }
  EXPECT_EQ(g_outliving.load(std::memory_order_relaxed), 6);
}

}  // namespace
