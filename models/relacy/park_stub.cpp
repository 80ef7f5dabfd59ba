// park_stub.cpp: see park_stub.hpp.
#include "park_stub.hpp"

#include <weft/panic.hpp>
#include <weft/runtime.hpp>

namespace weft::relacy {
detail::task* g_tasks = nullptr;
}  // namespace weft::relacy

namespace weft::detail {

task* current_task() noexcept { return &relacy::g_tasks[rl::thread_index()]; }

// park.cpp's plain-thread path: (T2) acquire pairs with (T1) in unpark().
void park(wait_reason, source_location, bool (*commit)(void*), void* arg) {
  task* t = current_task();
  t->word.store(0, std::memory_order_relaxed);
  if (commit != nullptr && !commit(arg)) return;
  while (t->word.load(std::memory_order_acquire) == 0) sys::futex_wait(t->word, 0);
  t->parks++;
}

void unpark(task* t) {
  // (T1) release: publishes what the waker wrote for the parked thread.
  t->word.store(1, std::memory_order_release);
  sys::futex_wake(t->word, 1);
}

// chan_op_begin() yields only a goroutine; every Relacy thread is a plain
// thread, for which it does nothing and which has no lock-elision tenure
// (park.hpp, sched/solo.cpp). With no tenure ever, no channel is claimed,
// so the channel core never asks about one.
std::uint64_t chan_op_begin() { return 0; }
std::uint64_t chan_solo() { return 0; }
bool solo_running(std::uint64_t) { return false; }
void solo_wait(std::uint64_t) { sys::fatal("park_stub: no channel is ever claimed here"); }
void park_in_tenure(wait_reason, source_location) {
  sys::fatal("park_stub: no caller is ever inside a tenure here");
}

// A Go panic fails the Relacy execution with its message.
[[noreturn]] void panic(const char* message) { sys::fatal("panic: %s", message); }

}  // namespace weft::detail

namespace weft {
// mutex.cpp spins only when !sys::kModel && procs() > 1; under Relacy kModel
// is true, so this is never called.
unsigned procs() { return 1; }
}  // namespace weft
