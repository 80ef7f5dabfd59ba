// execution.cpp: one execution of the body: model threads, scheduling
// points, blocking, virtual time, and how an execution ends (see engine.hpp
// for the vocabulary and invariants E1-E4).
//
// A scheduling point is a direct switch from the thread that reached it to
// the thread the search picks (no trip through check()'s context), so a step
// costs one register swap. check()'s context is resumed only when the
// execution ends: every thread finished, a failure, or nothing enabled.
//
// When no thread is enabled:
//   1. if some blocked thread waits with a deadline, virtual time jumps to
//      the earliest deadline and those threads time out (time advances only
//      when every thread is blocked or sleeping);
//   2. else if every thread finished, the execution is complete;
//   3. else a thread spinning on spin_hint() means livelock; thread 0 (the
//      body) still blocked means deadlock; otherwise the body returned while
//      threads are still blocked ("blocked at exit", a lost wakeup).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "model/graph.hpp"

namespace weft::model::detail {

engine* g = nullptr;

const char* op_name(op k) {
  switch (k) {
    case op::start:
      return "start";
    case op::exit:
      return "exit";
    case op::load:
      return "load";
    case op::store:
      return "store";
    case op::rmw:
      return "rmw";
    case op::cas:
      return "cas";
    case op::fence:
      return "fence";
    case op::futex_wait:
      return "futex_wait";
    case op::futex_resume:
      return "futex_resume";
    case op::futex_wake:
      return "futex_wake";
    case op::lock:
      return "lock";
    case op::try_lock:
      return "try_lock";
    case op::unlock:
      return "unlock";
    case op::cv_wait:
      return "cv_wait";
    case op::cv_resume:
      return "cv_resume";
    case op::cv_notify:
      return "cv_notify";
    case op::spawn:
      return "spawn";
    case op::join:
      return "join";
    case op::spin:
      return "spin_hint";
    case op::spin_resume:
      return "spin_resume";
    case op::yield:
      return "yield";
  }
  return "?";
}

bool independent(const pending& a, const pending& b) {
  if (a.acc == access::all || b.acc == access::all) return false;
  if ((a.sc_fence && (b.sc || b.sc_fence)) || (b.sc_fence && a.sc)) return false;
  // try_lock's result depends on whether the mutex is held, so it does not
  // commute with the unlock (dpor_step's "held" location).
  if (a.obj == b.obj && ((a.kind == op::unlock && b.kind == op::try_lock) ||
                         (a.kind == op::try_lock && b.kind == op::unlock)))
    return false;
  if (a.acc == access::none || b.acc == access::none) return true;
  if (a.obj != b.obj) return true;
  return a.acc == access::read && b.acc == access::read;
}

// ---- objects ---------------------------------------------------------------------
object_rec& engine::new_object(rt::object& o, obj_kind k, const char* file, unsigned line) {
  if (nobjs == objs.size()) objs.emplace_back();
  object_rec& r = objs[nobjs];
  r.kind = k;
  r.file = file;
  r.line = line;
  r.st = nullptr;
  r.hist.clear();
  r.next_serial = 0;
  r.rel_heads.clear();
  r.waiters.clear();
  // The fields of other kinds, and DPOR's outside exhaustive search, are
  // never read: left as they are (a record is reused every execution).
  if (k == obj_kind::cell) {
    r.last_write = cell_access_rec{};
    r.reads.fill(cell_access_rec{});
  }
  if (k == obj_kind::mutex) {
    r.owner = -1;
    r.rel.clear();
  }
  if (opt.search == strategy::exhaustive) {
    r.d_write = dpor_access{};
    r.d_reads.clear();
    r.h_write = dpor_access{};
    r.h_reads.clear();
  }
  o.epoch = epoch;
  o.index = nobjs++;
  return r;
}

object_rec& engine::new_location(rt::atomic_state& a, const char* file, unsigned line) {
  object_rec& r = new_object(a.obj, obj_kind::atomic, file, line);
  r.st = &a;
  // The initial value: observed before everything (seen = 0 for all).
  store_rec s;
  s.value = a.bits;
  s.seen.fill(0);
  s.serial = r.next_serial++;
  r.hist.push_back(s);
  return r;
}

// ---- enabledness -----------------------------------------------------------------
bool engine::enabled(const mthread& t) const {
  switch (t.w) {
    case wait::none:
      return true;
    case wait::mutex:
      return objs[t.wobj].owner < 0;
    case wait::join:
      return threads[t.wobj].w == wait::finished;
    case wait::futex:
    case wait::cv:
    case wait::spin:
      return t.woken || t.timed_out;
    case wait::finished:
      return false;
  }
  return false;
}

std::uint32_t engine::enabled_mask() const {
  const std::uint32_t all = nthreads >= 32 ? ~0u : (1u << nthreads) - 1;
  std::uint32_t m = all & ~waiting;  // E5: running threads are enabled
  for (std::uint32_t b = all & waiting & ~finished; b; b &= b - 1) {
    const int i = __builtin_ctz(b);
    if (enabled(threads[static_cast<unsigned>(i)])) m |= 1u << i;
  }
  return m;
}

namespace {

const char* wait_text(const engine& e, const mthread& t, std::string& buf) {
  char tmp[96];
  switch (t.w) {
    case wait::mutex:
      std::snprintf(tmp, sizeof tmp, "mutex #%u (held by thread %d)", t.wobj, e.objs[t.wobj].owner);
      break;
    case wait::join:
      std::snprintf(tmp, sizeof tmp, "join of thread %u", t.wobj);
      break;
    case wait::futex:
      std::snprintf(tmp, sizeof tmp, "futex_wait on #%u", t.wobj);
      break;
    case wait::cv:
      std::snprintf(tmp, sizeof tmp, "condition_variable wait on #%u", t.wobj);
      break;
    case wait::spin:
      std::snprintf(tmp, sizeof tmp, "spin_hint (no other thread writes what it reads)");
      break;
    default:
      std::snprintf(tmp, sizeof tmp, "?");
      break;
  }
  buf = tmp;
  return buf.c_str();
}

}  // namespace

// ---- the scheduler ----------------------------------------------------------------
void engine::pick_and_switch() {
  std::uint32_t en = enabled_mask();
  if (__builtin_expect(en == 0, 0)) en = none_enabled();
  int r = choose_thread(en);
  ++tstep;
  if (r != cur) {
    int prev = cur;
    cur = r;
    context_switch(&threads[static_cast<unsigned>(prev)].ctx,
                   &threads[static_cast<unsigned>(r)].ctx);
  }
}

// No thread can run: advance virtual time to the earliest deadline, or end
// the execution (every thread finished, or only detached ones blocked), or
// fail it (deadlock, livelock, blocked at exit). Returns the threads that
// advancing time enabled. Out of line: the path of every step stays short.
std::uint32_t engine::none_enabled() {
  std::uint32_t en = 0;
  while (en == 0) {
    // 1. virtual time
    bool any_timed = false;
    std::int64_t earliest = 0;
    for (int i = 0; i < nthreads; ++i) {
      const mthread& t = threads[static_cast<unsigned>(i)];
      if (t.w != wait::finished && t.w != wait::none && t.timed &&
          (!any_timed || t.deadline < earliest)) {
        earliest = t.deadline;
        any_timed = true;
      }
    }
    if (any_timed) {
      if (earliest > now) now = earliest;
      for (int i = 0; i < nthreads; ++i) {
        mthread& t = threads[static_cast<unsigned>(i)];
        if (t.w != wait::finished && t.w != wait::none && t.timed && t.deadline <= now)
          t.timed_out = true;
      }
      if (tracing) tracef("        time advances to %lld ns\n", static_cast<long long>(now));
      en = enabled_mask();
      continue;
    }
    // 2. all finished
    bool all_finished = true, spinning = false, blocked_joinable = false;
    std::string list, buf;
    for (int i = 0; i < nthreads; ++i) {
      const mthread& t = threads[static_cast<unsigned>(i)];
      if (t.w == wait::finished) continue;
      all_finished = false;
      if (t.w == wait::spin) spinning = true;
      if (!t.detached || !opt.detached_may_block) blocked_joinable = true;
      list += "\n  thread " + std::to_string(i) + " blocked in " + wait_text(*this, t, buf) +
              " at " + where(t.file, t.line);
    }
    if (all_finished || !blocked_joinable) {
      done = true;
      context_switch(&threads[static_cast<unsigned>(cur)].ctx, &sched_ctx);
      __builtin_unreachable();
    }
    if (spinning)
      fail(
          "livelock",
          "every thread is blocked or spinning with nothing left to write what the spinners read:" +
              list);
    if (threads[0].w != wait::finished) fail("deadlock", "every thread is blocked:" + list);
    fail("blocked at exit",
         "the body returned while threads are still blocked (a lost wakeup?):" + list);
  }
  return en;
}

void engine::point(const pending& p, const char* file, unsigned line) {
  mthread& t = me();
  t.next = p;
  t.file = file;
  t.line = line;
  if (++steps > opt.max_steps) {
    fail("livelock", "execution exceeded max_steps = " + std::to_string(opt.max_steps) +
                         " (a spin loop without spin_hint?); thread " + std::to_string(t.id) +
                         " at " + where(file, line));
  }
  pick_and_switch();
}

void engine::fail(const char* kind, std::string msg) {
  if (!failed) {
    failed = true;
    failure = kind;
    message = std::move(msg);
    failed_step = static_cast<std::uint32_t>(steps);
    if (tracing) tracef("  FAIL  %s: %s\n", kind, message.c_str());
  }
  context_switch(&threads[static_cast<unsigned>(cur)].ctx, &sched_ctx);
  __builtin_unreachable();
}

void engine::exit_thread() {
  mthread& t = me();
  point(pending{op::exit, access::none, kNone, false, false}, t.file, t.line);
  if (gsearch) gsearch->end_op(t);
  ++t.clock[t.id];
  if (tracing) tracef("  %4llu  T%d  exit\n", static_cast<unsigned long long>(tstep), t.id);
  set_wait(t, wait::finished);
  pick_and_switch();  // never picks this thread again
  __builtin_unreachable();
}

namespace {

void thread_main(void* p) {
  auto* t = static_cast<mthread*>(p);
  g->in_engine = false;  // user code from here (and the deleter below)
  try {
    t->entry(t->arg);
  } catch (const std::exception& e) {
    g->fail("exception",
            std::string("exception escaped thread ") + std::to_string(t->id) + ": " + e.what());
  } catch (...) {
    g->fail("exception", "a non-std exception escaped thread " + std::to_string(t->id));
  }
  if (t->drop) t->drop(t->arg);
  t->drop = nullptr;
  g->in_engine = true;
  g->exit_thread();
}

void body_entry(void* p) { (*static_cast<std::function<void()>*>(p))(); }

}  // namespace

int engine::spawn(void (*entry)(void*), void* arg, void (*drop)(void*), const char* file,
                  unsigned line) {
  if (nthreads == kMaxThreads) {
    fail("fatal",
         "more than " + std::to_string(kMaxThreads) + " model threads at " + where(file, line));
  }
  int id = nthreads++;
  mthread& t = threads[static_cast<unsigned>(id)];
  if (!t.stack.base) t.stack = stack_map(opt.stack_size);
  t.id = id;
  t.entry = entry;
  t.arg = arg;
  t.drop = drop;
  t.detached = false;
  set_wait(t, wait::none);
  t.wobj = kNone;
  t.woken = t.timed = t.timed_out = false;
  t.deadline = 0;
  t.spin_clear();
  t.acq.clear();
  t.rel_fence.clear();
  t.fence_snap.clear();
  t.fence_bound = 0;
  t.spurious_left = 1;
  t.stale_after = kNone;
  t.next = pending{};
  t.file = file;
  t.line = line;
  for (auto& s : t.tls) s = nullptr;
  if (id == 0) {
    t.clock.clear();
    t.dclock.clear();
  } else {
    const mthread& parent = me();
    t.clock = parent.clock;
    t.dclock = parent.dclock;
  }
  t.clock[id] = 1;
  context_init(&t.ctx, t.stack.bottom, t.stack.size, thread_main, &t);
  on_new_thread(t);
  return id;
}

namespace {
// Epochs are unique across the whole process, not per check(): an object
// that outlives a check() (a global atomic, say) keeps the epoch of the
// execution that last registered it, and must not look registered in an
// execution of a later check() that happens to have the same number.
std::uint64_t g_last_epoch = 0;
}  // namespace

void engine::begin_execution() {
  epoch = ++g_last_epoch;
  nobjs = 0;
  nthreads = 0;
  waiting = finished = 0;
  cur = 0;
  sc_counter = 1;
  sc_fences.clear();
  now = 1'000'000'000;  // 1 s: time_point{} stays in the past
  steps = 0;
  tstep = 0;
  live_allocs = 0;
  spinners = 0;
  done = failed = abandoned = false;
  failure.clear();
  message.clear();
  pos = 0;
  redundant = false;
  next_sleep = 0;
  preemptions = 0;
  shard_split_seen = false;
  sc_obj.d_write = dpor_access{};
  sc_obj.d_reads.clear();
  log.clear();
  replay_pos = 0;
  fuzz_pos = 0;
  fiber_switches = 0;
  trace.clear();
  if (gsearch) gsearch->begin_execution();
  spawn(body_entry, body, nullptr, "<check body>", 0);
}

namespace {
void (*g_resets[16])() = {};
unsigned g_nresets = 0;
}  // namespace

void engine::run_execution() {
  for (unsigned i = 0; i < g_nresets; i++) g_resets[i]();  // cur == -1: not active
  begin_execution();
  context_switch(&sched_ctx, &threads[0].ctx);
  cur = -1;  // rt::active() is false between executions
  // An abandoned execution's stacks were left as they were (E4): what they
  // own is not a leak of the body's.
  if (!failed && !abandoned && opt.check_leaks && live_allocs > 0) {
    failed = true;
    failure = "leak";
    message = std::to_string(live_allocs) +
              " heap allocation(s) made during the execution were not freed by its end";
    if (tracing) tracef("  FAIL  leak: %s\n", message.c_str());
  }
  if (steps > max_depth) max_depth = steps;
}

}  // namespace weft::model::detail

namespace weft::sys {
void model_at_execution_start(void (*reset)()) noexcept {
  using weft::model::detail::g_nresets;
  using weft::model::detail::g_resets;
  for (unsigned i = 0; i < g_nresets; i++)
    if (g_resets[i] == reset) return;
  if (g_nresets == sizeof(g_resets) / sizeof(g_resets[0])) std::abort();
  g_resets[g_nresets++] = reset;
}
}  // namespace weft::sys
