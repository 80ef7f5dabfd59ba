// std_mutex.cpp: the slow paths of sys::mutex and sys::condition_variable
// (production backend; the checker models both itself).
//
// mutex: Drepper, "Futexes Are Tricky" (2011), mutex #3. state_ is
//   0 unlocked, 1 locked with no waiters, 2 locked with possible waiters.
// A contended lock() spins a bounded while (the holder is usually on another
// CPU and about to unlock), then marks the word 2 and sleeps on it.
//
// condition_variable: a sequence word. Invariants:
//   C1  a waiter reads seq_ while holding the mutex, before unlocking it
//   C2  notify bumps seq_ before waking; a notifier that changed the predicate
//       took the mutex after C1's unlock, so its increment follows the
//       waiter's read in seq_'s modification order and futex_wait returns at
//       once instead of sleeping through it (no lost wakeup).
// Wakeups may be spurious (32-bit wraparound included); std::condition_variable
// allows that and the predicate forms loop.
#include <climits>
#include <mutex>
#include <weft/sys.hpp>

namespace weft::sys {
namespace {
// Polls of the lock word before sleeping, with exponential backoff between
// them: 64, 128, then 256 spin hints, kSpinPolls polls, about 1,500 hints in
// all (some 40 us where a hint costs 28 ns, as on the 2-core build machine).
// Bounded: an unbounded spin never ends under a deterministic scheduler
// (DESIGN.md, "The seam").
//
// Why wait that long before the first poll, when a channel's critical
// section lasts some 30 ns: every poll pulls the lock's cache line to the
// waiter, and the holder pays a transfer to take it back on its next
// operation. Left alone for a couple of microseconds, the holder runs a burst
// of operations on its own core (a producer fills the buffer) and the
// waiter then takes the line once (Go's lock2 likewise waits 30 PAUSEs
// between polls). Measured side by side (bench/anchors.cpp, procs=2):
// chan_throughput_4p4c ~95 -> ~56 ns/msg and chan_throughput_1p1c ~100 ->
// ~66 ns/msg against a first poll after 1 hint; skynet, spawn_join, select_2
// and pingpong unchanged. Polling on every hint, as at first, was worse
// still (4p4c ~220 ns/msg), and so is sleeping on the futex early (a syscall
// to sleep, another to wake, while the holder is about to unlock).
constexpr int kSpinPolls = 7;
constexpr int kFirstPauses = 64;
constexpr int kMaxPauses = 256;
}  // namespace

void mutex::lock_slow(std::uint32_t c) {
  int pauses = kFirstPauses;
  for (int i = 0; i < kSpinPolls && c == 1; ++i) {
    for (int j = 0; j < pauses; ++j) spin_hint();
    if (pauses < kMaxPauses) pauses *= 2;
    c = state_.load(std::memory_order_relaxed);
    if (c == 0) {
      // (M1) acquire: pairs with (M2).
      if (state_.compare_exchange_weak(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
        return;
    }
  }
  // From here on we may sleep, so we take the lock as 2: the unlock that
  // sees 2 wakes one waiter, which itself relocks as 2 since others may
  // remain (Drepper's conservative choice).
  // (M1) acquire on the exchange that finds 0: pairs with (M2).
  c = state_.exchange(2, std::memory_order_acquire);
  while (c != 0) {
    futex_wait(state_, 2);
    c = state_.exchange(2, std::memory_order_acquire);
  }
}

void condition_variable::notify_one() noexcept {
  // Relaxed suffices: ordering with the waiter comes from the mutex (C2);
  // the futex orders the wait and the wake on seq_ with each other.
  seq_.fetch_add(1, std::memory_order_relaxed);
  futex_wake(seq_, 1);
}

void condition_variable::notify_all() noexcept {
  seq_.fetch_add(1, std::memory_order_relaxed);
  futex_wake(seq_, INT_MAX);
}

void condition_variable::wait(std::unique_lock<mutex>& lock) {
  std::uint32_t s = seq_.load(std::memory_order_relaxed);  // C1
  lock.unlock();
  futex_wait(seq_, s);
  lock.lock();
}

std::cv_status condition_variable::wait_until(std::unique_lock<mutex>& lock,
                                              clock::time_point deadline) {
  std::uint32_t s = seq_.load(std::memory_order_relaxed);  // C1
  lock.unlock();
  bool woken = futex_wait_until(seq_, s, deadline);
  lock.lock();
  if (!woken || clock::now() >= deadline) return std::cv_status::timeout;
  return std::cv_status::no_timeout;
}

}  // namespace weft::sys
