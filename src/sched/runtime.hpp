// runtime.hpp: the scheduler's data structures (internal). The design essay
// is at the top of sched.cpp; read it first.
//
// Vocabulary, as in Go's runtime/proc.go:
//   G  a goroutine (struct goroutine)
//   M  an OS thread that runs goroutines (struct machine)
//   P  a processor: the right to run goroutines, with a local run queue;
//      config.procs of them exist; an M needs a P to run a G
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <weft/runtime.hpp>
#include <weft/sys.hpp>

#include "sched/park.hpp"
#include "sched/runq.hpp"
#include "sys/fiber.hpp"
#include "sys/stack.hpp"

namespace weft::detail {

struct machine;
struct processor;
struct runtime;

// A task is whoever blocks in weft: a goroutine or a plain OS thread.
struct task {
  explicit task(bool g) : is_goroutine(g) {}
  const bool is_goroutine;
  // What the task waits on, for the deadlock report (written by the task
  // itself before it parks; read by the detector once every M is idle).
  wait_reason reason = wait_reason::none;
  source_location where{nullptr, 0};
};

// A plain OS thread's task: parks on a futex. Records are never freed (one
// per thread that ever blocked in weft), so a late futex_wake is harmless.
struct thread_task : task {
  thread_task() : task(false) {}
  sys::atomic<std::uint32_t> word{0};  // 0 parked, 1 woken; futex word
  thread_task* all_next = nullptr;
};

enum class gstatus : std::uint32_t {
  idle,      // on a free list
  runnable,  // in a run queue (not yet started, or woken)
  running,   // on an M
  waiting,   // parked
  dead,      // finished, record about to be reused
};

struct goroutine : task {
  goroutine() : task(true) {}

  runtime* rt = nullptr;  // the runtime it belongs to
  sys::fiber ctx;         // saved context while not running
  sys::stack stk;         // empty until first scheduled
  std::uint64_t id = 0;
  goroutine* next = nullptr;      // free list link; owner: whoever holds it
  goroutine* all_next = nullptr;  // allgs list, immutable once linked
  // The first record of a batch on the global free list (goroutines.cpp, G5):
  // the next batch and this one's length. glock.
  goroutine* free_batch_next = nullptr;
  std::uint32_t free_batch_n = 0;
  const closure_ops* ops = nullptr;
  void* fn = nullptr;  // the callable: inline_fn or heap
  bool heap_fn = false;
  bool started = false;
  // Written by the goroutine before it switches away, read by g0 after the
  // switch (same M: ordered by the switch).
  bool (*commit)(void*) = nullptr;
  void* commit_arg = nullptr;
  // Status: read by the deadlock detector and the dump while every M is idle
  // (ordered by the sched lock), otherwise written and read by the owner.
  sys::atomic<gstatus> status{gstatus::idle};
  static constexpr std::size_t kInlineFn = 48;
  alignas(16) unsigned char inline_fn[kInlineFn];
};

// What a goroutine asks of its M's scheduler context when it switches to it.
enum class switch_action : std::uint8_t { none, park, yield, exit, leave_blocking };

constexpr std::uint32_t kRunQueueSize = sys::kModel ? 4 : 256;
using local_runq = run_queue<goroutine, kRunQueueSize>;

enum class pstatus : std::uint32_t { idle, running, blocking };

struct processor {
  std::uint32_t index = 0;
  local_runq runq;
  // Owner only. The owner changes hands through the sched lock, an M's
  // park word (K1/K2) or the status CASes (B1, B2, retake); the two counters
  // touched on every schedule and safe point are cells, so a handoff that
  // fails to order one owner's writes before the next owner's is a data
  // race under the checker.
  // alignas: off the ring's last cache line, which thieves read.
  alignas(64) sys::cell<std::uint32_t> schedtick{0};
  std::uint32_t runnext_streak = 0;       // consecutive runnext picks
  sys::cell<std::uint32_t> slice_ops{0};  // safe points passed by the running G
  std::uint64_t rng = 0;
  goroutine* gfree = nullptr;  // free G records
  std::uint32_t gfree_count = 0;
  static constexpr int kStackCache = 16;
  sys::stack stacks[kStackCache];
  int nstacks = 0;
  std::uint64_t id_next = 0, id_end = 0;  // goroutine id batch
  // The running channel-lock tenure of this P's holder, 0 if none
  // (solo.cpp). Owner only; 0 whenever the P changes hands.
  std::uint64_t solo_tenure = 0;
  // Goroutines spawned on this P minus those that exited on it (either may
  // be negative; num_goroutines() sums them with runtime::ngoroutines). The
  // owner updates it with a load and a store (one writer at a time, ordered
  // by the handoffs above); relaxed: a statistic, read by anyone.
  sys::atomic<std::int64_t> ngoroutines{0};
  // Guarded by the sched lock:
  alignas(64) processor* idle_next = nullptr;
  // (B1) status: CAS by the owning M (blocking enter/exit) and by the
  // monitor (retake). Pairs: blocking_enter's release store with the
  // monitor's acquire load; the CASes decide who owns the P.
  sys::atomic<pstatus> status{pstatus::idle};
  sys::atomic<std::int64_t> blocking_since{0};  // ns on clock, relaxed
};

// One P's owner-side count change (see processor::ngoroutines).
inline void p_count_goroutines(processor* p, std::int64_t d) noexcept {
  p->ngoroutines.store(p->ngoroutines.load(std::memory_order_relaxed) + d,
                       std::memory_order_relaxed);
}

struct machine {
  runtime* rt = nullptr;
  sys::fiber g0;
  goroutine* curg = nullptr;
  processor* p = nullptr;
  bool spinning = false;
  // The G that last switched away from this M and what it asked for;
  // completed by finish_switch() in whatever context runs next (owner).
  goroutine* prev = nullptr;
  switch_action prev_action = switch_action::none;
  // Parking the M: 0 asleep, 1 woken. Written under the sched lock by the
  // waker (with nextp), futex-woken after.
  sys::atomic<std::uint32_t> park_word{0};
  // Handed over by the waker (written under the sched lock, read by the
  // woken M after (K2) without it): cells, so the checker sees the handoff.
  sys::cell<processor*> nextp{nullptr};
  sys::cell<bool> next_spinning{false};
  machine* idle_next = nullptr;  // sched lock
  bool in_blocking = false;      // owner
};

// A block of the global run queue: g[head, tail) are queued, oldest first.
struct gq_block {
  static constexpr std::uint32_t kSize = sys::kModel ? 4 : 254;
  gq_block* next = nullptr;
  std::uint32_t head = 0;
  std::uint32_t tail = 0;
  goroutine* g[kSize];
};
static_assert(std::is_trivially_destructible_v<gq_block>, "gq_block is freed with std::free");

struct runtime {
  config cfg;
  // Written once by run_main before the runtime is published (G1 in
  // sched.cpp), read everywhere after. A cell: a thread that reaches the
  // runtime without happens-before (a G1 too weak) races here.
  sys::cell<std::uint32_t> nprocs{0};
  std::vector<processor*> ps;
  // Its only P may skip channel locks (solo.cpp). Written by solo_start()
  // before the runtime is published, read-only after.
  bool solo = false;

  // ---- the sched lock ---------------------------------------------------
  // Guards the global run queue, the idle P and M lists, M counts and the
  // shutdown state. Never held while switching goroutines or waking a
  // thread's futex is not required to be outside it (futex_wake is cheap
  // and never blocks), but a goroutine is never parked while holding it.
  sys::mutex lock;
  // The global run queue: a FIFO of blocks of G pointers (sched.cpp,
  // "The global run queue"). All three under lock.
  gq_block* gq_first = nullptr;
  gq_block* gq_last = nullptr;
  gq_block* gq_spare = nullptr;  // one emptied block kept for reuse
  // Written under lock, read without it as a hint (relaxed): a stale zero is
  // corrected by the re-check under lock before an M sleeps.
  sys::atomic<std::uint32_t> gq_size{0};
  processor* pidle = nullptr;  // lock
  // (S1) number of idle Ps; written under lock, read lock-free by wakep().
  sys::atomic<std::uint32_t> npidle{0};
  machine* midle = nullptr;  // lock
  std::uint32_t nmidle = 0;  // lock
  std::uint32_t mcount = 0;  // lock: Ms created (excluding the monitor)
  // (S2) Ms spinning in search of work. See the essay, "Spinning Ms".
  sys::atomic<std::uint32_t> nmspinning{0};
  sys::atomic<std::uint32_t> nmblocking{0};  // Ms inside blocking()
  bool stopping = false;                     // lock
  // Mirror of `stopping` for lock-free checks. Relaxed everywhere: a hint;
  // whoever acts on it takes the sched lock and reads `stopping`, and the
  // monitor's sleep is ended by sysmon_wake() after it is set.
  sys::atomic<std::uint32_t> stop_flag{0};
  // Ms that have not exited; futex word, run() waits for it to reach the
  // number of Ms busy in user code when it stops the runtime.
  sys::atomic<std::uint32_t> mlive{0};

  // ---- goroutines ---------------------------------------------------------
  sys::mutex glock;                   // guards allgs, gfree_global, id ranges
  goroutine* allgs = nullptr;         // glock; every G record ever allocated
  goroutine* gfree_global = nullptr;  // glock; batches (goroutines.cpp, G5)
  std::uint64_t next_id = 1;          // glock
  // Live user goroutines (num_goroutines), less the per-P counts:
  // spawned from outside any P. relaxed: a statistic.
  sys::atomic<std::int64_t> ngoroutines{0};

  // ---- run() -----------------------------------------------------------------
  // 0 running, 1 main goroutine returned, 2 deadlock reported; futex word
  // the run() caller sleeps on. (D1) release by the writer, acquire by run().
  sys::atomic<std::uint32_t> done{0};

  // ---- the monitor (sysmon) -----------------------------------------------------
  // (Y1) 1 while the monitor sleeps with no deadline: blocking_enter wakes it.
  sys::atomic<std::uint32_t> sysmon_idle{0};
  sys::atomic<std::uint32_t> sysmon_exited{0};
  std::uint32_t refs = 0;  // lock: run() + live Ms + monitor; last frees

  // ---- deadlock confirmation (deadlock.cpp) ------------------------------
  // The detector only suspects; the monitor confirms after kDeadlockGrace
  // if nothing changed. All under lock, except the mirror and the counter.
  bool dead_suspect = false;
  std::uint64_t dead_epoch = 0;
  sys::clock::time_point dead_at{};
  // (E1) 1 while a suspicion is pending; the monitor reads it to set its
  // deadline. Written under lock, read relaxed (the monitor re-checks under
  // lock).
  sys::atomic<std::uint32_t> dead_suspect_flag{0};
  // Wakes of goroutines from outside any P (plain threads, the monitor):
  // a change cancels a suspicion. relaxed: compared under lock only after
  // the waker's own lock-protected queue push.
  sys::atomic<std::uint64_t> ext_wakes{0};
};

// ---- scheduler entry points (sched.cpp) ---------------------------------------
// The calling thread's M; null on a plain thread. Inline (on x86-64 the
// read is a single %fs load, never cached across a switch: sys/std.hpp).
inline machine* current_m() noexcept {
  return static_cast<machine*>(sys::tls_get(sys::tls_slot::m));
}
runtime* current_runtime() noexcept;  // the running runtime, or null
void ready(goroutine* g);             // make g runnable (from anywhere)
// Owner of p: queue g (in runnext if `next`); true if the ring spilled half
// of itself to the global queue.
bool runq_put(runtime* rt, processor* p, goroutine* g, bool next, bool is_new = false);
void set_current_runtime(runtime* rt) noexcept;
void release_runtime_ref(runtime* rt);
[[noreturn]] void die_with_panic(const char* what, goroutine* g);
// From g's stack (m is g's current M): switch away asking for `a`.
void switch_to_scheduler(machine* m, goroutine* g, switch_action a);
// park()'s goroutine case (park.hpp), g running on m: records the wait and
// switches away; park_in_tenure() is the same with no commit.
void park_goroutine(machine* m, goroutine* g, wait_reason reason, source_location where,
                    bool (*commit)(void*), void* arg);
void start_machine(runtime* rt, processor* p, bool spinning);  // sched lock NOT held
void wakep(runtime* rt);
bool pidle_get_and_acquire(runtime* rt, machine* m);
void pidle_put(runtime* rt, processor* p);      // sched lock held
void globq_put_one(runtime* rt, goroutine* g);  // takes the sched lock
void globq_init(runtime* rt);                   // before the runtime is published
void globq_free_blocks(runtime* rt);            // the runtime is being destroyed

// ---- goroutine records (goroutines.cpp) ------------------------------------------
goroutine* g_alloc(runtime* rt, processor* p);
void g_free(runtime* rt, processor* p, goroutine* g);
void g_take_stack(runtime* rt, processor* p, goroutine* g);
void g_release_all(runtime* rt);

// ---- timers and the monitor (timers.cpp, sysmon.cpp) -----------------------------------
// Fires due timers; returns the earliest remaining deadline (max() if none).
// `*fired` (if given) is set when at least one timer fired.
sys::clock::time_point timers_run_due(sys::clock::time_point now, bool* fired = nullptr);
std::uint32_t timers_pending() noexcept;
void sysmon_main(runtime* rt);
void sysmon_wake(runtime* rt);

// ---- channel lock elision on one P (solo.cpp) -------------------------------------
std::uint64_t solo_begin_tenure(processor* p);  // returns the new tenure
void solo_end_tenure(processor* p);             // the P's holder: before giving up p, or when asked
void solo_poll(processor* p);  // a safe point of the P's holder: hand over if asked
// The caller's running tenure (starting one if need be) if it holds the P
// of the solo runtime, else 0. Inline: every channel operation asks.
inline std::uint64_t solo_tenure(machine* m) {
  if (m == nullptr || m->p == nullptr || m->in_blocking || !m->rt->solo) return 0;
  processor* p = m->p;
  return p->solo_tenure != 0 ? p->solo_tenure : solo_begin_tenure(p);
}

// ---- safe points (sched.cpp) ---------------------------------------------------------
constexpr std::uint32_t kSlice = 4096;  // channel operations per time slice
// The channel entry points' safe point (chan.cpp, select.cpp), inline:
// counts the safe point of a running goroutine and returns the caller's
// running tenure (0: none, as for a plain thread or a goroutine of a
// runtime with several Ps). Returns kSlowSafePoint, counting nothing, when
// the slice has run out or a tenure must begin: the caller then calls
// chan_op_begin(), which does either.
inline std::uint64_t fast_safe_point() {
  machine* m = current_m();
  if (m == nullptr) return 0;
  processor* p = m->p;
  if (p == nullptr || m->in_blocking) return 0;
  const std::uint64_t t = p->solo_tenure;
  if (t == 0 && m->rt->solo) return kSlowSafePoint;
  if (m->curg != nullptr) {
    const std::uint32_t ops = p->slice_ops.get() + 1;
    if (ops >= kSlice) return kSlowSafePoint;
    p->slice_ops.set(ops);
  }
  return t;
}
// park.hpp's tenure_task(): the running goroutine, for a caller inside its
// tenure (chan_op_begin() or fast_safe_point() returned nonzero).
inline task* tenure_task() noexcept { return current_m()->curg; }
void solo_start(runtime* rt);  // run_main, before the runtime is published
void solo_end(runtime* rt);    // destroy_runtime

// ---- deadlock detector and dumps (deadlock.cpp) -------------------------------------
// Called with the sched lock held by an M that is about to sleep: raises a
// suspicion that confirm_dead() (the monitor) turns into a report.
void check_dead(runtime* rt);
void recheck_dead(runtime* rt);
// The monitor: returns the deadline at which to call again (max: none).
sys::clock::time_point confirm_dead(runtime* rt, sys::clock::time_point now);
void dump_goroutines(runtime* rt);

}  // namespace weft::detail
