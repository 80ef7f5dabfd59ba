// litmus_test.cpp: the classic litmus tests under RC11 (Lahav, Vafeiadis,
// Kang, Hur, Dreyer: "Repairing Sequential Consistency in C/C++11", PLDI
// 2017). For each, the exhaustive search must produce every outcome RC11
// allows and none that it forbids: the expected sets below are exact.
//
// Names: SB store buffering, MP message passing, LB load buffering, IRIW
// independent reads of independent writes, 2+2W two writes each, CoRR /
// CoWR coherence of read-read / write-read, WRC write-to-read causality.
#include <set>
#include <vector>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
using weft::model_test::outcome;
using weft::model_test::outcomes;
using O = std::set<outcome>;
constexpr auto rlx = std::memory_order_relaxed;
constexpr auto acq = std::memory_order_acquire;
constexpr auto rel = std::memory_order_release;
constexpr auto sc = std::memory_order_seq_cst;

const O kAll2 = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};

O all_bits(int n) {
  O s;
  for (int m = 0; m < (1 << n); ++m) {
    outcome o;
    for (int i = 0; i < n; ++i) o.push_back((m >> i) & 1);
    s.insert(o);
  }
  return s;
}

O without(O s, const outcome& o) {
  s.erase(o);
  return s;
}

// ---- SB -----------------------------------------------------------------------
O sb(std::memory_order st, std::memory_order ld, bool fence0, bool fence1) {
  return outcomes([=] {
    sys::atomic<int> x{0}, y{0};
    long r0 = 0, r1 = 0;
    sys::thread t([&] {
      y.store(1, st);
      if (fence1) sys::atomic_thread_fence(sc);
      r1 = x.load(ld);
    });
    x.store(1, st);
    if (fence0) sys::atomic_thread_fence(sc);
    r0 = y.load(ld);
    t.join();
    return outcome{r0, r1};
  });
}

TEST(Litmus, SBRelaxedAllowsBothZero) { EXPECT_EQ(sb(rlx, rlx, false, false), kAll2); }
TEST(Litmus, SBReleaseAcquireAllowsBothZero) { EXPECT_EQ(sb(rel, acq, false, false), kAll2); }
TEST(Litmus, SBSeqCstForbidsBothZero) {
  EXPECT_EQ(sb(sc, sc, false, false), without(kAll2, {0, 0}));
}
TEST(Litmus, SBRelaxedWithSCFencesForbidsBothZero) {
  EXPECT_EQ(sb(rlx, rlx, true, true), without(kAll2, {0, 0}));
}
TEST(Litmus, SBWithOneFenceAllowsBothZero) { EXPECT_EQ(sb(rlx, rlx, true, false), kAll2); }

// ---- MP -----------------------------------------------------------------------
O mp(std::memory_order st, std::memory_order ld, bool fences) {
  return outcomes([=] {
    sys::atomic<int> data{0}, flag{0};
    long r0 = 0, r1 = 0;
    sys::thread t([&] {
      data.store(1, rlx);
      if (fences) sys::atomic_thread_fence(rel);
      flag.store(1, st);
    });
    r0 = flag.load(ld);
    if (fences) sys::atomic_thread_fence(acq);
    r1 = data.load(rlx);
    t.join();
    return outcome{r0, r1};
  });
}

TEST(Litmus, MPRelaxedAllowsStaleData) { EXPECT_EQ(mp(rlx, rlx, false), kAll2); }
TEST(Litmus, MPReleaseAcquireForbidsStaleData) {
  EXPECT_EQ(mp(rel, acq, false), without(kAll2, {1, 0}));
}
TEST(Litmus, MPFencesForbidStaleData) { EXPECT_EQ(mp(rlx, rlx, true), without(kAll2, {1, 0})); }
TEST(Litmus, MPSeqCstForbidsStaleData) { EXPECT_EQ(mp(sc, sc, false), without(kAll2, {1, 0})); }

// ---- LB -----------------------------------------------------------------------
// RC11 forbids (1, 1) for every order: po u rf is acyclic (no thin air).
O lb(std::memory_order ld, std::memory_order st) {
  return outcomes([=] {
    sys::atomic<int> x{0}, y{0};
    long r0 = 0, r1 = 0;
    sys::thread t([&] {
      r1 = y.load(ld);
      x.store(1, st);
    });
    r0 = x.load(ld);
    y.store(1, st);
    t.join();
    return outcome{r0, r1};
  });
}

TEST(Litmus, LBRelaxedForbidsOutOfThinAir) { EXPECT_EQ(lb(rlx, rlx), without(kAll2, {1, 1})); }
TEST(Litmus, LBReleaseAcquire) { EXPECT_EQ(lb(acq, rel), without(kAll2, {1, 1})); }

// ---- IRIW -----------------------------------------------------------------------
O iriw(std::memory_order st, std::memory_order ld, bool fences) {
  return outcomes([=] {
    sys::atomic<int> x{0}, y{0};
    long a = 0, b = 0, c = 0, d = 0;
    sys::thread w1([&] { x.store(1, st); });
    sys::thread w2([&] { y.store(1, st); });
    sys::thread r1([&] {
      a = x.load(ld);
      if (fences) sys::atomic_thread_fence(sc);
      b = y.load(ld);
    });
    sys::thread r2([&] {
      c = y.load(ld);
      if (fences) sys::atomic_thread_fence(sc);
      d = x.load(ld);
    });
    w1.join();
    w2.join();
    r1.join();
    r2.join();
    return outcome{a, b, c, d};
  });
}

TEST(Litmus, IRIWReleaseAcquireAllowsDisagreement) {
  EXPECT_EQ(iriw(rel, acq, false), all_bits(4));
}
TEST(Litmus, IRIWSeqCstForbidsDisagreement) {
  EXPECT_EQ(iriw(sc, sc, false), without(all_bits(4), {1, 0, 1, 0}));
}
TEST(Litmus, IRIWWithSCFencesForbidsDisagreement) {
  EXPECT_EQ(iriw(rlx, rlx, true), without(all_bits(4), {1, 0, 1, 0}));
}

// ---- 2+2W -----------------------------------------------------------------------
O two_plus_two_w(std::memory_order st) {
  return outcomes([=] {
    sys::atomic<int> x{0}, y{0};
    sys::thread t([&] {
      y.store(1, st);
      x.store(2, st);
    });
    x.store(1, st);
    y.store(2, st);
    t.join();
    return outcome{x.load(rlx), y.load(rlx)};
  });
}

const O k22 = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
TEST(Litmus, TwoPlusTwoWRelaxedAllowsBothFirst) { EXPECT_EQ(two_plus_two_w(rlx), k22); }
TEST(Litmus, TwoPlusTwoWReleaseAllowsBothFirst) { EXPECT_EQ(two_plus_two_w(rel), k22); }
TEST(Litmus, TwoPlusTwoWSeqCstForbidsBothFirst) {
  // x ends 1 and y ends 2... (1,1) would need a cycle in S
  EXPECT_EQ(two_plus_two_w(sc), without(k22, {1, 1}));
}

// ---- coherence -----------------------------------------------------------------------
TEST(Litmus, CoRRForbidsReadingBackwards) {
  auto got = outcomes([] {
    sys::atomic<int> x{0};
    long a = 0, b = 0;
    sys::thread t([&] { x.store(1, rlx); });
    a = x.load(rlx);
    b = x.load(rlx);
    t.join();
    return outcome{a, b};
  });
  EXPECT_EQ(got, without(kAll2, {1, 0}));
}

TEST(Litmus, CoWRForbidsReadingBeforeOwnWrite) {
  auto got = outcomes([] {
    sys::atomic<int> x{0};
    long a = 0;
    sys::thread t([&] { x.store(2, rlx); });
    x.store(1, rlx);
    a = x.load(rlx);
    t.join();
    return outcome{a, x.load(rlx)};
  });
  EXPECT_EQ(got, (O{{1, 1}, {1, 2}, {2, 2}}));
}

TEST(Litmus, CoRWForbidsWritingBeforeWhatWasRead) {
  // T0 reads 2 then writes 1: 1 must follow 2 in mo, so x ends 1.
  auto got = outcomes([] {
    sys::atomic<int> x{0};
    long a = 0;
    sys::thread t([&] { x.store(2, rlx); });
    a = x.load(rlx);
    x.store(1, rlx);
    t.join();
    return outcome{a, x.load(rlx)};
  });
  EXPECT_EQ(got, (O{{0, 1}, {0, 2}, {2, 1}}));
}

// ---- WRC -----------------------------------------------------------------------
O wrc(std::memory_order st, std::memory_order ld) {
  return outcomes([=] {
    sys::atomic<int> x{0}, y{0};
    long a = 0, b = 0, c = 0;
    sys::thread t1([&] { x.store(1, st); });
    sys::thread t2([&] {
      a = x.load(ld);
      y.store(1, st);
    });
    sys::thread t3([&] {
      b = y.load(ld);
      c = x.load(rlx);
    });
    t1.join();
    t2.join();
    t3.join();
    return outcome{a, b, c};
  });
}

TEST(Litmus, WRCRelaxedAllowsNonCausal) { EXPECT_EQ(wrc(rlx, rlx), all_bits(3)); }
TEST(Litmus, WRCReleaseAcquireIsCausal) {
  EXPECT_EQ(wrc(rel, acq), without(all_bits(3), {1, 1, 0}));
}

// ---- release sequences and RMWs -------------------------------------------------------
TEST(Litmus, RMWExtendsTheReleaseSequence) {
  // T1: data=1; flag=1 (release). T2: flag.fetch_add(10, relaxed).
  // T0 reads flag == 11 with acquire: synchronises with T1 through the RMW.
  auto got = outcomes([] {
    sys::atomic<int> data{0}, flag{0};
    sys::thread t1([&] {
      data.store(1, rlx);
      flag.store(1, rel);
    });
    sys::thread t2([&] { flag.fetch_add(10, rlx); });
    long f = flag.load(acq);
    long d = data.load(rlx);
    t1.join();
    t2.join();
    return outcome{f, d};
  });
  // 11: the RMW read T1's release store, so T0 synchronises with T1.
  EXPECT_EQ(got.count(outcome{11, 0}), 0u);
  EXPECT_EQ(got.count(outcome{11, 1}), 1u);
  EXPECT_EQ(got.count(outcome{1, 1}), 1u);
  EXPECT_EQ(got.count(outcome{1, 0}), 0u);
  EXPECT_EQ(got.count(outcome{10, 0}), 1u);  // the RMW read 0: no synchronisation
}

TEST(Litmus, RMWsNeverReadTheSameStore) {
  auto got = outcomes([] {
    sys::atomic<int> x{0};
    long a = 0, b = 0;
    sys::thread t([&] { a = x.fetch_add(1, rlx); });
    b = x.fetch_add(1, rlx);
    t.join();
    return outcome{a + b, x.load(rlx)};
  });
  EXPECT_EQ(got, (O{{1, 2}}));
}

}  // namespace
