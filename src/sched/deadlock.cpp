// deadlock.cpp: Go's checkdead, the goroutine dump, panics, and the stack
// overflow query for the SIGSEGV handler.
//
// check_dead runs with the sched lock held, from an M that is about to
// sleep. All goroutines are asleep forever when: every M is idle (none runs
// a goroutine, none is inside blocking()), no timer is pending or firing,
// and no run queue holds a G. Nothing inside the runtime can then wake
// anything. A plain OS thread outside weft still could (finish a
// wait_group, send on a channel), and weft cannot see those threads, so the
// detector only raises a suspicion; the monitor reports it if the program
// stays asleep, with no wake from outside any P, for kDeadlockGrace.
// See docs/runtime.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <weft/panic.hpp>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {

// How long the program must stay fully asleep before it is reported: a
// plain OS thread may be about to wake a goroutine (see the file comment).
// Virtual time under the checker, where it passes as soon as every model
// thread is blocked.
constexpr auto kDeadlockGrace = std::chrono::milliseconds(100);

// Go's condition (sched lock held).
bool all_asleep(runtime* rt) {
  if (rt->done.load(std::memory_order_relaxed) != 0 || rt->stopping) return false;
  if (rt->mcount > rt->nmidle) return false;
  if (rt->nmblocking.load(std::memory_order_relaxed) != 0) return false;
  if (timers_pending() != 0) return false;
  if (rt->gq_size.load(std::memory_order_relaxed) != 0) return false;
  for (processor* p : rt->ps)
    if (!p->runq.empty()) return false;
  return true;
}

void report_deadlock(runtime* rt) {
  std::fflush(stdout);  // what the program printed before goes out first
  std::fputs("fatal error: all goroutines are asleep - deadlock!\n\n", stderr);
  dump_goroutines(rt);
  std::fflush(stderr);
  if (rt->cfg.on_deadlock == deadlock_policy::abort) std::_Exit(2);
  // (D1) run() returns exit_status::deadlock. Relaxed (mutate: equivalent):
  // we hold rt->lock, and run(), having read 2, takes rt->lock next; its
  // load cannot read a store that happens after it, so our unlock comes
  // first and orders everything here before run()'s critical section.
  rt->done.store(2, std::memory_order_relaxed);
  sys::futex_wake(rt->done, 1);
}

}  // namespace

void check_dead(runtime* rt) {
  if (rt->dead_suspect || !all_asleep(rt)) return;
  rt->dead_suspect = true;
  rt->dead_epoch = rt->ext_wakes.load(std::memory_order_relaxed);
  rt->dead_at = sys::clock::now() + kDeadlockGrace;
  rt->dead_suspect_flag.store(1, std::memory_order_relaxed);  // (E1)
  sysmon_wake(rt);
}

// The monitor, after a timer fired (its T3 decrement done). An M that went
// idle while that timer still counted in timers_pending() found the program
// awake and raised no suspicion, and no other path looks again: look now.
// Both looks run under rt->lock, so whichever comes second sees the other's
// effects: ours sees that M idle, or that M's sees the decrement.
void recheck_dead(runtime* rt) {
  rt->lock.lock();
  check_dead(rt);
  rt->lock.unlock();
}

sys::clock::time_point confirm_dead(runtime* rt, sys::clock::time_point now) {
  auto none = sys::clock::time_point::max();
  rt->lock.lock();
  if (!rt->dead_suspect) {
    rt->lock.unlock();
    return none;
  }
  if (!all_asleep(rt) || rt->ext_wakes.load(std::memory_order_relaxed) != rt->dead_epoch) {
    rt->dead_suspect = false;
    rt->dead_suspect_flag.store(0, std::memory_order_relaxed);
    rt->lock.unlock();
    return none;
  }
  if (now < rt->dead_at) {
    auto at = rt->dead_at;
    rt->lock.unlock();
    return at;
  }
  rt->dead_suspect = false;
  rt->dead_suspect_flag.store(0, std::memory_order_relaxed);
  report_deadlock(rt);
  rt->lock.unlock();
  return none;
}

// Only from report_deadlock: rt->lock is held and every goroutine is parked,
// so the fields read here are not being written (each M stored them before
// it went idle under rt->lock).
void dump_goroutines(runtime* rt) {
  std::vector<goroutine*> waiting;
  rt->glock.lock();
  for (goroutine* g = rt->allgs; g != nullptr; g = g->all_next)
    if (g->status.load(std::memory_order_relaxed) == gstatus::waiting) waiting.push_back(g);
  rt->glock.unlock();
  std::sort(waiting.begin(), waiting.end(),
            [](const goroutine* a, const goroutine* b) { return a->id < b->id; });
  for (goroutine* g : waiting) {
    std::fprintf(stderr, "goroutine %llu [%s]:\n\t%s:%u\n\n",
                 static_cast<unsigned long long>(g->id), wait_reason_text(g->reason),
                 g->where.file != nullptr ? g->where.file : "?", g->where.line);
  }
}

// A panic names only the goroutine that panicked, as Go does by default
// (GOTRACEBACK=single): the others keep running while we print, so reading
// their wait reasons here would race with their next park.
static void print_panicking(goroutine* g) {
  if (g != nullptr)
    std::fprintf(stderr, "goroutine %llu [running]:\n\n", static_cast<unsigned long long>(g->id));
}

[[noreturn]] void die_with_panic(const char* what, goroutine* g) {
  std::fflush(stdout);
  std::fprintf(stderr, "panic: %s\n\n", what);
  print_panicking(g);
  std::fflush(stderr);
  std::_Exit(2);
}

[[noreturn]] void panic(const char* message) {
#if defined(__cpp_exceptions)
  throw panic_error(message);
#else
  machine* m = current_m();
  goroutine* g = m != nullptr ? m->curg : nullptr;
  std::fprintf(stderr, "panic: %s\n\n", message);
  print_panicking(g);
  std::fflush(stderr);
  std::abort();
#endif
}

// From the SIGSEGV handler (async-signal context: reads only).
bool stack_overflow_query(void* addr, std::uint64_t* gid, std::size_t* size) {
  machine* m = current_m();
  if (m == nullptr || m->curg == nullptr) return false;
  goroutine* g = m->curg;
  if (!g->stk) return false;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto bottom = reinterpret_cast<std::uintptr_t>(g->stk.bottom);
  constexpr std::uintptr_t kGuardWindow = 64 * 1024;  // guard page, any page size
  if (a >= bottom || a + kGuardWindow < bottom) return false;
  *gid = g->id;
  *size = g->stk.size;
  return true;
}

}  // namespace weft::detail
