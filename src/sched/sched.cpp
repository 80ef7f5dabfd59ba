// sched.cpp: the goroutine scheduler. After Go's runtime/proc.go; written
// for C++ against the weft::sys seam so that weft::model can explore it.
//
// ---- Design ----------------------------------------------------------------
//
// G (goroutine), M (OS thread), P (processor: the right to run Gs, with a
// local run queue). There are config.procs Ps. An M runs Gs only while it
// holds a P. Each M has a scheduler context, g0, on the thread's own stack:
// a goroutine that blocks, yields or exits switches to g0, and g0 picks the
// next G (schedule -> find_runnable -> execute). Switches happen only at
// those points (channel operations count as safe points too: see
// preempt_point); there is no preemption by signal or timer.
//
// Run queues. Each P has a bounded ring (runq.hpp: 256 slots, 4 under the
// checker) plus a runnext slot; a readied G goes to runnext (it runs next,
// inheriting the cache of the goroutine that woke it); a full ring spills
// half of itself to the global queue (sched lock). Every 61st schedule tick
// the global queue is polled first so that it cannot be starved; and after
// 32 consecutive runnext picks the ring's head goes first, so two goroutines
// ping-ponging through runnext cannot starve the rest of the ring (Go relies
// on time-slice preemption for this; weft has none).
//
// Stealing. A P with nothing to do polls the global queue, then becomes a
// *spinning* M and tries 4 times to steal half of a victim's ring, victims
// in a random order; the last pass may also take a victim's runnext.
//
// Spinning Ms (the lost-wakeup hazard). Submitting work (ready(), go())
// wakes an idle P's M only if no M is spinning: a spinner will find the
// work. So a spinner that gives up must not miss work submitted while it
// was giving up. The protocol:
//   submitter:  publish G (run queue tail store / global queue push)
//               (S3) seq_cst fence
//               read npidle, nmspinning; if idle P && no spinner: start one
//   spinner:    put its P on the idle list (npidle++), nmspinning--
//               (S4) seq_cst fence
//               re-check every run queue and the global queue; if work,
//               take an idle P back and spin again
// Every M that gives up its P does the spinner's part, spinning or not. Go
// re-checks only for spinners, which leaves a gap: a submitter that finds
// every P owned wakes nobody, and an M that owns a P but did not steal
// (it saw, perhaps stale, enough spinners) then parks its P idle beside
// the queued G. Without preemption that G could wait for ever (the model
// scenario Scheduler.RetakeHandoffRacesSpawns found it).
// StoreLoad argument: (S3) and (S4) are two seq_cst fences, so one precedes
// the other in the total order S. If (S3) is first, the spinner's re-check
// (after S4) sees the submitted G. If (S4) is first, the submitter's reads
// (after S3) see npidle > 0 and the decremented nmspinning: either another
// M still spins (and will itself re-check when it gives up), or the
// submitter starts one. Either way the G is not left unrun while an M
// sleeps. And the last spinner to find work wakes a successor (reset_spinning)
// so that more work arriving in a burst finds a spinner.
//
// Parking (park.hpp): a G that blocks records its commit function and
// switches to g0; g0 marks it waiting and then runs commit (which releases
// the structure's lock). Wakers find the G only through that structure, so
// they can only ready it after it is off its stack.
//
// Blocking calls (sysmon.cpp): blocking() marks the P "blocking"; the
// monitor retakes a P that stays blocking for 20 µs and hands it to another
// M (Go's retake/handoffp). Deadlock detection (deadlock.cpp) runs when an M
// goes idle: no M running, none in a blocking call, no timer pending, means
// every goroutine is asleep forever.
//
// Rejected: a single global queue (contention at procs > 1); running the
// scheduler on the goroutine's stack (a parked G's stack would still be in
// use when its waker resumes it on another M).
//
// ---- Invariants ------------------------------------------------------------
//   S1  a G is in at most one place: a run queue, running on an M, parked
//       on a structure, or on a free list
//   S2  an M holds at most one P; a P is held by at most one M, or idle on
//       rt->pidle, or in a blocking call on its M
//   S3  an M sleeps (stopm) only after giving up its P
//   S4  a G is never readied before its park commit has run (park.hpp P1)

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {

// The running runtime (one at a time). (G1) release by run_main() after the
// runtime is built; acquire by readers that then use it.
sys::atomic<runtime*> g_current{nullptr};

constexpr std::uint32_t kGlobalPollTicks = 61;
constexpr std::uint32_t kRunnextStreak = 32;

}  // namespace

runtime* current_runtime() noexcept {
  machine* m = current_m();
  if (m != nullptr) return m->rt;
  return g_current.load(std::memory_order_acquire);  // (G1)
}

void set_current_runtime(runtime* rt) noexcept {
  g_current.store(rt, std::memory_order_release);  // (G1)
}

#if defined(WEFT_MODEL)
// Under the checker, process-global state goes back to its initial value
// between executions (sys::model_at_execution_start): an execution that a
// failure abandoned mid-run must not leave its runtime "running", or its
// timers armed, for the next execution or for the failure's replay.
void timers_reset_globals();
void solo_reset_globals();
void after_reset_globals();
void chan_reset_globals();
namespace {
void reset_globals() {
  g_current.store(nullptr, std::memory_order_relaxed);
  timers_reset_globals();
  solo_reset_globals();
  after_reset_globals();
  chan_reset_globals();
}
const bool g_reset_registered = (sys::model_at_execution_start(&reset_globals), true);
}  // namespace
#endif

// ---- the global run queue (sched lock held) ----------------------------------
//
// A FIFO of blocks of G pointers, not a list linked through the Gs: moving a
// batch into a P's ring then reads only the blocks. A linked list made that
// batch one cache miss per G, each waiting for the last (a G's record is cold
// when the queue is long, as in skynet); here the Gs moved are prefetched,
// so their misses overlap.

static gq_block* gq_new_block(runtime* rt) {
  gq_block* b = rt->gq_spare;
  if (b != nullptr) {
    rt->gq_spare = nullptr;
  } else {
    // malloc, not operator new: a program may replace the global operator
    // new and delete (a test does, to count allocations), and its delete
    // must never meet the library's own allocation.
    void* mem = std::malloc(sizeof(gq_block));
    if (mem == nullptr) sys::fatal("weft: out of memory growing the global run queue");
    b = ::new (mem) gq_block;
  }
  b->next = nullptr;
  b->head = b->tail = 0;
  return b;
}

static void globq_push(runtime* rt, goroutine* g) {
  gq_block* b = rt->gq_last;
  if (b == nullptr || b->tail == gq_block::kSize) {
    gq_block* nb = gq_new_block(rt);
    if (b == nullptr)
      rt->gq_first = nb;
    else
      b->next = nb;
    rt->gq_last = b = nb;
  }
  b->g[b->tail++] = g;
}

// The oldest G; REQUIRES a non-empty queue.
static goroutine* globq_peek(runtime* rt) { return rt->gq_first->g[rt->gq_first->head]; }

static void globq_drop_first(runtime* rt) {
  gq_block* b = rt->gq_first;
  if (++b->head < b->tail) return;
  rt->gq_first = b->next;
  if (rt->gq_first == nullptr) rt->gq_last = nullptr;
  if (rt->gq_spare == nullptr)
    rt->gq_spare = b;
  else
    std::free(b);  // trivially destructible
}

// Queues gs[0, n), in that order.
static void globq_put_batch(runtime* rt, goroutine* const* gs, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; i++) globq_push(rt, gs[i]);
  rt->gq_size.store(rt->gq_size.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Takes a fair share of the global queue: returns one G and moves up to
// max-1 more into p's ring (max == 0: the share decides).
static goroutine* globq_get(runtime* rt, processor* p, std::uint32_t max) {
  std::uint32_t size = rt->gq_size.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::uint32_t n = size / rt->nprocs.get() + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > kRunQueueSize / 2) n = kRunQueueSize / 2;
  goroutine* g = globq_peek(rt);
  globq_drop_first(rt);
  std::uint32_t taken = 1;
  for (; taken < n; taken++) {
    goroutine* x = globq_peek(rt);
    // n <= kRunQueueSize / 2 and the ring is checked empty by callers
    // before they reach for the global queue, except at the 61st tick,
    // when a busy ring may fill: the rest then stays here.
    if (!p->runq.push(x)) break;
    globq_drop_first(rt);
    __builtin_prefetch(x);
  }
  rt->gq_size.store(size - taken, std::memory_order_relaxed);
  return g;
}

void globq_init(runtime* rt) {
  // One block from the start, so that a queue that stays short never
  // allocates: ready() from a plain thread would otherwise allocate there,
  // and a thread's first malloc can take tens of microseconds (glibc sets
  // up an arena for it), all the while holding the sched lock.
  rt->gq_spare = gq_new_block(rt);
}

void globq_free_blocks(runtime* rt) {
  while (rt->gq_first != nullptr) {
    gq_block* b = rt->gq_first;
    rt->gq_first = b->next;
    std::free(b);
  }
  rt->gq_last = nullptr;
  std::free(rt->gq_spare);
  rt->gq_spare = nullptr;
}

void globq_put_one(runtime* rt, goroutine* g) {
  rt->lock.lock();
  globq_put_batch(rt, &g, 1);
  rt->lock.unlock();
}

// ---- idle P and M lists (sched lock held) ---------------------------------------

void pidle_put(runtime* rt, processor* p) {
  p->status.store(pstatus::idle, std::memory_order_relaxed);
  p->idle_next = rt->pidle;
  rt->pidle = p;
  rt->npidle.store(rt->npidle.load(std::memory_order_relaxed) + 1,
                   std::memory_order_relaxed);  // (S1): read by wakep after (S3)
}

static processor* pidle_get(runtime* rt) {
  processor* p = rt->pidle;
  if (p == nullptr) return nullptr;
  rt->pidle = p->idle_next;
  p->idle_next = nullptr;
  rt->npidle.store(rt->npidle.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  p->status.store(pstatus::running, std::memory_order_relaxed);
  return p;
}

bool pidle_get_and_acquire(runtime* rt, machine* m) {
  rt->lock.lock();
  processor* p = rt->stopping ? nullptr : pidle_get(rt);
  rt->lock.unlock();
  if (p == nullptr) return false;
  m->p = p;
  return true;
}

// ---- putting Gs in run queues --------------------------------------------------

// Owner of p: queue g on p (runnext if `next`; `is_new`: g was just
// spawned); a full ring spills half of itself and g to the global queue.
// Returns true if it spilled.
bool runq_put(runtime* rt, processor* p, goroutine* g, bool next, bool is_new) {
  if (next) {
    // One P: no thief exists, so runnext needs no read-modify-write.
    g = rt->nprocs.get() == 1 ? p->runq.put_next_unshared(g) : p->runq.put_next(g, is_new);
    if (g == nullptr) return false;
  }
  while (!p->runq.push(g)) {
    goroutine* batch[kRunQueueSize / 2 + 1];
    std::uint32_t n = p->runq.take_half(batch);
    if (n == 0) continue;  // a thief made room
    batch[n] = g;          // g goes after the older half, as in Go's runqputslow
    rt->lock.lock();
    globq_put_batch(rt, batch, n + 1);
    rt->lock.unlock();
    return true;
  }
  return false;
}

// ready()'s cases but the one-P hand-off: several Ps, or a caller with no
// P of its own (a plain thread, the monitor, an M without a P, a goroutine
// inside blocking()). Out of line, so that the hand-off needs no frame.
[[gnu::noinline]] static void ready_other(machine* m, goroutine* g) {
  if (m != nullptr && m->p != nullptr && !m->in_blocking) {
    runq_put(m->rt, m->p, g, true);
    wakep(m->rt);
    return;
  }
  runtime* rt = g->rt;
  rt->lock.lock();
  globq_put_batch(rt, &g, 1);
  rt->ext_wakes.fetch_add(1, std::memory_order_relaxed);  // cancels a deadlock suspicion
  rt->lock.unlock();
  wakep(rt);
}

void ready(goroutine* g) {
  g->status.store(gstatus::runnable, std::memory_order_relaxed);
  machine* m = current_m();
  if (m != nullptr && m->p != nullptr && !m->in_blocking && m->rt->nprocs.get() == 1) {
    // runq_put()'s runnext case for one P, inline and without a frame
    // (callgrind, pingpong p1: 20 instructions a call, against 27 with the
    // other cases inline): no thief, no wakep.
    processor* p = m->p;
    if (goroutine* old = p->runq.put_next_unshared(g)) runq_put(m->rt, p, old, false);
    return;
  }
  ready_other(m, g);
}

// ---- starting and stopping Ms -------------------------------------------------------

static void m_main(machine* m);

void start_machine(runtime* rt, processor* p, bool spinning) {
  rt->lock.lock();
  if (rt->stopping) {
    if (p != nullptr) pidle_put(rt, p);
    rt->lock.unlock();
    if (spinning) rt->nmspinning.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  if (p == nullptr) {
    p = pidle_get(rt);
    if (p == nullptr) {
      rt->lock.unlock();
      // The caller counted us as spinning; there is no P to spin with.
      if (spinning) rt->nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  rt->dead_suspect = false;  // an M is about to run: not asleep
  rt->dead_suspect_flag.store(0, std::memory_order_relaxed);
  machine* m = rt->midle;
  if (m != nullptr) {
    rt->midle = m->idle_next;
    rt->nmidle--;
    m->nextp.set(p);
    m->next_spinning.set(spinning);
    // (K1) release: publishes nextp/next_spinning. Pairs with (K2) in stopm.
    m->park_word.store(1, std::memory_order_release);
    rt->lock.unlock();
    sys::futex_wake(m->park_word, 1);
    return;
  }
  // + 1: the monitor thread counts against the cap too, as in Go.
  if (rt->mcount + 1 >= rt->cfg.max_threads) {
    unsigned cap = rt->cfg.max_threads;
    rt->lock.unlock();
    sys::fatal("thread exhaustion: program exceeds %u-thread limit (weft::config::max_threads)",
               cap);
  }
  rt->mcount++;
  rt->refs++;
  rt->mlive.fetch_add(1, std::memory_order_relaxed);
  rt->lock.unlock();
  m = new machine;
  m->rt = rt;
  m->nextp.set(p);
  m->next_spinning.set(spinning);
  sys::thread t([m] { m_main(m); });
  t.detach();
}

void wakep(runtime* rt) {
  // (S3) seq_cst fence: StoreLoad between the caller's publication of work
  // and the loads below; pairs with (S4) in find_runnable. See the essay.
  sys::atomic_thread_fence(std::memory_order_seq_cst);
  if (rt->npidle.load(std::memory_order_relaxed) == 0) return;
  if (rt->nmspinning.load(std::memory_order_relaxed) != 0) return;
  std::uint32_t zero = 0;
  // relaxed: the CAS only elects the one submitter that starts a spinner.
  if (!rt->nmspinning.compare_exchange_strong(zero, 1, std::memory_order_relaxed,
                                              std::memory_order_relaxed))
    return;
  start_machine(rt, nullptr, true);
}

// The M found work while spinning: it stops spinning, and if it was the last
// spinner, wakes a successor so that further work finds a spinner.
static void reset_spinning(machine* m) {
  runtime* rt = m->rt;
  m->spinning = false;
  std::uint32_t before = rt->nmspinning.fetch_sub(1, std::memory_order_relaxed);
  if (before == 0) sys::fatal("weft: scheduler: negative nmspinning");
  if (before == 1) wakep(rt);
}

// Sleeps until another thread hands this M a P (or the runtime stops).
static void stopm(machine* m) {
  runtime* rt = m->rt;
  rt->lock.lock();
  if (rt->stopping) {
    // run() already woke the idle Ms; sleeping now would strand this M.
    rt->lock.unlock();
    return;
  }
  m->park_word.store(0, std::memory_order_relaxed);
  m->idle_next = rt->midle;
  rt->midle = m;
  rt->nmidle++;
  check_dead(rt);
  rt->lock.unlock();
  // (K2) acquire: pairs with (K1); nextp is then visible.
  while (m->park_word.load(std::memory_order_acquire) == 0) sys::futex_wait(m->park_word, 0);
  m->p = m->nextp.get();
  m->nextp.set(nullptr);
  m->spinning = m->next_spinning.get();
  m->next_spinning.set(false);
}

// ---- finding work ---------------------------------------------------------------------

// A spinner that found nothing tries again this many times, spin_hint()ing
// in between, before it gives up its P and sleeps on the futex: waking a
// sleeping M costs a system call on each side (several µs on a VM), more
// than a short bounded spin. None under the checker: every round there is
// a schedule point, and a spin the checker must explore is a cost there.
constexpr int kSpinRounds = sys::kModel ? 0 : 16;
constexpr int kSpinHints = 64;

static goroutine* steal_once(machine* m, bool fairness);

static goroutine* steal_work(machine* m) {
  runtime* rt = m->rt;
  for (int round = 0;; round++) {
    goroutine* g = steal_once(m, false);
    if (g != nullptr || round >= kSpinRounds) return g;
    if (rt->gq_size.load(std::memory_order_relaxed) != 0 ||
        rt->stop_flag.load(std::memory_order_relaxed) != 0)
      return nullptr;
    for (int i = 0; i < kSpinHints; i++) sys::spin_hint();
  }
}

// Visits every other P in random order, up to four passes, taking half a
// ring; runnext only on the last pass (a just-readied G its owner is about
// to run), and giving up early once the global queue has work. The
// fairness pass (find_runnable) is one pass that takes runnext too and does
// not give up: the global queue is known to have work, and the G it exists
// for may sit in a busy P's runnext.
static goroutine* steal_once(machine* m, bool fairness) {
  runtime* rt = m->rt;
  processor* p = m->p;
  std::uint32_t n = rt->nprocs.get();
  const int passes = fairness ? 1 : 4;
  for (int pass = 0; pass < passes; pass++) {
    bool last = pass == passes - 1;
    std::uint32_t start = sys::random_below(p->rng, n);
    for (std::uint32_t k = 0; k < n; k++) {
      processor* victim = rt->ps[(start + k) % n];
      if (victim == p) continue;
      goroutine* g = p->runq.steal_from(victim->runq, last);
      if (g != nullptr) return g;
    }
    if (!fairness && rt->gq_size.load(std::memory_order_relaxed) != 0) return nullptr;
  }
  return nullptr;
}

static bool any_local_work(runtime* rt) {
  for (processor* q : rt->ps)
    if (!q->runq.empty()) return true;
  return false;
}

// Returns a G to run, holding a P; null when the runtime is stopping (the
// M then holds no P).
static goroutine* find_runnable(machine* m) {
  runtime* rt = m->rt;
  for (;;) {
    if (m->p == nullptr) {
      if (rt->stop_flag.load(std::memory_order_relaxed) != 0) return nullptr;
      stopm(m);
      continue;
    }
    processor* p = m->p;
    solo_poll(p);  // a safe point: no channel critical section is open here
    if (rt->stop_flag.load(std::memory_order_relaxed) != 0) {
      solo_end_tenure(p);  // before the P can reach another M
      rt->lock.lock();
      pidle_put(rt, p);
      rt->lock.unlock();
      m->p = nullptr;
      if (m->spinning) {
        m->spinning = false;
        rt->nmspinning.fetch_sub(1, std::memory_order_relaxed);
      }
      return nullptr;
    }
    // Fairness: the global queue every 61st tick.
    if (p->schedtick.get() % kGlobalPollTicks == 0 &&
        rt->gq_size.load(std::memory_order_relaxed) != 0) {
      rt->lock.lock();
      goroutine* g = globq_get(rt, p, 1);
      rt->lock.unlock();
      if (g != nullptr) return g;
    }
    goroutine* g = nullptr;
    if (p->runnext_streak < kRunnextStreak) {
      g = p->runq.pop_next();
      if (g != nullptr) {
        p->runnext_streak++;
        return g;
      }
    }
    p->runnext_streak = 0;
    g = p->runq.pop_ring();
    if (g == nullptr) g = p->runq.pop_next();
    if (g != nullptr) return g;
    // Local queue empty. On every other tick, one steal pass before the
    // global queue: a G that keeps yielding (Gosched puts it in the global
    // queue) would otherwise be all this P ever runs, while work sits in a
    // busy P's ring or runnext (Go issue 13546; Go escapes it by
    // preemption, which weft does not have).
    if (rt->nprocs.get() > 1 && (p->schedtick.get() & 1) != 0 &&
        rt->gq_size.load(std::memory_order_relaxed) != 0) {
      g = steal_once(m, true);
      if (g != nullptr) return g;
    }
    if (rt->gq_size.load(std::memory_order_relaxed) != 0) {
      rt->lock.lock();
      g = globq_get(rt, p, 0);
      rt->lock.unlock();
      if (g != nullptr) return g;
    }
    // Steal, if few enough Ms already spin (at most half the busy Ps).
    if (rt->nprocs.get() > 1) {
      std::uint32_t busy = rt->nprocs.get() - rt->npidle.load(std::memory_order_relaxed);
      if (m->spinning || 2 * rt->nmspinning.load(std::memory_order_relaxed) < busy) {
        if (!m->spinning) {
          m->spinning = true;
          rt->nmspinning.fetch_add(1, std::memory_order_relaxed);
        }
        g = steal_work(m);
        if (g != nullptr) return g;
        if (rt->gq_size.load(std::memory_order_relaxed) != 0) continue;
      }
    }
    // Nothing: give up the P.
    rt->lock.lock();
    if (rt->gq_size.load(std::memory_order_relaxed) != 0 && !rt->stopping) {
      g = globq_get(rt, p, 0);
      rt->lock.unlock();
      return g;
    }
    solo_end_tenure(p);  // before the P can reach another M
    pidle_put(rt, p);
    m->p = nullptr;
    rt->lock.unlock();
    if (m->spinning) {
      m->spinning = false;
      rt->nmspinning.fetch_sub(1, std::memory_order_relaxed);
    }
    // (S4) seq_cst fence: StoreLoad between our npidle++ (and nmspinning--)
    // and the re-check below; pairs with (S3) in wakep(). See the essay. A
    // non-spinning M re-checks too: it may have skipped stealing on stale
    // spinner counts while a submitter, seeing no idle P, woke nobody.
    sys::atomic_thread_fence(std::memory_order_seq_cst);
    if (any_local_work(rt) || rt->gq_size.load(std::memory_order_relaxed) != 0) {
      if (pidle_get_and_acquire(rt, m)) {
        m->spinning = true;
        rt->nmspinning.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    stopm(m);
  }
}

// ---- running a G ---------------------------------------------------------------------------
//
// Switching. A G that parks, yields, exits or leaves a blocking call records
// itself in m->prev with what it wants (m->prev_action) and switches away:
// to the G in its P's runnext slot directly when the fairness rules allow
// (the common hand-off: a channel send readied the receiver into runnext),
// else to g0, which runs find_runnable. Whichever context runs next on the
// M first calls finish_switch(), which completes the request (marks the G
// waiting and runs its park commit, frees a dead G, queues a yielded one).
// So a park commit still runs only once its G is off its stack (S4), and a
// hand-off costs one context switch instead of two.

static void goroutine_entry(void* arg);

[[gnu::always_inline]] static inline void start_or_resume(runtime* rt, processor* p, goroutine* g) {
  p->schedtick.set(p->schedtick.get() + 1);
  p->slice_ops.set(0);
  g->status.store(gstatus::running, std::memory_order_relaxed);
  if (!g->started) {
    g_take_stack(rt, p, g);
    sys::fiber_init(&g->ctx, g->stk.bottom, g->stk.size, goroutine_entry, g);
    g->started = true;
  }
}

// Completes what m->prev asked for, g (not null); see above.
[[gnu::noinline]] static void finish_request(machine* m, goroutine* g) {
  m->prev = nullptr;
  runtime* rt = m->rt;
  processor* p = m->p;  // blocking_exit may have changed it
  switch (m->prev_action) {
    case switch_action::park:
      g->status.store(gstatus::waiting, std::memory_order_relaxed);
      if (g->commit != nullptr && !g->commit(g->commit_arg)) {
        // Park abandoned: g runs next.
        g->status.store(gstatus::runnable, std::memory_order_relaxed);
        runq_put(rt, p, g, true);
      }
      return;
    case switch_action::yield:
      // As Go's Gosched: to the back of the global queue, so that every G
      // queued before (locally or globally) runs before g again.
      g->status.store(gstatus::runnable, std::memory_order_relaxed);
      globq_put_one(rt, g);
      return;
    case switch_action::exit: {
      bool is_main = g->id == 1;
      g_free(rt, p, g);
      if (is_main) {
        // (D1) release: pairs with run_main's acquire.
        rt->done.store(1, std::memory_order_release);
        sys::futex_wake(rt->done, 1);
      }
      return;
    }
    case switch_action::leave_blocking:
      // g came back from a blocking call and found no P: queue it
      // globally; this M (without a P) then sleeps in find_runnable.
      g->status.store(gstatus::runnable, std::memory_order_relaxed);
      globq_put_one(rt, g);
      wakep(rt);
      return;
    case switch_action::none:
      break;
  }
  sys::fatal("weft: scheduler: goroutine switched away without a reason");
}

// Runs on whatever context the M resumed (g0 or a goroutine), right after
// the switch. Inline: a hand-off between two goroutines (a park with no
// commit) leaves nothing to finish.
[[gnu::always_inline]] static inline void finish_switch(machine* m) {
  if (goroutine* g = m->prev) finish_request(m, g);
}

// Runs g on m (from g0) until the M comes back to g0.
static void execute(machine* m, goroutine* g) {
  if (m->spinning) reset_spinning(m);
  start_or_resume(m->rt, m->p, g);
  m->curg = g;
  sys::fiber_switch(&m->g0, &g->ctx);
  m->curg = nullptr;
  finish_switch(m);
}

// The runnext G to hand the M to directly, or null (go through g0).
[[gnu::always_inline]] static inline goroutine* direct_successor(machine* m) {
  processor* p = m->p;
  if (p == nullptr || p->runnext_streak >= kRunnextStreak ||
      p->schedtick.get() % kGlobalPollTicks == 0 ||
      m->rt->stop_flag.load(std::memory_order_relaxed) != 0)
    return nullptr;
  goroutine* next = m->rt->nprocs.get() == 1 ? p->runq.pop_next_unshared() : p->runq.pop_next();
  if (next != nullptr) p->runnext_streak++;
  return next;
}

// switch_to_scheduler()'s body, inline into it and into park_g().
[[gnu::always_inline]] static inline void switch_away(machine* m, goroutine* g, switch_action a) {
  goroutine* next = nullptr;
  if (a == switch_action::park || a == switch_action::exit) next = direct_successor(m);
  if (a == switch_action::park && g->commit == nullptr && next != nullptr) {
    // A park with no commit (a channel operation whose lock was elided, a
    // nil channel, select with no cases), handing the M to another G:
    // complete it here, so that the G we resume has nothing to finish.
    // Nothing can wake g before it is off its stack: only this M's
    // goroutines reach an elided section's waiters until the tenure ends,
    // and a tenure ends on this M (find_runnable, blocking_enter) only
    // after the switch below; nothing ever wakes the other two.
    g->status.store(gstatus::waiting, std::memory_order_relaxed);
    m->prev = nullptr;
  } else {
    m->prev = g;
    m->prev_action = a;
  }
  sys::fiber* to = &m->g0;
  if (next != nullptr) {
    start_or_resume(m->rt, m->p, next);
    m->curg = next;
    to = &next->ctx;
  }
  if (a == switch_action::exit) sys::fiber_exit(&g->ctx, to);
  sys::fiber_switch(&g->ctx, to);
  // Resumed, possibly on another M.
  finish_switch(current_m());
}

void switch_to_scheduler(machine* m, goroutine* g, switch_action a) { switch_away(m, g, a); }

// park()'s goroutine case: the wait the deadlock report and the park
// commit read, then the switch. Inline into both entry points below.
[[gnu::always_inline]] static inline void park_g(machine* m, goroutine* g, wait_reason reason,
                                                 source_location where, bool (*commit)(void*),
                                                 void* arg) {
  g->reason = reason;
  g->where = where;
  g->commit = commit;
  g->commit_arg = arg;
  switch_away(m, g, switch_action::park);
  g->reason = wait_reason::none;
}

void park_goroutine(machine* m, goroutine* g, wait_reason reason, source_location where,
                    bool (*commit)(void*), void* arg) {
  park_g(m, g, reason, where, commit, arg);
}

// park.hpp. park() with no commit, for the goroutine of a tenure (the
// caller's elided section ends with the switch): one frame between the
// channel operation's wait and the switch, and no check for a plain thread.
void park_in_tenure(wait_reason reason, source_location where) {
  machine* m = current_m();
  goroutine* g = m->curg;
  if (g == nullptr) sys::fatal("weft: scheduler: a blocking channel operation outside a goroutine");
  park_g(m, g, reason, where, nullptr, nullptr);
}

[[noreturn]] void die_with_panic(const char* what, goroutine* g);

static void goroutine_entry(void* arg) {
  auto* g = static_cast<goroutine*>(arg);
  finish_switch(current_m());
#if defined(__cpp_exceptions)
  try {
    g->ops->invoke(g->fn);
  } catch (const std::exception& e) {
    die_with_panic(e.what(), g);
  } catch (...) {
    die_with_panic("unknown exception", g);
  }
#else
  g->ops->invoke(g->fn);
#endif
  g->ops->destroy(g->fn);
  g->ops = nullptr;
  switch_to_scheduler(current_m(), g, switch_action::exit);
  __builtin_unreachable();
}

static void schedule(machine* m) {
  for (;;) {
    goroutine* g = find_runnable(m);
    if (g == nullptr) return;
    execute(m, g);
  }
}

void release_runtime_ref(runtime* rt);

static void m_main(machine* m) {
  runtime* rt = m->rt;
  sys::tls_set(sys::tls_slot::m, m);
  sys::stack_thread_init();
  sys::fiber_init_thread(&m->g0);
  m->p = m->nextp.get();
  m->nextp.set(nullptr);
  m->spinning = m->next_spinning.get();
  m->next_spinning.set(false);
  schedule(m);
  sys::fiber_release(&m->g0);
  sys::stack_thread_release();
  sys::tls_set(sys::tls_slot::m, nullptr);
  rt->lock.lock();
  rt->mcount--;
  rt->lock.unlock();
  delete m;
  // (D2) relaxed: see run_main; rt stays alive through our reference.
  rt->mlive.fetch_sub(1, std::memory_order_relaxed);
  sys::futex_wake(rt->mlive, 1);
  release_runtime_ref(rt);
}

// ---- preemption at safe points ---------------------------------------------------------
//
// weft cannot interrupt a goroutine, but a goroutine that keeps finding its
// channels ready never blocks either: two such goroutines on two Ps hold
// both for ever while everything queued behind them starves (Go preempts
// them after a 10 ms time slice). So channel operations count as safe
// points: after kSlice of them without a switch, the goroutine yields.
// kSlice operations take tens of microseconds; the yield costs one switch
// and a global-queue push, under 1% of the slice.

std::uint64_t chan_op_begin() {
  const std::uint64_t t = fast_safe_point();
  if (t != kSlowSafePoint) return t;
  // The slice ran out, or the solo P's holder has no tenure yet; either
  // way fast_safe_point() counted nothing.
  machine* m = current_m();
  if (m->curg != nullptr) {
    const std::uint32_t ops = m->p->slice_ops.get() + 1;
    m->p->slice_ops.set(ops);
    if (ops >= kSlice) {
      switch_to_scheduler(m, m->curg, switch_action::yield);
      m = current_m();  // resumed, possibly on another M
    }
  }
  return solo_tenure(m);
}

std::uint64_t chan_solo() { return solo_tenure(current_m()); }

// ---- public entry points ---------------------------------------------------------------

}  // namespace weft::detail

namespace weft {

void yield() {
  detail::machine* m = detail::current_m();
  if (m == nullptr || m->curg == nullptr || m->in_blocking) {
    sys::spin_hint();  // a plain thread: nothing of ours to yield to
    return;
  }
  detail::switch_to_scheduler(m, m->curg, detail::switch_action::yield);
}

namespace this_goroutine {
std::uint64_t id() {
  detail::machine* m = detail::current_m();
  if (m == nullptr || m->curg == nullptr) return 0;
  return m->curg->id;
}
}  // namespace this_goroutine

}  // namespace weft
