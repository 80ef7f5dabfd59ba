// mutex.cpp: weft::mutex, Go's sync.Mutex (sync/mutex.go) with normal and
// starvation modes. The state word and invariants X1-X4 are documented at
// the class in include/weft/sync.hpp.
//
// Parked lockers wait in a FIFO guarded by q_lock_ (a short futex lock that
// is never held across a park: the park commit releases it). Differences
// from Go: Go parks on a runtime semaphore keyed by the mutex's address; we
// keep the queue in the mutex itself, which lets the waiters bit (X1) be
// exact. Go's "woken" bit, which stops unlock() from waking a second waiter
// while one is already awake and spinning, is not modelled: each unlock()
// that sees waiters wakes one; the woken waiter that loses to a barger goes
// back to the *front* of the queue, so FIFO order among waiters holds.
//
// Starvation (after Go): a waiter that has waited over 1 ms and still finds
// the mutex locked sets `starving`. From then on unlock() hands ownership to
// the queue head directly (X4), newcomers neither barge nor spin, and the
// mode ends when the head that receives the mutex is the last waiter or has
// waited under 1 ms.
#include <chrono>

#include <weft/sync.hpp>

#include "sched/park.hpp"

namespace weft {
namespace {

using namespace std::chrono_literals;
constexpr auto kStarvationThreshold = 1ms;  // Go's starvationThresholdNs
constexpr int kSpinRounds = 4;              // Go's active_spin
constexpr int kSpinPauses = 30;             // Go's active_spin_cnt

struct mutex_waiter : detail::waiter {
  sys::clock::time_point since;  // when this locker first queued
  bool handoff = false;          // set by unlock_slow in starvation mode (X4)
};

bool unlock_queue(void* q) {
  static_cast<sys::mutex*>(q)->unlock();
  return true;
}

}  // namespace

bool mutex::try_lock() noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Go's TryLock: fails while locked or while a waiter is owed a handoff.
    if (s & (kLocked | kStarving)) return false;
    // (X-A2) acquire: pairs with the releases in unlock() / unlock_slow().
    if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return true;
  }
}

void mutex::lock_slow(std::uint8_t reason, detail::source_location where) {
  const auto why =
      reason ? static_cast<detail::wait_reason>(reason) : detail::wait_reason::mutex_lock;
  // Spin briefly when another processor may be about to unlock (never in
  // starvation mode: the mutex is owed to the queue head).
  if (!sys::kModel && procs() > 1) {
    for (int round = 0; round < kSpinRounds; ++round) {
      if (try_lock()) return;  // (X-A2) there
      if (state_.load(std::memory_order_relaxed) & kStarving) break;
      for (int i = 0; i < kSpinPauses; ++i) sys::spin_hint();
    }
  }

  sys::clock::time_point since{};
  bool starving = false;
  bool requeue = false;
  for (;;) {
    q_lock_.lock();
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    bool queued = false;
    while (!queued) {
      if (!(s & (kLocked | kStarving))) {
        // Free and in normal mode: take it, even ahead of queued waiters.
        // (X-A2) acquire: as in try_lock().
        if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
          q_lock_.unlock();
          return;
        }
        continue;
      }
      std::uint32_t n = s | kWaiters;
      if (starving && (s & kLocked)) n |= kStarving;
      // Relaxed: the waiters bit only has to be in the word's modification
      // order before the holder's unlock CAS, which then fails and takes
      // q_lock_ (X3); the queue itself is published by q_lock_.
      queued =
          state_.compare_exchange_weak(s, n, std::memory_order_relaxed, std::memory_order_relaxed);
    }
    mutex_waiter w;
    w.who = detail::current_task();
    if (since == sys::clock::time_point{}) since = sys::clock::now();
    w.since = since;
    if (requeue) {  // a woken waiter that lost to a barger keeps its place
      w.next = q_head_;
      q_head_ = &w;
      if (!q_tail_) q_tail_ = &w;
    } else {
      w.next = nullptr;
      if (q_tail_)
        q_tail_->next = &w;
      else
        q_head_ = &w;
      q_tail_ = &w;
    }
    detail::park(why, where, &unlock_queue, &q_lock_);
    // Handoff: locked stayed set from the unlocker to us (X4); its critical
    // section reaches us through unpark()/park().
    if (w.handoff) return;
    starving = starving || sys::clock::now() - since > kStarvationThreshold;
    requeue = true;
  }
}

void mutex::unlock_slow() {
  if (!(state_.load(std::memory_order_relaxed) & kLocked))
    sys::fatal("sync: unlock of unlocked mutex");
  q_lock_.lock();
  // While we hold both the mutex and q_lock_, nobody else changes state_:
  // lockers CAS it only when it is unlocked or under q_lock_ (X3).
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  auto* w = static_cast<mutex_waiter*>(q_head_);
  if (w) {
    q_head_ = w->next;
    if (!q_head_) q_tail_ = nullptr;
  }
  std::uint32_t n;
  if (!w) {
    n = s & ~(kLocked | kWaiters | kStarving);
  } else if (s & kStarving) {
    // Starvation mode: hand the locked mutex to the oldest waiter (X4).
    w->handoff = true;
    n = s;
    if (!q_head_)
      n &= ~(kWaiters | kStarving);  // X1, X2
    else if (sys::clock::now() - w->since < kStarvationThreshold)
      n &= ~kStarving;
  } else {
    // Normal mode: release, and wake the head to compete for it.
    n = s & ~kLocked;
    if (!q_head_) n &= ~kWaiters;  // X1
  }
  // (X-R2) release: publishes the critical section to the next acquirer
  // (X-A1/X-A2); a handed-off waiter gets it through unpark() as well.
  state_.store(n, std::memory_order_release);
  detail::task* t = w ? w->who : nullptr;
  q_lock_.unlock();
  // Collect, unlock, then wake.
  if (t) detail::unpark(t);
}

}  // namespace weft
