// once.cpp: weft::once, Go's sync.Once (sync/once.go): a fast-path load of
// done_, and a slow path under a weft::mutex so that every caller returns
// only after the one run of f has finished.
//
// Invariants:
//   N1  done_ goes 0 -> 1 once, under m_, after f returned or threw
//   N2  a caller that reads done_ == 1 (acquire, O-A1) sees all of f's effects
#include <weft/sync.hpp>

#include "sched/park.hpp"

namespace weft {

void once::call_slow(detail::source_location where, void (*fn)(void*), void* arg) {
  std::uint32_t s = 0;
  // (X-A1) of mutex::lock(), spelled out to park with "sync.Once.Do".
  if (!m_.state_.compare_exchange_strong(s, mutex::kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed))
    m_.lock_slow(static_cast<std::uint8_t>(detail::wait_reason::once), where);
  // Marks done and unlocks even if fn throws (Go's deferred store).
  struct finish {
    once* o;
    bool run;
    ~finish() {
      // (O-R1) release: publishes f's effects to (O-A1) in call().
      if (run) o->done_.store(1, std::memory_order_release);
      o->m_.unlock();
    }
  } f{this, done_.load(std::memory_order_relaxed) == 0};  // N1: under m_
  if (f.run) fn(arg);
}

}  // namespace weft
