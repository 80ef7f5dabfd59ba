// solo.cpp: channel lock elision while one P runs everything.
//
// With config.procs == 1 every goroutine runs on the runtime's only P, and
// an M runs goroutines only while it holds that P. Owning the P already
// orders all goroutine code: whoever holds it next got it through the sched
// lock, an M's park word or a status CAS. A channel lock taken only by the
// P's holder orders nothing more, yet it costs two locked instructions per
// operation (most of a buffered send). So the holder skips the locks of the
// channels that only it uses.
//
// Tenures. The holder works in numbered tenures (process-wide, increasing,
// never reused): one begins at the holder's first channel operation after
// it got the P, and ends when it gives the P up (goes idle, enters
// blocking(), stops) or when a breaker asks (below). g_state holds the
// latest tenure number, whether it runs (kActive), and whether a breaker
// waits for its end (kReq). Only one runtime at a time may have tenures:
// the one that took g_solo_rt in solo_start().
//
// Owned channels (chan_core::solo_owner, solo_shared; chan_core.hpp). The
// holder claims a channel under its lock by writing the running tenure
// into solo_owner; from then on, for the rest of the tenure, it skips that
// channel's lock. Any other thread (a plain thread, an M inside blocking(),
// a goroutine of another runtime) still locks the channel, and under the
// lock finds the owner:
//   * no owner, or a tenure that has ended: go on. It also sets
//     solo_shared, so that the holder never claims the channel again;
//   * the running tenure: set solo_shared, unlock, ask the tenure to end
//     and wait for it (solo_wait), then lock again. Nothing is held while
//     waiting: the holder may need any lock but that channel's to reach
//     the point where it hands over.
// The holder hands over at a safe point (find_runnable, where it has no
// critical section open: an elided operation parks with no commit, so its
// section ends when it switches away) or when it gives up the P. A later
// tenure claims channels again, except shared ones.
//
// The monitor is never a breaker that waits: the only channels it delivers
// into are those of timers, tickers and after(), which are never claimed
// (chan_never_claim). It must not wait: a goroutine that stops a timer
// blocks its thread in timer_del() until a delivery in progress ends, and
// would never end its tenure (models/runtime/solo_test.cpp has the case).
//
// Why this is enough: an elided section runs only within the tenure that
// claimed the channel. Its end is a release (L2) that a breaker's check
// (L4) acquires: all writes to g_state are read-modify-writes, so a read
// of any later value still synchronizes with it. A locked section of
// another thread is ordered before the claim (the claim takes the lock), or
// comes after the tenure's end (it finds the owner and waits, or finds it
// ended). Later tenures' sections come after through the P handoff and the
// claim's lock (L1).
//
// Costs. The holder pays no atomic operation for a claimed channel: it
// reads solo_owner, which only it writes. Threads that never meet a
// claimed channel pay nothing: owner and shared flag are plain fields read
// under the lock they already take. A breaker pays one load of g_state per
// operation on a channel that was ever claimed, and one wait per tenure.
//
// Liveness. A breaker waits until the holder's next pass through
// find_runnable: at the latest after 32 direct goroutine hand-offs, a park
// with nobody ready, or kSlice channel operations (the safe-point yield). A
// goroutine that computes without any of these, or that blocks its thread
// outside blocking(), delays the breaker that long; one that blocks its
// thread on something the waiting breaker holds (an OS mutex held across a
// channel operation) deadlocks with it. The runtime itself never does: a
// breaker waits only inside a channel operation, and no runtime lock is
// held across one on a claimable channel.
//
// Under the checker every channel critical section, elided or locked,
// writes a ghost cell (chan_core::try_lock_cs), so an elided section that
// is not ordered with a breaker's is reported as a data race.
#include <climits>
#include <cstdint>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {

constexpr std::uint64_t kActive = 1;
constexpr std::uint64_t kReq = 2;
constexpr int kTenureShift = 2;

// tenure << kTenureShift | kActive | kReq. Every write is a read-modify-
// write (see the file comment).
sys::atomic<std::uint64_t> g_state{0};
// Futex word for breakers: bumped when a tenure that a breaker asked to end
// ends (an eventcount: read it before g_state, wait only if it is unchanged).
sys::atomic<std::uint32_t> g_seq{0};
// The runtime whose P may hold tenures. relaxed: it only elects one
// runtime at a time; tenures are ordered through g_state.
sys::atomic<runtime*> g_solo_rt{nullptr};

std::uint64_t tenure_of(std::uint64_t w) { return w >> kTenureShift; }

}  // namespace

std::uint64_t solo_begin_tenure(processor* p) {
  std::uint64_t w = g_state.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = ((tenure_of(w) + 1) << kTenureShift) | kActive;
    // (L1) relaxed (mutate showed acquire needless): the new tenure skips
    // only the locks of channels it claims under their lock, which orders
    // it after every earlier section there: other threads' by the lock, the
    // earlier holders' by the P handoff. A CAS, not a store: it keeps
    // (L2)'s release sequence going for breakers.
  } while (!g_state.compare_exchange_weak(w, next, std::memory_order_relaxed,
                                          std::memory_order_relaxed));
  p->solo_tenure = tenure_of(next);
  return p->solo_tenure;
}

void solo_end_tenure(processor* p) {
  if (p->solo_tenure == 0) return;
  // (L2) release: publishes the tenure's elided critical sections to every
  // breaker's (L4).
  std::uint64_t old = g_state.exchange(p->solo_tenure << kTenureShift, std::memory_order_release);
  p->solo_tenure = 0;
  if ((old & kReq) != 0) {
    // (L5) release: a breaker that reads the bump (acquire, solo_wait)
    // then reads g_state no older than the exchange above.
    g_seq.fetch_add(1, std::memory_order_release);
    sys::futex_wake(g_seq, INT_MAX);
  }
}

void solo_poll(processor* p) {
  if (p->solo_tenure == 0) return;
  // relaxed: a request only asks; (L2) in solo_end_tenure publishes.
  if ((g_state.load(std::memory_order_relaxed) & kReq) != 0) solo_end_tenure(p);
}

bool solo_running(std::uint64_t tenure) {
  // (L4) acquire: pairs with (L2) when the tenure has ended.
  std::uint64_t w = g_state.load(std::memory_order_acquire);
  return (w & kActive) != 0 && tenure_of(w) == tenure;
}

void solo_wait(std::uint64_t tenure) {
  for (;;) {
    // (L5) acquire: if this reads a bump, the g_state load below sees the
    // end that preceded it (else we would wait for a bump already made).
    std::uint32_t seen = g_seq.load(std::memory_order_acquire);
    // relaxed (mutate showed acquire needless): this only decides whether
    // to wait; the caller then locks again and asks solo_running() (L4).
    // Even relaxed, it reads the end that a bump seen above followed.
    std::uint64_t w = g_state.load(std::memory_order_relaxed);
    if ((w & kActive) == 0 || tenure_of(w) != tenure) return;
    // relaxed: the request publishes nothing; the holder only reacts to it.
    if ((w & kReq) == 0 && !g_state.compare_exchange_strong(w, w | kReq, std::memory_order_relaxed,
                                                            std::memory_order_relaxed))
      continue;
    sys::futex_wait(g_seq, seen);
  }
}

void solo_start(runtime* rt) {
  runtime* none = nullptr;
  // relaxed: see g_solo_rt.
  rt->solo =
      rt->nprocs.get() == 1 && g_solo_rt.compare_exchange_strong(
                                   none, rt, std::memory_order_relaxed, std::memory_order_relaxed);
}

void solo_end(runtime* rt) {
  // Every M of rt has given up its P, ending its tenure.
  if (rt->solo) g_solo_rt.store(nullptr, std::memory_order_relaxed);
}

#if defined(WEFT_MODEL)
void solo_reset_globals() {
  g_state.store(0, std::memory_order_relaxed);
  g_seq.store(0, std::memory_order_relaxed);
  g_solo_rt.store(nullptr, std::memory_order_relaxed);
}
#endif

}  // namespace weft::detail
