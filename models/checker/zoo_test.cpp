// zoo_test.cpp: the bug zoo. Each classic concurrency bug is written out and
// must be caught; its correct twin must pass the exhaustive search. Chase-Lev
// with each fence or ordering weakened lives in chase_lev_test.cpp.
//
//   Peterson with release/acquire        Dekker without a fence
//   message passing with a relaxed flag  double-checked locking, relaxed load
//   seqlock with relaxed data reads      Treiber stack, ABA through node reuse
//   condition wait without a predicate   lock-order deadlock
//   spinlock released relaxed            reference count decremented relaxed
#include <cstdint>
#include <mutex>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
namespace m = weft::model;
constexpr auto rlx = std::memory_order_relaxed;
constexpr auto acq = std::memory_order_acquire;
constexpr auto rel = std::memory_order_release;
constexpr auto acq_rel = std::memory_order_acq_rel;
constexpr auto sc = std::memory_order_seq_cst;

m::options opts() {
  m::options o;
  o.environment = true;
  o.progress = false;
  return o;
}

// ---- Peterson's lock ----------------------------------------------------------
// Correct only with seq_cst: entering needs the StoreLoad between writing
// one's own flag and reading the other's.
template <bool kSeqCst>
void peterson() {
  constexpr auto st = kSeqCst ? sc : rel;
  constexpr auto ld = kSeqCst ? sc : acq;
  sys::atomic<bool> flag[2] = {{false}, {false}};
  sys::atomic<int> turn{0};
  sys::cell<int> inside(0);
  auto run = [&](int me) {
    int other = 1 - me;
    flag[me].store(true, st);
    turn.store(other, st);
    while (flag[other].load(ld) && turn.load(ld) == other) sys::spin_hint();
    inside.set(inside.get() + 1);  // the critical section
    flag[me].store(false, rel);
  };
  sys::thread t([&] { run(1); });
  run(0);
  t.join();
  WEFT_MODEL_ASSERT(inside.get() == 2);
}
TEST(BugZoo, PetersonWithReleaseAcquireRaces) {
  EXPECT_MODEL_FAILS(m::check(opts(), peterson<false>), "data race");
}
TEST(BugZoo, PetersonWithSeqCstIsCorrect) { EXPECT_MODEL_OK(m::check(opts(), peterson<true>)); }

// ---- Dekker (the entry protocol) -----------------------------------------------
template <bool kFence>
void dekker() {
  sys::atomic<int> flag[2] = {{0}, {0}};
  sys::cell<int> data(0);
  auto run = [&](int me) {
    flag[me].store(1, rlx);
    if (kFence) sys::atomic_thread_fence(sc);       // StoreLoad
    if (flag[1 - me].load(rlx) == 0) data.set(me);  // enter
  };
  sys::thread t([&] { run(1); });
  run(0);
  t.join();
}
TEST(BugZoo, DekkerWithoutFenceRaces) {
  EXPECT_MODEL_FAILS(m::check(opts(), dekker<false>), "data race");
}
TEST(BugZoo, DekkerWithSCFenceIsCorrect) { EXPECT_MODEL_OK(m::check(opts(), dekker<true>)); }

// ---- message passing -----------------------------------------------------------------
template <bool kRelAcq>
void message_passing() {
  sys::cell<int> payload(0);
  sys::atomic<bool> ready{false};
  sys::thread t([&] {
    payload.set(42);
    ready.store(true, kRelAcq ? rel : rlx);
  });
  if (ready.load(kRelAcq ? acq : rlx)) WEFT_MODEL_ASSERT(payload.get() == 42);
  t.join();
}
TEST(BugZoo, MessagePassingWithRelaxedFlagRaces) {
  EXPECT_MODEL_FAILS(m::check(opts(), message_passing<false>), "data race");
}
TEST(BugZoo, MessagePassingWithReleaseAcquireIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), message_passing<true>));
}

// ---- double-checked locking -------------------------------------------------------------
template <bool kAcquire>
void double_checked_locking() {
  struct widget {
    sys::cell<int> value{0};
  };
  sys::atomic<widget*> instance{nullptr};
  sys::mutex mu;
  widget storage;
  auto get = [&]() -> widget* {
    widget* p = instance.load(kAcquire ? acq : rlx);  // the first, unlocked check
    if (!p) {
      std::lock_guard<sys::mutex> g(mu);
      p = instance.load(rlx);
      if (!p) {
        storage.value.set(7);  // construct
        p = &storage;
        instance.store(p, rel);
      }
    }
    return p;
  };
  sys::thread t([&] { WEFT_MODEL_ASSERT(get()->value.get() == 7); });
  WEFT_MODEL_ASSERT(get()->value.get() == 7);
  t.join();
}
TEST(BugZoo, DoubleCheckedLockingWithRelaxedLoadRaces) {
  EXPECT_MODEL_FAILS(m::check(opts(), double_checked_locking<false>), "data race");
}
TEST(BugZoo, DoubleCheckedLockingWithAcquireIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), double_checked_locking<true>));
}

// ---- seqlock ------------------------------------------------------------------------------
// Data as relaxed atomics (Boehm, "Can seqlocks get along with programming
// language memory models?", 2012). Without the reader's acquire fence, the
// second sequence read may be stale and a torn pair is accepted.
template <bool kFence>
void seqlock() {
  sys::atomic<unsigned> seq{0};
  sys::atomic<int> a{0}, b{0};
  sys::thread writer([&] {
    unsigned s = seq.load(rlx);
    seq.store(s + 1, rlx);
    sys::atomic_thread_fence(rel);
    a.store(1, rlx);
    b.store(1, rlx);
    seq.store(s + 2, rel);
  });
  for (int attempt = 0; attempt < 2; ++attempt) {
    unsigned s1 = seq.load(acq);
    int x = a.load(rlx), y = b.load(rlx);
    if (kFence) sys::atomic_thread_fence(acq);
    unsigned s2 = seq.load(rlx);
    if (s1 == s2 && (s1 & 1) == 0) {
      WEFT_MODEL_ASSERT(x == y);  // a consistent snapshot
      break;
    }
  }
  writer.join();
}
TEST(BugZoo, SeqlockWithRelaxedDataReadsAcceptsTornReads) {
  EXPECT_MODEL_FAILS(m::check(opts(), seqlock<false>), "assertion");
}
TEST(BugZoo, SeqlockWithAcquireFenceIsCorrect) { EXPECT_MODEL_OK(m::check(opts(), seqlock<true>)); }

// ---- Treiber stack, ABA ---------------------------------------------------------------------
// Nodes are indices into a fixed pool and are reused at once. The head word
// is (tag << 8 | index); the correct twin bumps the tag on every change.
template <bool kTagged>
void treiber_aba() {
  constexpr int kNil = 0xff;
  sys::atomic<int> next[3] = {{1}, {2}, {kNil}};  // A(0) -> B(1) -> C(2)
  sys::atomic<std::uint32_t> head{0};
  auto index = [](std::uint32_t h) { return static_cast<int>(h & 0xff); };
  auto make = [](std::uint32_t old, int idx) {
    std::uint32_t tag = kTagged ? (old >> 8) + 1 : 0;
    return (tag << 8) | static_cast<std::uint32_t>(idx);
  };
  auto pop = [&]() -> int {
    std::uint32_t h = head.load(acq);
    for (;;) {
      if (index(h) == kNil) return kNil;
      int n = next[index(h)].load(rlx);
      if (head.compare_exchange_weak(h, make(h, n), acq_rel, acq)) return index(h);
    }
  };
  auto push = [&](int node) {
    std::uint32_t h = head.load(rlx);
    do {
      next[node].store(index(h), rlx);
    } while (!head.compare_exchange_weak(h, make(h, node), rel, rlx));
  };
  int t1_got = kNil, t2_first = kNil, t2_second = kNil;
  sys::thread t1([&] { t1_got = pop(); });
  t2_first = pop();
  t2_second = pop();
  push(t2_first);  // reuse the node at once
  t1.join();
  // Who holds what: nothing may be held twice.
  int held[3] = {0, 0, 0};
  if (t1_got != kNil) ++held[t1_got];
  if (t2_second != kNil) ++held[t2_second];
  for (int i = index(head.load(rlx)), n = 0; i != kNil && n < 4; i = next[i].load(rlx), ++n)
    ++held[i];
  for (int h : held) WEFT_MODEL_ASSERT(h == 1);
}
TEST(BugZoo, TreiberStackABAThroughNodeReuse) {
  EXPECT_MODEL_FAILS(m::check(opts(), treiber_aba<false>), "assertion");
}
TEST(BugZoo, TreiberStackWithTaggedHeadIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), treiber_aba<true>));
}

// ---- condition wait without a predicate loop
// -------------------------------------------------------
template <bool kPredicate>
void condvar_wait() {
  sys::mutex mu;
  sys::condition_variable cv;
  bool ready = false;
  sys::thread t([&] {
    std::unique_lock<sys::mutex> l(mu);
    if (kPredicate)
      cv.wait(l, [&] { return ready; });
    else
      cv.wait(l);  // misses a notify that came before it
  });
  {
    std::lock_guard<sys::mutex> g(mu);
    ready = true;
  }
  cv.notify_one();
  t.join();
}
TEST(BugZoo, ConditionWaitWithoutPredicateLosesTheWakeup) {
  EXPECT_MODEL_FAILS(m::check(opts(), condvar_wait<false>), "deadlock");
}
TEST(BugZoo, ConditionWaitWithPredicateIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), condvar_wait<true>));
}

// ---- lock-order deadlock
// -----------------------------------------------------------------------------
template <bool kSameOrder>
void lock_order() {
  sys::mutex a, b;
  sys::thread t([&] {
    std::lock_guard<sys::mutex> x(kSameOrder ? a : b);
    std::lock_guard<sys::mutex> y(kSameOrder ? b : a);
  });
  {
    std::lock_guard<sys::mutex> x(a);
    std::lock_guard<sys::mutex> y(b);
  }
  t.join();
}
TEST(BugZoo, LockOrderInversionDeadlocks) {
  EXPECT_MODEL_FAILS(m::check(opts(), lock_order<false>), "deadlock");
}
TEST(BugZoo, ConsistentLockOrderIsCorrect) { EXPECT_MODEL_OK(m::check(opts(), lock_order<true>)); }

// ---- spinlock released with a relaxed store
// ----------------------------------------------------------
template <bool kRelease>
void spinlock() {
  sys::atomic<bool> locked{false};
  sys::cell<int> counter(0);
  auto critical = [&] {
    while (locked.exchange(true, acq)) sys::spin_hint();
    counter.set(counter.get() + 1);
    locked.store(false, kRelease ? rel : rlx);
  };
  sys::thread t(critical);
  critical();
  t.join();
  WEFT_MODEL_ASSERT(counter.get() == 2);
}
TEST(BugZoo, SpinlockReleasedRelaxedRaces) {
  EXPECT_MODEL_FAILS(m::check(opts(), spinlock<false>), "data race");
}
TEST(BugZoo, SpinlockReleasedWithReleaseIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), spinlock<true>));
}

// ---- reference count
// --------------------------------------------------------------------------------- The last owner
// frees the object (here: writes its memory). With a relaxed decrement the free does not happen
// after the other owner's last use.
template <bool kCorrect>
void refcount() {
  sys::atomic<int> refs{2};
  sys::cell<int> object(5);
  auto release_ref = [&] {
    WEFT_MODEL_ASSERT(object.get() == 5);  // last use
    if (refs.fetch_sub(1, kCorrect ? rel : rlx) == 1) {
      if (kCorrect) sys::atomic_thread_fence(acq);
      object.set(-1);  // "free"
    }
  };
  sys::thread t(release_ref);
  release_ref();
  t.join();
}
TEST(BugZoo, RefcountDecrementedRelaxedFreesEarly) {
  EXPECT_MODEL_FAILS(m::check(opts(), refcount<false>), "data race");
}
TEST(BugZoo, RefcountWithReleaseAndAcquireFenceIsCorrect) {
  EXPECT_MODEL_OK(m::check(opts(), refcount<true>));
}

}  // namespace
