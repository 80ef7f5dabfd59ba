// threads.cpp: model threads as the seam sees them (spawn, join, detach,
// thread-local slots), cells (data races by vector clocks), random choices,
// assertions, fatal errors and the goroutine-switch hook.
//
// Cells: an access is not a scheduling point. Two accesses to a cell race
// iff neither happens before the other, whatever order they ran in, so the
// vector clocks find every race of an explored execution without branching
// on cell accesses (as loom's UnsafeCell). Each cell remembers its last
// write and the last read of each thread (FastTrack's shape, without its
// epoch optimisation).
#include <cstdio>
#include <cstdlib>

#include "model/graph.hpp"

namespace weft::model::rt {

using namespace weft::model::detail;

namespace {
void* g_plain_tls[8];  // outside check(): the calling thread's slots
}

int spawn(void (*entry)(void*), void* arg, void (*drop)(void*), const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) {
    std::fprintf(stderr, "weft::model: sys::thread created outside check() at %s:%u\n", file, line);
    std::abort();
  }
  g->point(pending{op::spawn, access::none, kNone, false, false}, file, line);
  mthread& parent = me();
  ++parent.clock[parent.id];
  int id = g->spawn(entry, arg, drop, file, line);
  if (g->gsearch) g->gsearch->spawn_op(parent, id, file, line);
  if (g->tracing)
    g->tracef("  %4llu  T%d  spawn        T%d  %s\n", static_cast<unsigned long long>(g->tstep),
              parent.id, id, g->where(file, line).c_str());
  return id;
}

void join(int id, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (id < 0 || id >= g->nthreads)
    g->fail("fatal", "join of a thread that is not joinable at " + g->where(file, line));
  mthread& t0 = me();
  g->set_wait(t0, wait::join);
  t0.wobj = static_cast<std::uint32_t>(id);
  g->point(pending{op::join, access::none, kNone, false, false}, file, line);
  mthread& t = me();
  g->set_wait(t, wait::none);
  t.wobj = kNone;
  const mthread& child = g->threads[static_cast<unsigned>(id)];
  ++t.clock[t.id];
  t.clock.join(child.clock, g->nthreads);
  t.dclock.join(child.dclock, g->nthreads);
  if (g->gsearch) g->gsearch->join_op(t, id, file, line);
  if (g->tracing)
    g->tracef("  %4llu  T%d  join         T%d  %s\n", static_cast<unsigned long long>(g->tstep),
              t.id, id, g->where(file, line).c_str());
}

void detach(int id) {
  engine_scope scope;
  if (!active() || id < 0 || id >= g->nthreads) return;
  g->threads[static_cast<unsigned>(id)].detached = true;
}

unsigned hardware_concurrency() noexcept { return 2; }

void* tls_get(unsigned slot) noexcept {
  if (slot >= 8) return nullptr;
  return active() ? me().tls[slot] : g_plain_tls[slot];
}

void tls_set(unsigned slot, void* value) noexcept {
  if (slot >= 8) return;
  (active() ? me().tls[slot] : g_plain_tls[slot]) = value;
}

std::uint32_t choose(std::uint32_t n, const char* file, unsigned line) {
  engine_scope scope;
  if (!active() || n <= 1) return 0;
  if (g->gsearch) graph_unsupported("sys::random_below", file, line);
  std::uint32_t v = g->choose_value(n);
  if (g->tracing)
    g->tracef("  %4llu  T%d  random_below(%u) = %u  %s\n",
              static_cast<unsigned long long>(g->tstep), g->cur, n, v,
              g->where(file, line).c_str());
  return v;
}

void cell_access(object& c, bool write, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return;
  if (g->gsearch) graph_unsupported("sys::cell", file, line);
  object_rec& C = g->object(c, obj_kind::cell, file, line);
  mthread& t = me();
  std::uint32_t seq = ++t.clock[t.id];
  auto racy = [&](const cell_access_rec& a) {
    return a.seq != 0 && a.thread != t.id && a.seq > t.clock[a.thread];
  };
  auto report = [&](const cell_access_rec& a, bool a_write) {
    char b[512];
    std::snprintf(b, sizeof b,
                  "cell #%u (first used at %s): %s by thread %u at %s and %s by thread %d at "
                  "%s; neither happens before the other",
                  static_cast<unsigned>(&C - g->objs.data()), g->where(C.file, C.line).c_str(),
                  a_write ? "write" : "read", a.thread, g->where(a.file, a.line).c_str(),
                  write ? "write" : "read", t.id, g->where(file, line).c_str());
    g->fail("data race", b);
  };
  if (racy(C.last_write)) report(C.last_write, true);
  if (write)
    for (const cell_access_rec& r : C.reads)
      if (racy(r)) report(r, false);
  cell_access_rec me_rec{seq, static_cast<std::uint16_t>(t.id), file, line};
  if (write) {
    C.last_write = me_rec;
    C.reads.fill(cell_access_rec{});
  } else {
    C.reads[static_cast<unsigned>(t.id)] = me_rec;
  }
  if (g->tracing)
    g->tracef("  %4llu  T%d  cell %-7s #%u  %s\n", static_cast<unsigned long long>(g->tstep), t.id,
              write ? "write" : "read", static_cast<unsigned>(&C - g->objs.data()),
              g->where(file, line).c_str());
}

// A claimed read (sys::read_mark, sys::ghost_cell): the mark is a point of
// the reading thread (its own clock component, ticked as an access ticks it);
// committing it records a read of the ghost at that point, which the ghost's
// next write checks as cell_access checks reads. Neither is a scheduling
// point. A read only ever raises its thread's record: of two reads by one
// thread, a write that follows the later follows both.
mark mark_read(const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return mark{};
  mthread& t = me();
  return mark{++t.clock[t.id], static_cast<std::uint16_t>(t.id), file, line};
}

void ghost_read(object& c, const mark& m) {
  engine_scope scope;
  if (!active() || m.seq == 0) return;
  object_rec& C = g->object(c, obj_kind::cell, m.file, m.line);
  cell_access_rec& r = C.reads[m.thread];
  if (r.seq < m.seq) r = cell_access_rec{m.seq, m.thread, m.file, m.line};
  if (g->tracing)
    g->tracef("  %4llu  T%d  cell read    #%u  (claimed) %s\n",
              static_cast<unsigned long long>(g->tstep), g->cur,
              static_cast<unsigned>(&C - g->objs.data()), g->where(m.file, m.line).c_str());
}

void assert_fail(const char* expr, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) {
    std::fprintf(stderr, "WEFT_MODEL_ASSERT(%s) failed at %s:%u\n", expr, file, line);
    std::abort();
  }
  g->fail("assertion", std::string("WEFT_MODEL_ASSERT(") + expr + ") failed in thread " +
                           std::to_string(g->cur) + " at " + g->where(file, line));
}

}  // namespace weft::model::rt

namespace weft::sys {

void model_fatal(const char* message) noexcept {
  weft::model::detail::engine_scope scope;
  using namespace weft::model::detail;
  if (!weft::model::rt::active()) {
    std::fprintf(stderr, "fatal error: %s\n", message);
    std::abort();
  }
  g->fail("fatal", std::string("fatal error: ") + message + " (thread " + std::to_string(g->cur) +
                       " at " + g->where(me().file, me().line) + ")");
}

void model_on_fiber_switch(fiber* from, fiber* to) noexcept {
  weft::model::detail::engine_scope scope;
  using namespace weft::model::detail;
  if (!weft::model::rt::active()) return;
  ++g->fiber_switches;
  if (g->tracing && g->opt.trace_fiber_switches)
    g->tracef("        T%d  goroutine switch %p -> %p\n", g->cur, static_cast<void*>(from),
              static_cast<void*>(to));
}

}  // namespace weft::sys
