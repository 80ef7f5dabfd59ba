// atomics.cpp: the C11 memory model (RC11, Lahav et al., PLDI 2017) as an
// operational model over per-location store histories.
//
// Each atomic location keeps its stores in modification order (mo), the last
// `options::history` of them. A load chooses (a value branch) any store at or
// after its *floor*, the mo-latest store that the loading thread must not
// read before:
//   F1  coherence: the latest store observed (written or read) by an event
//       that happens before the load (store_rec::seen against the thread's
//       clock) - CoRR, CoWR, CoRW, CoWW;
//   F2  SC fences: an event observed before an SC fence that precedes (in S)
//       an SC fence sequenced before the access counts as observed
//       (fence_snap: the join of the clocks of the SC fences before the
//       thread's last one; for an SC access, of all SC fences so far);
//   F3  S: an SC access, or an access after an SC fence, reads no SC store
//       older than the last SC store before it (resp. before the fence) in S.
// S, the total order of seq_cst operations and fences, is execution order.
//
// A store takes its mo position (a value branch when options::mo_choices)
// anywhere after its floor, but never between an RMW and the store it read;
// a read-modify-write always reads the mo-latest store and goes last (RMW
// atomicity). Loads read only stores that have executed, so po u rf is
// acyclic (RC11's no-thin-air rule): LB's "both read 1" never appears.
//
// Synchronisation: a release store carries its thread's clock (a relaxed one
// the clock of the last release fence, joined with the thread's last release
// store to the same location: RC11's release sequence), an RMW extends the
// message it read; an acquire load joins the message into its clock, a
// relaxed load into `acq` for a later acquire fence.
#include <algorithm>
#include <cstdio>

#include "model/graph.hpp"

namespace weft::model::rt {
bool active() noexcept { return detail::g != nullptr && detail::g->cur >= 0; }
}  // namespace weft::model::rt

namespace weft::model::detail {

namespace {

using mo = std::memory_order;

inline bool is_acquire(mo o) {
  return o == mo::memory_order_acquire || o == mo::memory_order_acq_rel ||
         o == mo::memory_order_seq_cst || o == mo::memory_order_consume;
}
inline bool is_release(mo o) {
  return o == mo::memory_order_release || o == mo::memory_order_acq_rel ||
         o == mo::memory_order_seq_cst;
}
inline std::uint64_t width_mask(unsigned size) {
  return size >= 8 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (8 * size)) - 1);
}

std::size_t floor_of(const object_rec& L, const mthread& t, bool sc) {
  const vclock& fv = sc ? g->sc_fences : t.fence_snap;
  const std::uint32_t bound = sc ? g->sc_counter : t.fence_bound;
  const int n = g->nthreads;
  for (std::size_t k = L.hist.size() - 1; k > 0; --k) {
    const store_rec& s = L.hist[k];
    if (s.sc < bound) return k;
    for (int i = 0; i < n; ++i) {
      std::uint32_t v = std::max(t.clock[i], fv[i]);
      if (s.seen[static_cast<unsigned>(i)] <= v) return k;
    }
  }
  return 0;
}

void observe(store_rec& s, const mthread& t) {
  auto& v = s.seen[static_cast<unsigned>(t.id)];
  v = std::min(v, t.clock[t.id]);
}

void note_read(mthread& t, std::uint32_t loc) {
  if (t.spin_reads[(t.spin_pos - 1) & 7] == loc) return;
  t.spin_reads[t.spin_pos++ & 7] = loc;
}

void acquire_msg(mthread& t, const store_rec& s, mo order) {
  if (is_acquire(order))
    t.clock.join(s.msg, g->nthreads);
  else
    t.acq.join(s.msg, g->nthreads);
}

vclock release_msg(object_rec& L, mthread& t, mo order) {
  if (is_release(order)) {
    for (auto& h : L.rel_heads)
      if (h.first == t.id) {
        h.second = t.clock;
        return t.clock;
      }
    L.rel_heads.emplace_back(t.id, t.clock);
    return t.clock;
  }
  vclock m = t.rel_fence;
  for (auto& h : L.rel_heads)
    if (h.first == t.id) m.join(h.second, g->nthreads);
  return m;
}

// Append (or insert at mo position `at`) a new store by t.
store_rec& add_store(object_rec& L, mthread& t, std::uint64_t v, const vclock& msg, bool sc,
                     bool rmw, std::size_t at) {
  store_rec s;
  s.value = v;
  s.msg = msg;
  s.seen.fill(kNone);
  s.seen[static_cast<unsigned>(t.id)] = t.clock[t.id];
  s.sc = sc ? g->sc_counter++ : kNone;
  s.serial = L.next_serial++;
  s.thread = static_cast<std::uint16_t>(t.id);
  s.rmw = rmw;
  L.hist.insert(L.hist.begin() + static_cast<std::ptrdiff_t>(at), s);
  std::size_t idx = at;
  if (L.hist.size() > std::max(4u, g->opt.history)) {
    L.hist.erase(L.hist.begin());
    --idx;
  }
  L.st->bits = L.hist.back().value;
  if (g->spinners) g->wake_spinners(static_cast<std::uint32_t>(&L - g->objs.data()));
  return L.hist[idx];
}

void trace_access(const char* what, mthread& t, mo order, object_rec& L, std::size_t idx,
                  std::uint64_t v, const char* file, unsigned line, const char* extra = "") {
  const store_rec& s = L.hist[idx];
  g->tracef("  %4llu  T%d  %-6s %-8s #%u = %s  (store %u by T%u%s)%s  %s\n",
            static_cast<unsigned long long>(g->tstep), t.id, what, order_name(order),
            static_cast<unsigned>(&L - g->objs.data()),
            value_text(v, L.st->kind, L.st->size).c_str(), s.serial, s.thread,
            idx + 1 == L.hist.size() ? ", latest" : ", not latest", extra,
            g->where(file, line).c_str());
}

std::uint64_t do_load(object_rec& L, mthread& t, mo order, const char* file, unsigned line) {
  ++t.clock[t.id];
  const bool sc = order == mo::memory_order_seq_cst;
  std::size_t f = floor_of(L, t, sc);
  std::size_t n = L.hist.size() - f;
  // The two classic weak-memory bugs need one old value after something new:
  // message passing (a thread reads one location's new value, then another
  // location's old one) and store buffering (a thread stores, then reads
  // another location's old value). So once a thread has stored, or read a
  // store newer than it had to, the random strategies (random, pct) prefer
  // the oldest store it may read for its loads of other locations, 15 times
  // in 16 (choose_value). Every choice stays possible.
  const auto loc = static_cast<std::uint32_t>(&L - g->objs.data());
  const bool stale = t.stale_after != kNone && t.stale_after != loc;
  const std::uint32_t v = g->choose_value(static_cast<std::uint32_t>(n),
                                          stale ? static_cast<std::uint32_t>(n - 1) : kNone);
  if (t.stale_after == kNone && v + 1 < n) t.stale_after = loc;
  std::size_t idx = L.hist.size() - 1 - v;
  store_rec& s = L.hist[idx];
  observe(s, t);
  acquire_msg(t, s, order);
  note_read(t, static_cast<std::uint32_t>(&L - g->objs.data()));
  if (g->tracing) trace_access("load", t, order, L, idx, s.value, file, line);
  return s.value;
}

}  // namespace

std::uint64_t apply_rmw(rt::rmw_op k, std::uint64_t old, std::uint64_t arg, std::uint64_t mask) {
  std::uint64_t r = 0;
  switch (k) {
    case rt::rmw_op::xchg:
      r = arg;
      break;
    case rt::rmw_op::add:
      r = old + arg;
      break;
    case rt::rmw_op::sub:
      r = old - arg;
      break;
    case rt::rmw_op::and_:
      r = old & arg;
      break;
    case rt::rmw_op::or_:
      r = old | arg;
      break;
    case rt::rmw_op::xor_:
      r = old ^ arg;
      break;
  }
  return r & mask;
}

void engine::wake_spinners(std::uint32_t loc) {
  for (int i = 0; i < nthreads; ++i) {
    mthread& t = threads[static_cast<unsigned>(i)];
    if (t.w != wait::spin || t.woken || i == cur) continue;
    if (t.spin_watches(loc)) t.woken = true;
  }
}

}  // namespace weft::model::detail

namespace weft::model::rt {

using namespace weft::model::detail;

std::uint64_t load(atomic_state& a, std::memory_order order, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) return a.bits;
  object_rec& L = g->location(a, file, line);
  auto idx = static_cast<std::uint32_t>(&L - g->objs.data());
  g->point(pending{op::load, access::read, idx, order == std::memory_order_seq_cst, false}, file,
           line);
  if (g->gsearch) return g->gsearch->load_op(g->objs[idx], me(), order, file, line);
  return do_load(g->objs[idx], me(), order, file, line);
}

void store(atomic_state& a, std::uint64_t v, std::memory_order order, const char* file,
           unsigned line) {
  engine_scope scope;
  v &= width_mask(a.size);
  if (!active()) {
    a.bits = v;
    return;
  }
  object_rec& L0 = g->location(a, file, line);
  auto idx = static_cast<std::uint32_t>(&L0 - g->objs.data());
  const bool sc = order == std::memory_order_seq_cst;
  g->point(pending{op::store, access::write, idx, sc, false}, file, line);
  object_rec& L = g->objs[idx];
  mthread& t = me();
  if (g->gsearch) return g->gsearch->store_op(L, t, v, order, file, line);
  ++t.clock[t.id];
  std::size_t at = L.hist.size();
  if (g->opt.mo_choices) {
    std::size_t f = floor_of(L, t, sc);
    // Candidate positions: end, then before each non-RMW store after f.
    std::uint32_t n = 1;
    for (std::size_t p = L.hist.size() - 1; p > f; --p)
      if (!L.hist[p].rmw) ++n;
    std::uint32_t c = g->choose_value(n);
    for (std::size_t p = L.hist.size() - 1; c && p > f; --p)
      if (!L.hist[p].rmw && --c == 0) at = p;
  }
  if (t.stale_after == kNone) t.stale_after = idx;  // see do_load
  store_rec& s = add_store(L, t, v, release_msg(L, t, order), sc, false, at);
  if (g->tracing) {
    std::size_t i = static_cast<std::size_t>(&s - L.hist.data());
    trace_access("store", t, order, L, i, v, file, line,
                 i + 1 == L.hist.size() ? "" : " [mo before later stores]");
  }
}

std::uint64_t rmw(atomic_state& a, rmw_op k, std::uint64_t arg, std::memory_order order,
                  const char* file, unsigned line) {
  engine_scope scope;
  auto apply = [&](std::uint64_t old) { return apply_rmw(k, old, arg, width_mask(a.size)); };
  if (!active()) {
    std::uint64_t old = a.bits;
    a.bits = apply(old);
    return old;
  }
  object_rec& L0 = g->location(a, file, line);
  auto idx = static_cast<std::uint32_t>(&L0 - g->objs.data());
  const bool sc = order == std::memory_order_seq_cst;
  g->point(pending{op::rmw, access::write, idx, sc, false}, file, line);
  object_rec& L = g->objs[idx];
  mthread& t = me();
  if (g->gsearch) {
    bool ok = false;
    return g->gsearch->rmw_op(L, t, static_cast<std::uint8_t>(k), arg, 0, width_mask(a.size), false,
                              order, order, ok, file, line);
  }
  ++t.clock[t.id];
  store_rec& prev = L.hist.back();
  std::uint64_t old = prev.value;
  observe(prev, t);
  acquire_msg(t, prev, order);
  vclock msg = prev.msg;
  msg.join(release_msg(L, t, order), g->nthreads);
  note_read(t, idx);
  if (g->tracing) trace_access("rmw", t, order, L, L.hist.size() - 1, old, file, line);
  store_rec& s = add_store(L, t, apply(old), msg, sc, true, L.hist.size());
  if (g->tracing) g->tracef("              -> %s\n", value_text(s.value, a.kind, a.size).c_str());
  return old;
}

bool cas(atomic_state& a, std::uint64_t& expected, std::uint64_t desired, bool weak,
         std::memory_order success, std::memory_order failure, const char* file, unsigned line) {
  engine_scope scope;
  const std::uint64_t m = width_mask(a.size);
  expected &= m;
  desired &= m;
  if (!active()) {
    if (a.bits == expected) {
      a.bits = desired;
      return true;
    }
    expected = a.bits;
    return false;
  }
  object_rec& L0 = g->location(a, file, line);
  auto idx = static_cast<std::uint32_t>(&L0 - g->objs.data());
  const bool sc = success == std::memory_order_seq_cst || failure == std::memory_order_seq_cst;
  g->point(pending{op::cas, access::write, idx, sc, false}, file, line);
  object_rec& L = g->objs[idx];
  mthread& t = me();
  if (g->gsearch) {
    bool ok = false;
    const std::uint64_t old =
        g->gsearch->rmw_op(L, t, kGraphCas, desired, expected, m,
                           weak && g->opt.spurious_cas_failures, success, failure, ok, file, line);
    if (!ok) expected = old;
    return ok;
  }
  ++t.clock[t.id];
  // Options, in order: success (the latest store holds `expected`); failure
  // reading each store at or after the floor that does not hold it (latest
  // first); a spurious failure (weak CAS, latest holds `expected`).
  const bool can_succeed = L.hist.back().value == expected;
  std::size_t f = floor_of(L, t, failure == std::memory_order_seq_cst);
  std::uint32_t nfail = 0;
  for (std::size_t p = L.hist.size(); p-- > f;)
    if (L.hist[p].value != expected) ++nfail;
  // One spurious failure per thread and execution: enough to take the
  // failure path of every weak-CAS loop without exploring 2^n retries.
  const bool spurious = weak && can_succeed && g->opt.spurious_cas_failures && t.spurious_left > 0;
  std::uint32_t n = (can_succeed ? 1u : 0u) + nfail + (spurious ? 1u : 0u);
  std::uint32_t c = g->choose_value(n);
  if (can_succeed && c == 0) {
    store_rec& prev = L.hist.back();
    observe(prev, t);
    acquire_msg(t, prev, success);
    vclock msg = prev.msg;
    msg.join(release_msg(L, t, success), g->nthreads);
    note_read(t, idx);
    if (g->tracing)
      trace_access("cas", t, success, L, L.hist.size() - 1, prev.value, file, line, " succeeds");
    add_store(L, t, desired, msg, success == std::memory_order_seq_cst, true, L.hist.size());
    return true;
  }
  if (can_succeed) --c;
  if (c == nfail) --t.spurious_left;  // the spurious option
  std::size_t read = L.hist.size() - 1;
  if (c < nfail) {
    for (std::size_t p = L.hist.size(); p-- > f;)
      if (L.hist[p].value != expected && c-- == 0) {
        read = p;
        break;
      }
  }
  store_rec& s = L.hist[read];
  observe(s, t);
  acquire_msg(t, s, failure);
  note_read(t, idx);
  if (g->tracing)
    trace_access("cas", t, failure, L, read, s.value, file, line,
                 s.value == expected ? " fails spuriously" : " fails");
  expected = s.value;
  return false;
}

void fence(std::memory_order order, const char* file, unsigned line) {
  engine_scope scope;
  if (!active()) {
    std::atomic_thread_fence(order);  // seam-ok: outside the model, a real fence
    return;
  }
  const bool sc = order == std::memory_order_seq_cst;
  g->point(pending{op::fence, access::none, kNone, false, sc}, file, line);
  mthread& t = me();
  if (g->gsearch) return g->gsearch->fence_op(t, order, file, line);
  ++t.clock[t.id];
  if (is_acquire(order)) {
    t.clock.join(t.acq, g->nthreads);
    t.acq.clear();
  }
  if (is_release(order)) t.rel_fence = t.clock;
  if (sc) {
    g->sc_fences.join(t.clock, g->nthreads);
    t.fence_snap = g->sc_fences;
    t.fence_bound = g->sc_counter++;
  }
  if (g->tracing)
    g->tracef("  %4llu  T%d  fence  %-8s  %s\n", static_cast<unsigned long long>(g->tstep), t.id,
              order_name(order), g->where(file, line).c_str());
}

}  // namespace weft::model::rt
