// engine.hpp: the checker's state: model threads, modelled objects, the
// current execution and the search that drives it. One engine exists per
// check(); `g` points at it while check() runs.
//
// Vocabulary (after loom's src/rt/):
//   step       one visible operation of one model thread. Before each step
//              the running thread stops at a *scheduling point* (point())
//              with its pending operation described; the search picks the
//              thread that performs the next step among the enabled ones.
//   branch     one recorded choice: which thread runs a step (a schedule
//              branch), or which of n values an operation takes (a value
//              branch: the store a load reads from, the mo position of a
//              store, a CAS's spurious failure, random_below, ...).
//   path       the branches of the current execution, in order; exhaustive
//              search re-runs the body along a path prefix and extends it.
//
// Invariants:
//   E1  exactly one model thread (`cur`) runs at a time; switches happen only
//       inside point() (and at thread exit / execution end)
//   E2  a thread is enabled iff its wait condition holds (wait::none, or the
//       mutex is free, the joined thread finished, it was woken, it timed out)
//   E3  replaying a path prefix reproduces the same enabled sets and value
//       counts; a mismatch is reported as "nondeterminism"
//   E4  a failure switches straight back to check()'s context; the failing
//       execution's stacks are abandoned (not unwound) and reused
//   E5  engine::waiting and engine::finished mirror which threads wait (or
//       have finished) and which have finished, so that finding the enabled
//       threads looks only at the waiting ones that may wake
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <weft/model.hpp>

#include "model/context.hpp"
#include "model/vclock.hpp"

namespace weft::model::detail {

inline constexpr std::uint32_t kNone = 0xffffffffu;

class graph_search;  // graph.hpp: strategy::graph

// ---- operations ------------------------------------------------------------
enum class op : std::uint8_t {
  start,
  exit,
  load,
  store,
  rmw,
  cas,
  fence,
  futex_wait,
  futex_resume,
  futex_wake,
  lock,
  try_lock,
  unlock,
  cv_wait,
  cv_resume,
  cv_notify,
  spawn,
  join,
  spin,
  spin_resume,
  yield,
};
const char* op_name(op k);

// What a pending operation touches, for DPOR and sleep sets.
enum class access : std::uint8_t { none, read, write, all };
struct pending {
  op kind = op::start;
  access acc = access::none;
  std::uint32_t obj = kNone;  // engine object index
  bool sc = false;            // a seq_cst access (reads the global S order)
  bool sc_fence = false;      // a seq_cst fence (writes the global S order)
};
bool independent(const pending& a, const pending& b);

// ---- modelled objects --------------------------------------------------------
enum class obj_kind : std::uint8_t { atomic, cell, mutex, cv };

struct store_rec {
  std::uint64_t value = 0;
  vclock msg;  // what an acquire that reads this store learns
  // seen[i]: the clock value of thread i's first event that observed this
  // store (wrote or read it); kNone if none. A store is "observed before" a
  // point with clock V iff seen[i] <= V[i] for some i.
  std::array<std::uint32_t, kMaxThreads> seen;
  std::uint32_t sc = kNone;  // position in S for seq_cst stores
  std::uint32_t serial = 0;  // the location's store number (for traces)
  std::uint16_t thread = 0;
  bool rmw = false;
};

struct cell_access_rec {
  std::uint32_t seq = 0;  // 0: none
  std::uint16_t thread = 0;
  const char* file = nullptr;
  unsigned line = 0;
};

struct dpor_access {
  std::uint32_t node = kNone;
  int thread = -1;
  bool sc = false;  // a seq_cst write
  vclock clk;
};

struct object_rec {
  obj_kind kind = obj_kind::atomic;
  const char* file = nullptr;  // first use
  unsigned line = 0;
  // atomic
  rt::atomic_state* st = nullptr;
  std::vector<store_rec> hist;  // modification order, oldest first
  std::uint32_t next_serial = 0;
  std::vector<std::pair<int, vclock>> rel_heads;  // last release store per thread
  std::vector<int> waiters;                       // futex / condvar FIFO
  // cell
  cell_access_rec last_write;
  std::array<cell_access_rec, kMaxThreads> reads;
  // mutex
  int owner = -1;
  vclock rel;
  // DPOR
  dpor_access d_write;
  std::vector<dpor_access> d_reads;
  // A mutex's "held" state as a location of its own (dpor_step): unlock
  // writes it, try_lock reads it.
  dpor_access h_write;
  std::vector<dpor_access> h_reads;
};

// ---- model threads -------------------------------------------------------------
enum class wait : std::uint8_t { none, mutex, join, futex, cv, spin, finished };

struct mthread {
  int id = 0;
  context ctx;
  stack_mem stack;
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
  void (*drop)(void*) = nullptr;
  bool detached = false;
  // blocking
  wait w = wait::none;
  std::uint32_t wobj = kNone;  // mutex object / joined thread id / futex word
  bool woken = false;
  bool timed = false;
  bool timed_out = false;
  std::int64_t deadline = 0;
  // Locations read since the last spin_hint (a ring: a spin loop reads just
  // before its hint); kNone marks an empty entry.
  std::array<std::uint32_t, 8> spin_reads;
  std::uint32_t spin_pos = 0;
  bool spin_watches(std::uint32_t loc) const {
    for (std::uint32_t r : spin_reads)
      if (r == loc) return true;
    return false;
  }
  void spin_clear() {
    spin_reads.fill(kNone);
    spin_pos = 0;
  }
  // memory model
  vclock clock;                   // happens-before; clock[id] counts this thread's events
  vclock acq;                     // messages of relaxed loads, for a later acquire fence
  vclock rel_fence;               // clock at the last release fence
  vclock fence_snap;              // the SC fences this thread's last SC fence follows
  std::uint32_t fence_bound = 0;  // S position of its last SC fence
  // search
  vclock dclock;  // DPOR dependence clock
  pending next;   // the operation it is stopped before
  const char* file = nullptr;
  unsigned line = 0;
  void* tls[8] = {};
  std::uint64_t priority = 0;  // PCT
  int spurious_left = 1;       // spurious weak-CAS failures left this execution
  // Random and PCT: the location of this thread's first store, or of its
  // first load that read a store newer than it had to (kNone: neither yet);
  // its loads of other locations then prefer the oldest store they may read
  // (atomics.cpp, do_load).
  std::uint32_t stale_after = kNone;
};

// ---- the search --------------------------------------------------------------------
struct branch {
  bool sched = true;
  bool frozen = false;  // no alternatives (sleep-set blocked, or replay)
  bool split = false;   // the node where shards divide the search
  std::uint8_t chosen = 0;
  std::uint8_t cur = 0;  // thread that reached this point
  bool cur_enabled = false;
  std::uint16_t preemptions = 0;       // before this branch
  std::uint32_t value = 0, count = 1;  // value branches
  // Thread masks: enabled here; to explore (DPOR adds races); explored;
  // asleep (sleep set); allowed (preemption bound, shard).
  std::uint32_t enabled = 0, backtrack = 0, done = 0, sleep = 0, allow = ~0u;
  vclock dclk;  // DPOR: the chosen thread's dependence clock after the step
};

struct engine {
  options opt;
  std::function<void()>* body = nullptr;

  // ---- the current execution ----
  std::uint64_t epoch = 0;
  std::vector<mthread> threads;  // kMaxThreads slots, stacks reused
  int nthreads = 0;
  int cur = -1;                // running model thread; -1 between executions
  std::uint32_t waiting = 0;   // E5: bit i set iff threads[i].w != wait::none
  std::uint32_t finished = 0;  // E5: bit i set iff threads[i].w == wait::finished
  context sched_ctx;
  std::vector<object_rec> objs;
  std::uint32_t nobjs = 0;
  std::uint32_t sc_counter = 1;  // next position in S
  vclock sc_fences;              // join of the clocks of all SC fences so far
  std::int64_t now = 0;          // virtual time, ns
  std::uint64_t steps = 0;       // scheduling points reached (the livelock bound)
  std::uint64_t tstep = 0;       // steps executed (numbers the trace)
  int spinners = 0;
  bool done = false;
  bool abandoned = false;  // strategy::graph gave the execution up (graph_search::abandon)
  bool failed = false;
  std::string failure, message;
  std::uint32_t failed_step = 0;

  // ---- choices ----
  std::vector<branch> path;  // exhaustive
  std::size_t pos = 0;       // next branch of the path
  bool redundant = false;    // sleep-set blocked: finish without exploring
  std::uint32_t next_sleep = 0;
  int preemptions = 0;
  bool shard_split_seen = false;      // passed the node the shards split at
  bool shard_empty = false;           // this shard owns nothing there
  object_rec sc_obj;                  // DPOR: the global S order as an object
  std::vector<std::uint32_t> log;     // this execution's choices (all strategies)
  std::vector<std::uint32_t> replay;  // choices to follow (replay / prefix)
  std::size_t replay_pos = 0;
  bool replaying = false;
  std::uint64_t rng = 0;
  std::uint64_t pct_k = 100;  // PCT: steps per execution, learnt
  std::vector<std::uint64_t> pct_changes;
  std::size_t fuzz_pos = 0;
  std::uint64_t max_depth = 0;
  std::uint64_t blocked_executions = 0;  // sleep-set blocked (redundant)
  std::uint64_t live_allocs = 0;         // alloc.cpp: blocks of this execution not yet freed
  bool in_engine = false;                // running checker code (its allocations do not count)
  graph_search* gsearch = nullptr;       // strategy::graph's search (check() owns it)
  std::uint64_t fiber_switches = 0;

  // ---- trace (only when replaying a failure) ----
  bool tracing = false;
  std::string trace;

  // execution.cpp
  void begin_execution();
  void run_execution();
  void point(const pending& p, const char* file, unsigned line);
  [[noreturn]] void exit_thread();
  [[noreturn]] void fail(const char* kind, std::string msg);
  bool enabled(const mthread& t) const;
  std::uint32_t enabled_mask() const;
  void set_wait(mthread& t, wait w) {  // every change of mthread::w (E5)
    t.w = w;
    const std::uint32_t b = 1u << t.id;
    waiting = w == wait::none ? waiting & ~b : waiting | b;
    finished = w == wait::finished ? finished | b : finished & ~b;
  }
  void pick_and_switch();
  __attribute__((noinline)) std::uint32_t none_enabled();
  int spawn(void (*entry)(void*), void* arg, void (*drop)(void*), const char* file, unsigned line);
  // strategy.cpp
  int choose_thread(std::uint32_t enabled);
  int choose_replayed(std::uint32_t en, int c, bool cur_en);
  int choose_exhaustive(std::uint32_t en, int c, bool cur_en);
  int choose_pct(std::uint32_t en);
  std::uint32_t choose_value(std::uint32_t n, std::uint32_t prefer = kNone);
  bool advance();
  void dpor_step(int r, std::uint32_t node);
  void add_race(std::uint32_t i, std::uint32_t j, int r, const vclock& cj);
  std::uint32_t child_sleep(const branch& b, int r) const;
  std::uint64_t random();
  void on_new_thread(mthread& t);
  // objects
  object_rec& object(rt::object& o, obj_kind k, const char* file, unsigned line);
  object_rec& location(rt::atomic_state& a, const char* file, unsigned line);
  object_rec& new_object(rt::object& o, obj_kind k, const char* file, unsigned line);
  object_rec& new_location(rt::atomic_state& a, const char* file, unsigned line);
  void wake_spinners(std::uint32_t loc);
  // trace.cpp
  void tracef(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  std::string where(const char* file, unsigned line) const;
};

extern engine* g;

// Marks checker code on the stack of a model thread. Every switch between
// model threads happens inside checker code, so a flag (set on entry to an
// rt:: function, cleared on leaving it) is right whichever thread runs.
struct engine_scope {
  engine_scope() {
    if (g) g->in_engine = true;
  }
  ~engine_scope() {
    if (g) g->in_engine = false;
  }
  engine_scope(const engine_scope&) = delete;
  engine_scope& operator=(const engine_scope&) = delete;
};

inline mthread& me() { return g->threads[static_cast<unsigned>(g->cur)]; }

inline object_rec& engine::location(rt::atomic_state& a, const char* file, unsigned line) {
  if (a.obj.epoch == epoch) return objs[a.obj.index];
  return new_location(a, file, line);
}
inline object_rec& engine::object(rt::object& o, obj_kind k, const char* file, unsigned line) {
  if (o.epoch == epoch) return objs[o.index];
  return new_object(o, k, file, line);
}

void alloc_mark_checker_thread(bool on);  // alloc.cpp
// An RMW's new value from the old one (atomics.cpp), masked to the width.
std::uint64_t apply_rmw(rt::rmw_op k, std::uint64_t old, std::uint64_t arg, std::uint64_t mask);

std::string encode_choices(const std::vector<std::uint32_t>& v);
bool decode_choices(const std::string& s, std::vector<std::uint32_t>& out);
const char* order_name(std::memory_order o);
std::string value_text(std::uint64_t v, rt::vkind k, unsigned size);

}  // namespace weft::model::detail
