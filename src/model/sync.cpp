// sync.cpp: the blocking primitives under the model: futex, mutex,
// condition variable, spin_hint, and the virtual clock.
//
// Blocking is enabledness (engine.hpp, E2): a thread sets its wait condition
// and reaches a scheduling point; the search does not pick it until the
// condition holds. A futex wake and the wait it ends are ordered by
// happens-before (Linux orders them through the futex hash-bucket lock); a
// condition variable's notify is not (the mutex orders what matters).
//
// spin_hint: a thread that read only stale values spins again at once; one
// that has seen the latest store of everything it read since its last hint
// sleeps until another thread writes one of those locations, and then sees
// that write (fairness: stores become visible in finite time). If nothing
// can write them, the execution ends as a livelock.
#include <algorithm>
#include <climits>
#include <cstdio>

#include "model/graph.hpp"

namespace weft::model::rt {

using namespace weft::model::detail;

namespace {

void remove_waiter(object_rec& o, int id) {
  auto it = std::find(o.waiters.begin(), o.waiters.end(), id);
  if (it != o.waiters.end()) o.waiters.erase(it);
}

void clear_wait(mthread& t) {
  g->set_wait(t, wait::none);
  t.wobj = kNone;
  t.woken = t.timed = t.timed_out = false;
}

std::uint32_t index_of(const object_rec& o) {
  return static_cast<std::uint32_t>(&o - g->objs.data());
}

void trace_op(const char* what, std::uint32_t obj, const char* extra, const char* file,
              unsigned line) {
  g->tracef("  %4llu  T%d  %-12s #%u%s  %s\n", static_cast<unsigned long long>(g->tstep), g->cur,
            what, obj, extra, g->where(file, line).c_str());
}

// Lock `m` for the running thread (blocking until it is free).
void acquire_mutex(std::uint32_t m, const char* file, unsigned line) {
  mthread& t0 = me();
  g->set_wait(t0, wait::mutex);
  t0.wobj = m;
  g->point(pending{op::lock, access::write, m, false, false}, file, line);
  mthread& t = me();
  clear_wait(t);
  object_rec& M = g->objs[m];
  M.owner = t.id;
  ++t.clock[t.id];
  t.clock.join(M.rel, g->nthreads);
  if (g->tracing) trace_op("lock", m, "", file, line);
}

}  // namespace

// ---- futex ---------------------------------------------------------------------
bool futex_wait(atomic_state& word, std::uint32_t expected, bool timed, std::int64_t deadline_ns,
                const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return false;
  if (g->gsearch) graph_unsupported("sys::futex_wait", file, line);
  auto w = index_of(g->location(word, file, line));
  g->point(pending{op::futex_wait, access::write, w, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& L = g->objs[w];
  store_rec& latest = L.hist.back();
  auto& seen = latest.seen[static_cast<unsigned>(t.id)];
  seen = std::min(seen, t.clock[t.id]);
  auto v = static_cast<std::uint32_t>(latest.value);
  if (v != expected) {
    if (g->tracing) {
      char b[64];
      std::snprintf(b, sizeof b, " = %u != %u: returns", v, expected);
      trace_op("futex_wait", w, b, file, line);
    }
    return false;
  }
  if (timed && deadline_ns <= g->now) {
    if (g->tracing) trace_op("futex_wait", w, " deadline passed: times out", file, line);
    return true;
  }
  if (g->opt.spurious_wakeups && g->choose_value(2) == 1) {
    if (g->tracing) trace_op("futex_wait", w, " wakes spuriously", file, line);
    return false;
  }
  if (g->tracing) trace_op("futex_wait", w, " blocks", file, line);
  L.waiters.push_back(t.id);
  g->set_wait(t, wait::futex);
  t.wobj = w;
  t.timed = timed;
  t.deadline = deadline_ns;
  g->point(pending{op::futex_resume, access::write, w, false, false}, file, line);
  mthread& u = me();
  bool timed_out = u.timed_out && !u.woken;
  if (timed_out) remove_waiter(g->objs[w], u.id);
  clear_wait(u);
  ++u.clock[u.id];
  if (g->tracing) trace_op("futex_wait", w, timed_out ? " times out" : " woken", file, line);
  return timed_out;
}

void futex_wake(atomic_state& word, int count, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::futex_wake", file, line);
  auto w = index_of(g->location(word, file, line));
  g->point(pending{op::futex_wake, access::write, w, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& L = g->objs[w];
  int woken = 0;
  if (count <= 0) count = INT_MAX;
  for (auto it = L.waiters.begin(); it != L.waiters.end() && woken < count;) {
    mthread& x = g->threads[static_cast<unsigned>(*it)];
    if (x.timed_out) {
      ++it;
      continue;
    }
    x.woken = true;
    x.clock.join(t.clock, g->nthreads);
    it = L.waiters.erase(it);
    ++woken;
  }
  if (g->tracing) {
    char b[48];
    std::snprintf(b, sizeof b, " wakes %d", woken);
    trace_op("futex_wake", w, b, file, line);
  }
}

// ---- mutex -----------------------------------------------------------------------
void mutex_lock(object& m, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::mutex::lock", file, line);
  auto i = index_of(g->object(m, obj_kind::mutex, file, line));
  if (g->objs[i].owner == g->cur)
    g->fail("deadlock", "thread " + std::to_string(g->cur) + " locks mutex #" + std::to_string(i) +
                            " that it already holds at " + g->where(file, line));
  acquire_mutex(i, file, line);
}

bool mutex_try_lock(object& m, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return true;
  if (g->gsearch) graph_unsupported("sys::mutex::try_lock", file, line);
  auto i = index_of(g->object(m, obj_kind::mutex, file, line));
  g->point(pending{op::try_lock, access::write, i, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& M = g->objs[i];
  bool ok = M.owner < 0;
  if (ok) {
    M.owner = t.id;
    t.clock.join(M.rel, g->nthreads);
  }
  if (g->tracing) trace_op("try_lock", i, ok ? " succeeds" : " fails", file, line);
  return ok;
}

void mutex_unlock(object& m, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::mutex::unlock", file, line);
  auto i = index_of(g->object(m, obj_kind::mutex, file, line));
  // Not an access for DPOR: a lock races with the previous lock of the same
  // mutex (Flanagan & Godefroid), whose unlock merely enables it.
  g->point(pending{op::unlock, access::none, i, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& M = g->objs[i];
  if (M.owner != t.id)
    g->fail("fatal", "thread " + std::to_string(t.id) + " unlocks mutex #" + std::to_string(i) +
                         " that it does not hold at " + g->where(file, line));
  M.rel = t.clock;
  M.owner = -1;
  if (g->tracing) trace_op("unlock", i, "", file, line);
}

// ---- condition variable ------------------------------------------------------------
bool cv_wait(object& cv, object& m, bool timed, std::int64_t deadline_ns, const char* file,
             unsigned line) {
  engine_scope scope;
  if (!active()) return true;
  if (g->gsearch) graph_unsupported("sys::condition_variable::wait", file, line);
  auto c = index_of(g->object(cv, obj_kind::cv, file, line));
  auto mi = index_of(g->object(m, obj_kind::mutex, file, line));
  g->point(pending{op::cv_wait, access::write, c, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& M = g->objs[mi];
  if (M.owner != t.id)
    g->fail("fatal",
            "condition_variable::wait without holding its mutex at " + g->where(file, line));
  M.rel = t.clock;
  M.owner = -1;
  bool ok = true;
  if (timed && deadline_ns <= g->now) {
    ok = false;
    if (g->tracing) trace_op("cv_wait", c, " deadline passed: times out", file, line);
  } else if (g->opt.spurious_wakeups && g->choose_value(2) == 1) {
    if (g->tracing) trace_op("cv_wait", c, " wakes spuriously", file, line);
  } else {
    if (g->tracing) trace_op("cv_wait", c, " unlocks and blocks", file, line);
    g->objs[c].waiters.push_back(t.id);
    g->set_wait(t, wait::cv);
    t.wobj = c;
    t.timed = timed;
    t.deadline = deadline_ns;
    g->point(pending{op::cv_resume, access::write, c, false, false}, file, line);
    mthread& u = me();
    ok = !(u.timed_out && !u.woken);
    if (!ok) remove_waiter(g->objs[c], u.id);
    clear_wait(u);
    ++u.clock[u.id];
    if (g->tracing) trace_op("cv_wait", c, ok ? " notified" : " times out", file, line);
  }
  acquire_mutex(mi, file, line);
  return ok;
}

void cv_notify(object& cv, bool all, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::condition_variable::notify", file, line);
  auto c = index_of(g->object(cv, obj_kind::cv, file, line));
  g->point(pending{op::cv_notify, access::write, c, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  object_rec& C = g->objs[c];
  int n = 0;
  for (auto it = C.waiters.begin(); it != C.waiters.end();) {
    mthread& x = g->threads[static_cast<unsigned>(*it)];
    if (x.timed_out) {
      ++it;
      continue;
    }
    x.woken = true;
    it = C.waiters.erase(it);
    ++n;
    if (!all) break;
  }
  if (g->tracing) {
    char b[48];
    std::snprintf(b, sizeof b, " %s wakes %d", all ? "notify_all" : "notify_one", n);
    trace_op("cv_notify", c, b, file, line);
  }
}

// ---- spinning, yielding, time ------------------------------------------------------------
void spin(const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::spin_hint", file, line);
  g->point(pending{op::spin, access::all, kNone, false, false}, file, line);
  mthread& t = me();
  ++t.clock[t.id];
  // Anything newer than what it read? Then it just looks again (and sees it).
  bool stale = false;
  bool any = false;
  for (std::uint32_t l : t.spin_reads) {
    if (l == kNone) continue;
    any = true;
    store_rec& s = g->objs[l].hist.back();
    if (s.seen[static_cast<unsigned>(t.id)] == kNone) {
      stale = true;
      s.seen[static_cast<unsigned>(t.id)] = t.clock[t.id];
    }
  }
  if (stale || !any) {
    t.spin_clear();
    if (g->tracing) trace_op("spin_hint", 0, " (reads again)", file, line);
    return;
  }
  if (g->tracing) trace_op("spin_hint", 0, " sleeps until a write to what it read", file, line);
  g->set_wait(t, wait::spin);
  t.woken = false;
  ++g->spinners;
  g->point(pending{op::spin_resume, access::all, kNone, false, false}, file, line);
  mthread& u = me();
  --g->spinners;
  clear_wait(u);
  ++u.clock[u.id];
  for (std::uint32_t l : u.spin_reads) {
    if (l == kNone) continue;
    store_rec& s = g->objs[l].hist.back();
    auto& v = s.seen[static_cast<unsigned>(u.id)];
    v = std::min(v, u.clock[u.id]);
  }
  u.spin_clear();
}

void yield(const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  g->point(pending{op::yield, access::none, kNone, false, false}, file, line);
}

std::int64_t now_ns(const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return 0;
  if (g->tracing) {
    g->tracef("  %4llu  T%d  clock::now = %lld ns  %s\n", static_cast<unsigned long long>(g->tstep),
              g->cur, static_cast<long long>(g->now), g->where(file, line).c_str());
  }
  return g->now;
}

}  // namespace weft::model::rt
