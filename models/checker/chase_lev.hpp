// chase_lev.hpp: the Chase-Lev work-stealing deque in the C11 form of Lê,
// Pop, Cohen, Zappa Nardelli ("Correct and Efficient Work-Stealing for Weak
// Memory Models", PPoPP 2013), fixed capacity, written against weft::sys so
// the checker can run it; `bug` weakens one fence or ordering at a time.
// The same deque for Relacy lives in bench/model_vs_relacy/.
//
// Invariants:
//   D1  items in [top, bottom) are owned by the deque; each is taken once
//   D2  only the owner writes bottom; top only grows, by CAS
#pragma once

#include <weft/sys.hpp>

namespace weft::model_test {

enum class cl_bug {
  none,
  push_no_release_fence,  // (F1) missing: a thief may read the slot before it is written
  pop_no_sc_fence,        // (F2) missing: owner and thief both take the last item
  steal_no_sc_fence,      // (F3) missing: the same
  steal_bottom_relaxed,   // (A1) relaxed: the thief does not see the slot's write
};

template <cl_bug Bug, int N = 4>
class chase_lev {
  static constexpr auto rlx = std::memory_order_relaxed;
  static constexpr auto acq = std::memory_order_acquire;
  static constexpr auto rel = std::memory_order_release;
  static constexpr auto sc = std::memory_order_seq_cst;

 public:
  static constexpr int kEmpty = -1, kAbort = -2;

  void push(int x) {  // owner
    long b = bottom_.load(rlx);
    long t = top_.load(acq);
    (void)t;  // capacity is never exceeded in the tests
    buf_[b % N].store(x, rlx);
    // (F1) release: publishes the slot to the thief's (A1). Pairs with (A1).
    if (Bug != cl_bug::push_no_release_fence) sys::atomic_thread_fence(rel);
    bottom_.store(b + 1, rlx);
  }

  int pop() {  // owner
    long b = bottom_.load(rlx) - 1;
    bottom_.store(b, rlx);
    // (F2) seq_cst: the StoreLoad between claiming bottom and reading top;
    // pairs with (F3) in steal().
    if (Bug != cl_bug::pop_no_sc_fence) sys::atomic_thread_fence(sc);
    long t = top_.load(rlx);
    int x = kEmpty;
    if (t <= b) {
      x = buf_[b % N].load(rlx);
      if (t == b) {
        // the last item: race the thieves for it
        if (!top_.compare_exchange_strong(t, t + 1, sc, rlx)) x = kEmpty;
        bottom_.store(b + 1, rlx);
      }
    } else {
      bottom_.store(b + 1, rlx);
    }
    return x;
  }

  int steal() {  // any thief
    long t = top_.load(acq);
    // (F3) seq_cst: pairs with (F2).
    if (Bug != cl_bug::steal_no_sc_fence) sys::atomic_thread_fence(sc);
    // (A1) acquire: pairs with (F1).
    long b = bottom_.load(Bug == cl_bug::steal_bottom_relaxed ? rlx : acq);
    if (t >= b) return kEmpty;
    int x = buf_[t % N].load(rlx);
    if (!top_.compare_exchange_strong(t, t + 1, sc, rlx)) return kAbort;
    return x;
  }

 private:
  sys::atomic<long> top_{0};
  sys::atomic<long> bottom_{0};
  sys::atomic<int> buf_[N] = {};
};

// The scenario of the side-by-side: the owner pushes 1, 2, 3 and pops three
// times; two thieves steal twice each. Each item is taken exactly once.
template <cl_bug Bug>
void chase_lev_scenario() {
  chase_lev<Bug> q;
  int taken[4] = {0, 0, 0, 0};  // each slot written by one thread only
  int got[2][2] = {{0, 0}, {0, 0}};
  auto thief = [&](int id) {
    for (int i = 0; i < 2; ++i) got[id][i] = q.steal();
  };
  sys::thread t1([&] { thief(0); });
  sys::thread t2([&] { thief(1); });
  q.push(1);
  q.push(2);
  q.push(3);
  for (int i = 0; i < 3; ++i) {
    int x = q.pop();
    WEFT_MODEL_ASSERT(x == chase_lev<Bug>::kEmpty || (x >= 1 && x <= 3));
    if (x > 0) ++taken[x];
  }
  t1.join();
  t2.join();
  for (auto& g : got)
    for (int x : g) {
      WEFT_MODEL_ASSERT(x < 0 || (x >= 1 && x <= 3));  // never an unwritten slot
      if (x > 0) ++taken[x];
    }
  for (int i = 1; i <= 3; ++i) WEFT_MODEL_ASSERT(taken[i] == 1);  // nothing lost or taken twice
}

}  // namespace weft::model_test
