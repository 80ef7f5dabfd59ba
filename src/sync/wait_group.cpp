// wait_group.cpp: sync.WaitGroup (see sync.hpp for the invariants W1-W3).
#include <weft/panic.hpp>
#include <weft/sync.hpp>

#include "sched/park.hpp"

namespace weft {

namespace {
std::int32_t counter_of(std::uint64_t s) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(s >> 32));
}
std::uint32_t waiters_of(std::uint64_t s) { return static_cast<std::uint32_t>(s); }
}  // namespace

void wait_group::add(int delta) {
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    std::int64_t c = static_cast<std::int64_t>(counter_of(s)) + delta;
    if (c < 0) detail::panic("sync: negative WaitGroup counter");
    if (c > INT32_MAX) detail::panic("sync: WaitGroup counter overflow");
    next = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(c)) << 32) | waiters_of(s);
    // (W-A) acq_rel: release publishes the work before done() to the waiter
    // that reads counter 0 (pairs with (W-B)); acquire orders our later
    // wake after other done()s.
  } while (
      !state_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_relaxed));
  if (counter_of(next) != 0 || waiters_of(next) == 0 || delta > 0) {
    if (counter_of(next) == 0 && waiters_of(next) != 0 && delta > 0)
      detail::panic("sync: WaitGroup misuse: Add called concurrently with Wait");
    return;
  }
  wake_all();
}

// The counter reached zero with waiters (W3).
void wait_group::wake_all() {
  lock_.lock();
  state_.store(0, std::memory_order_relaxed);  // ordered for waiters by lock_
  detail::waiter* list = waiters_;
  waiters_ = nullptr;
  lock_.unlock();
  while (list != nullptr) {
    detail::waiter* next = list->next;  // read before the wake: list lives on its stack
    detail::unpark(list->who);
    list = next;
  }
}

void wait_group::wait(detail::source_location where) {
  lock_.lock();
  std::uint64_t s = state_.load(std::memory_order_acquire);  // (W-B): pairs with (W-A)
  for (;;) {
    if (counter_of(s) == 0) {
      lock_.unlock();
      return;
    }
    // W2: count ourselves while holding lock_, then enqueue before unlocking.
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                     std::memory_order_acquire))
      break;
  }
  detail::waiter w;
  w.who = detail::current_task();
  w.next = waiters_;
  waiters_ = &w;
  detail::park(
      detail::wait_reason::wait_group, where,
      [](void* l) {
        static_cast<sys::mutex*>(l)->unlock();
        return true;
      },
      &lock_);
}

}  // namespace weft
