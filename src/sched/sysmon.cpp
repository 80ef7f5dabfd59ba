// sysmon.cpp: the monitor thread and the blocking-call handoff. After Go's
// sysmon/retake/handoffp and entersyscall/exitsyscall (runtime/proc.go).
//
// blocking(f) marks the caller's P "blocking" and runs f on the M. The
// monitor retakes a P that has been blocking for kRetake and hands it to
// another M, so the other goroutines keep running; when f returns, the
// goroutine takes its P back if nobody retook it (one CAS), or another idle
// P, or else queues itself globally and its M goes to sleep.
//
// The monitor also fires timers (timers.cpp). It sleeps until the earliest
// timer, polls every kRetake while a P is blocking, and otherwise sleeps with
// no deadline (so that an idle program, and the checker, see it asleep).
//
// StoreLoad (Y): blocking_enter stores status=blocking then loads
// sysmon_idle; the monitor stores sysmon_idle=1 then loads every status.
// All four are seq_cst, so in the total order one store comes first and the
// other side's load sees it: either the monitor sees the blocking P, or
// blocking_enter sees the monitor asleep and wakes it.
#include <chrono>

#include <weft/blocking.hpp>

#include "sched/runtime.hpp"

namespace weft::detail {

std::uint32_t timers_service_word_load() noexcept;
void timers_service_wait(std::uint32_t seen, sys::clock::time_point deadline);
void timers_service_wake();

namespace {

constexpr auto kRetake = std::chrono::microseconds(20);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sys::clock::now().time_since_epoch())
      .count();
}

// Hands a retaken P to an M if there is something for it to do, else parks
// it on the idle list (Go's handoffp).
void handoff(runtime* rt, processor* p) {
  if (!p->runq.empty() || rt->gq_size.load(std::memory_order_relaxed) != 0) {
    start_machine(rt, p, false);
    return;
  }
  // No local work: start a spinner only if nobody else could pick work up.
  if (rt->nmspinning.load(std::memory_order_relaxed) + rt->npidle.load(std::memory_order_relaxed) ==
      0) {
    std::uint32_t zero = 0;
    if (rt->nmspinning.compare_exchange_strong(zero, 1, std::memory_order_relaxed,
                                               std::memory_order_relaxed)) {
      start_machine(rt, p, true);
      return;
    }
  }
  rt->lock.lock();
  if (rt->gq_size.load(std::memory_order_relaxed) != 0 && !rt->stopping) {
    rt->lock.unlock();
    start_machine(rt, p, false);
    return;
  }
  pidle_put(rt, p);
  rt->lock.unlock();
  // A G may have been queued on p just before it was retaken; make sure a
  // spinner looks (the same StoreLoad as a spinner giving up).
  wakep(rt);
}

// Retakes Ps blocking for longer than kRetake. Returns true if some P is
// still blocking (the monitor must look again soon).
bool retake(runtime* rt) {
  bool pending = false;
  std::int64_t now = now_ns();
  for (processor* p : rt->ps) {
    // acquire: pairs with (B1) in blocking_enter (blocking_since is read
    // next). Not seq_cst (mutation showed it needless): this load is not one
    // of (Y)'s four; a blocking P missed here is seen by any_blocking()
    // before the monitor sleeps.
    if (p->status.load(std::memory_order_acquire) != pstatus::blocking) continue;
    std::int64_t since = p->blocking_since.load(std::memory_order_relaxed);
    if (now - since < std::chrono::nanoseconds(kRetake).count()) {
      pending = true;
      continue;
    }
    pstatus expected = pstatus::blocking;
    // The CAS decides between us and blocking_exit's CAS (B2). acquire: the
    // owner may have left blocking() and entered it again since the load
    // above, so this CAS, not that load, reads the (B1) store whose release
    // carries the owner's last writes to p's owner-only fields. Not acq_rel
    // (mutate showed the release half needless): nobody acquires p through
    // this store; a losing B2 reads it only to learn p is gone (relaxed, and
    // never touches p again), and p reaches its next owner through the
    // sched lock (idle list) or start_machine.
    if (p->status.compare_exchange_strong(expected, pstatus::idle, std::memory_order_acquire,
                                          std::memory_order_relaxed))
      handoff(rt, p);
  }
  return pending;
}

bool any_blocking(runtime* rt) {
  for (processor* p : rt->ps)
    if (p->status.load(std::memory_order_seq_cst) == pstatus::blocking) return true;  // (Y)
  return false;
}

}  // namespace

void sysmon_wake(runtime*) { timers_service_wake(); }

void sysmon_main(runtime* rt) {
  while (rt->stop_flag.load(std::memory_order_relaxed) == 0) {
    std::uint32_t seen = timers_service_word_load();
    bool fired = false;
    auto next = timers_run_due(sys::clock::now(), &fired);
    if (fired) recheck_dead(rt);
    if (rt->dead_suspect_flag.load(std::memory_order_relaxed) != 0) {
      auto at = confirm_dead(rt, sys::clock::now());
      if (at < next) next = at;
    }
    if (retake(rt)) {
      auto soon = sys::clock::now() + kRetake;
      if (soon < next) next = soon;
    }
    if (next == sys::clock::time_point::max()) {
      rt->sysmon_idle.store(1, std::memory_order_seq_cst);  // (Y)
      if (!any_blocking(rt) && rt->stop_flag.load(std::memory_order_relaxed) == 0)
        timers_service_wait(seen, next);
      rt->sysmon_idle.store(0, std::memory_order_relaxed);
    } else {
      timers_service_wait(seen, next);
    }
  }
  // (D3) relaxed, as (D2) in run_main: a courtesy wait that orders nothing.
  rt->sysmon_exited.store(1, std::memory_order_relaxed);
  sys::futex_wake(rt->sysmon_exited, 1);
}

void blocking_enter() {
  machine* m = current_m();
  if (m == nullptr || m->curg == nullptr || m->in_blocking) return;
  runtime* rt = m->rt;
  m->in_blocking = true;
  rt->nmblocking.fetch_add(1, std::memory_order_relaxed);
  processor* p = m->p;
  solo_end_tenure(p);  // before the monitor can retake p
  p->blocking_since.store(now_ns(), std::memory_order_relaxed);
  // (B1)/(Y) seq_cst: release for the monitor's retake; StoreLoad with the
  // monitor's sysmon_idle store (file comment).
  p->status.store(pstatus::blocking, std::memory_order_seq_cst);
  if (rt->sysmon_idle.load(std::memory_order_seq_cst) != 0) sysmon_wake(rt);
}

void blocking_exit() {
  machine* m = current_m();
  if (m == nullptr || m->curg == nullptr || !m->in_blocking) return;
  runtime* rt = m->rt;
  m->in_blocking = false;
  rt->nmblocking.fetch_sub(1, std::memory_order_relaxed);
  processor* p = m->p;
  pstatus expected = pstatus::blocking;
  // (B2) acquire: if the monitor did not retake p, it is ours again.
  if (p->status.compare_exchange_strong(expected, pstatus::running, std::memory_order_acquire,
                                        std::memory_order_relaxed))
    return;
  // Retaken: any idle P will do.
  m->p = nullptr;
  if (pidle_get_and_acquire(rt, m)) return;
  switch_to_scheduler(m, m->curg, switch_action::leave_blocking);
}

}  // namespace weft::detail
