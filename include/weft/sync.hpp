// sync.hpp: Go's sync package: wait_group, mutex, once, cond.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include <weft/runtime.hpp>
#include <weft/sys.hpp>

namespace weft {

namespace detail {
struct waiter;  // a parked task on a wait list (lives on the waiter's stack)
}

// sync.WaitGroup. Usable from goroutines and plain OS threads. May be
// destroyed as soon as wait() returns, even while the done() that released
// it is still returning.
//
// Invariants:
//   W1  state_ = counter << 32 | waiters; changed only by CAS/fetch_add
//   W2  waiters is incremented only under lock_, by a task that then enqueues
//       itself on waiters_ before releasing lock_
//   W3  after the done() that takes the counter to 0 sees waiters > 0, it
//       takes lock_, resets state_ to 0, detaches the list, unlocks and then
//       wakes each waiter; a waiter leaves wait() only after that wake or
//       after reading counter 0 under lock_, so done() never touches *this
//       after its wake (the unlock's futex_wake aside: spurious at worst).
class wait_group {
 public:
  wait_group() = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;
  ~wait_group() = default;

  void add(int delta);
  void done() { add(-1); }
  void wait(detail::source_location where = detail::source_location::current());

 private:
  void wake_all();
  sys::atomic<std::uint64_t> state_{0};
  sys::mutex lock_;
  detail::waiter* waiters_ = nullptr;  // guarded by lock_
};

// sync.Mutex (src/sync/mutex.cpp). Parks goroutines (and plain threads);
// works with std::lock_guard / std::unique_lock. Not recursive. Like Go's,
// it has two modes: normal, where a woken waiter competes with newcomers
// (fast when the lock is briefly held), and starvation, entered when a waiter
// has waited over 1 ms, where unlock() hands ownership straight to the
// oldest waiter and newcomers queue behind it. Unlocking an unlocked mutex
// is a fatal error ("fatal error: sync: unlock of unlocked mutex").
//
// A mutex may be destroyed as soon as the lock() its owner waited on
// returns: the unlock that released it touches the mutex only under the
// internal queue lock, which the destroyer's own unlock() must take first.
//
// Invariants (state_ bits: locked 1, starving 2, waiters 4):
//   X1  waiters is set iff the queue is non-empty; both change under q_lock_
//   X2  starving => waiters
//   X3  with waiters set, only the holder of q_lock_ clears locked (unlock's
//       fast path CAS locked -> 0 fails when any other bit is set)
//   X4  in starvation mode ownership passes by handoff: locked stays set
//       from the unlocker to the woken waiter
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock(detail::source_location where = detail::source_location::current()) {
    std::uint32_t s = 0;
    // (X-A1) acquire: pairs with the release in unlock() (X-R1) or the
    // handoff in unlock_slow().
    if (state_.compare_exchange_strong(s, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return;
    lock_slow(0, where);
  }
  bool try_lock() noexcept;
  void unlock() {
    std::uint32_t s = kLocked;
    // (X-R1) release: publishes the critical section to the next (X-A1).
    if (state_.compare_exchange_strong(s, 0, std::memory_order_release, std::memory_order_relaxed))
      return;
    unlock_slow();
  }

 private:
  friend class once;
  friend class cond;
  static constexpr std::uint32_t kLocked = 1, kStarving = 2, kWaiters = 4;
  void lock_slow(std::uint8_t reason, detail::source_location where);
  void unlock_slow();

  sys::atomic<std::uint32_t> state_{0};
  sys::mutex q_lock_;                 // guards q_head_, q_tail_ (and X1)
  detail::waiter* q_head_ = nullptr;  // FIFO of parked lockers (mutex.cpp's records)
  detail::waiter* q_tail_ = nullptr;
};

// sync.Once: call(f) runs f exactly once across all callers; every call
// returns only after that one run has finished. As in Go, if f panics
// (throws), the once is still done and later calls do nothing.
class once {
 public:
  constexpr once() noexcept = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  template <class F>
  void call(F&& f, detail::source_location where = detail::source_location::current()) {
    // (O-A1) acquire: pairs with (O-R1); a caller that sees done also sees
    // everything f did.
    if (done_.load(std::memory_order_acquire) != 0) return;
    call_slow(
        where, [](void* p) { (*static_cast<std::remove_reference_t<F>*>(p))(); },
        const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  }
  // True once f has run (Go has no such method; handy in tests).
  bool done() const noexcept { return done_.load(std::memory_order_acquire) != 0; }

 private:
  void call_slow(detail::source_location where, void (*fn)(void*), void* arg);
  sys::atomic<std::uint32_t> done_{0};
  mutex m_;
};

// sync.Cond over a weft::mutex: wait() atomically unlocks the mutex and
// parks; it relocks before returning. As in Go, wakeups carry no predicate:
// wait in a loop. signal() wakes the longest waiter, broadcast() all.
class cond {
 public:
  explicit cond(mutex& m) noexcept : m_(&m) {}
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  // REQUIRES: the caller holds the mutex.
  void wait(detail::source_location where = detail::source_location::current());
  template <class Pred>
  void wait(Pred pred, detail::source_location where = detail::source_location::current()) {
    while (!pred()) wait(where);
  }
  void signal();
  void broadcast();
  mutex& lock() const noexcept { return *m_; }  // Go's c.L

 private:
  mutex* m_;
  sys::mutex q_lock_;                 // guards the queue
  detail::waiter* q_head_ = nullptr;  // FIFO of parked waiters
  detail::waiter* q_tail_ = nullptr;
};

}  // namespace weft
