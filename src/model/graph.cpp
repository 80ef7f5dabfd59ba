// graph.cpp: strategy::graph (see graph.hpp for the algorithm and its
// invariants G1-G3): graphs and their RC11 consistency, the search's
// branching and backward revisits, and the operations of the seam as graph
// events.
//
// Consistency is checked each time an event is added (or a read revisited).
// The new event is porf-maximal then, so coherence needs checking only
// between it and its hb-predecessors at the same location; RMW atomicity
// and psc are checked over the whole graph (psc only once it has two SC
// events). Happens-before is computed afresh for each check, in porf order
// (a revisited read reads a write added after it).
#include <algorithm>
#include <cstdio>

#include "model/graph.hpp"

namespace weft::model::detail {

namespace {

using mo = std::memory_order;

bool is_acq(mo o) {
  return o == mo::memory_order_acquire || o == mo::memory_order_acq_rel ||
         o == mo::memory_order_seq_cst || o == mo::memory_order_consume;
}
bool is_rel(mo o) {
  return o == mo::memory_order_release || o == mo::memory_order_acq_rel ||
         o == mo::memory_order_seq_cst;
}

// The order an event acts with: a compare-exchange that fails reads with
// its failure order.
mo effective(const ggraph& G, const gev& e) {
  if (e.kind == gk::read && e.cas && !G.succeeds(e)) return e.fail_order;
  return e.order;
}

std::uint64_t rmw_value(const gev& r, std::uint64_t old) {
  if (r.rop == kGraphCas) return r.arg;
  return apply_rmw(static_cast<rt::rmw_op>(r.rop), old, r.arg, r.mask);
}

// Whether the weak CAS r may fail spuriously on what it reads: it reads
// `expected`, and its thread has not failed spuriously before (one per
// thread and execution, as under the other strategies).
bool may_fail_spuriously(const ggraph& G, const gev& r) {
  if (!r.weak || G.read_value(r) != r.expected) return false;
  for (std::uint32_t i = 0; i < r.index; ++i)
    if (G.ev[G.thr[r.thread][i]].spurious) return false;
  return true;
}

gev make_event(gk kind, int thread, std::memory_order o, std::uint32_t loc, const char* file,
               unsigned line) {
  gev e;
  e.kind = kind;
  e.order = o;
  e.thread = static_cast<std::uint16_t>(thread);
  e.loc = loc;
  e.file = file;
  e.line = line;
  return e;
}

// The write of the RMW read r, which succeeds: right after r, in its order.
gev rmw_write_of(const ggraph& G, const gev& r) {
  gev u = make_event(gk::write, r.thread, r.order, r.loc, r.file, r.line);
  u.rmw = true;
  u.value = rmw_value(r, G.read_value(r));
  return u;
}

bool same_loc(const gev& a, const gev& b) { return a.loc != kNone && a.loc == b.loc; }

std::uint32_t spawner_of(const ggraph& G, unsigned t) {
  for (std::uint32_t i = 0; i < G.ev.size(); ++i)
    if (G.ev[i].kind == gk::spawn && G.ev[i].link == t) return i;
  return kNone;
}

// Happens-before (pred) and release messages (msg), in porf order. RC11's
// sw: a release write, or a write after a release fence, read (through its
// release sequence: the thread's later writes to the location, and RMWs
// reading from any of them) by an acquire read, or by a read followed by
// an acquire fence. Spawn and join order the threads' ends.
bool compute_views(const ggraph& G, gviews& V) {
  const std::size_t n = G.ev.size(), nt = G.thr.size();
  V.pred.assign(n, gbits{});
  V.msg.assign(n, gbits{});
  std::uint32_t spawner[kMaxThreads];
  for (auto& s : spawner) s = kNone;
  for (std::uint32_t i = 0; i < n; ++i)
    if (G.ev[i].kind == gk::spawn) spawner[G.ev[i].link] = i;
  std::vector<char> done(n, 0);
  std::size_t cursor[kMaxThreads] = {};
  gbits relf[kMaxThreads], acqacc[kMaxThreads];
  bool has_relf[kMaxThreads] = {};
  struct head {
    unsigned t;
    std::uint32_t loc;
    gbits v;
  };
  std::vector<head> heads;
  std::size_t left = n;
  for (bool progress = true; left && progress;) {
    progress = false;
    for (unsigned t = 0; t < nt; ++t) {
      while (cursor[t] < G.thr[t].size()) {
        const std::uint32_t id = G.thr[t][cursor[t]];
        const gev& E = G.ev[id];
        if (E.index == 0 && spawner[t] != kNone && !done[spawner[t]]) break;
        if (E.kind == gk::read && E.link != kNone && !done[E.link]) break;
        std::uint32_t child_end = kNone;
        if (E.kind == gk::join) {
          if (E.link >= nt) return false;
          const auto& ct = G.thr[E.link];
          if (ct.empty() || G.ev[ct.back()].kind != gk::end) return false;
          child_end = ct.back();
          if (!done[child_end]) break;
        }
        gbits p;
        if (E.index > 0) {
          const std::uint32_t prev = G.thr[t][E.index - 1];
          p = V.pred[prev];
          p.set(prev);
        } else if (spawner[t] != kNone) {
          p = V.pred[spawner[t]];
          p.set(spawner[t]);
        }
        const mo o = effective(G, E);
        switch (E.kind) {
          case gk::read:
            if (E.link != kNone) {
              if (is_acq(o))
                p |= V.msg[E.link];
              else
                acqacc[t] |= V.msg[E.link];
            }
            break;
          case gk::write: {
            gbits m;
            if (has_relf[t]) m |= relf[t];
            head* h = nullptr;
            for (auto& x : heads)
              if (x.t == t && x.loc == E.loc) h = &x;
            if (h) m |= h->v;
            if (is_rel(o)) {
              gbits mine = p;
              mine.set(id);
              m |= mine;
              if (h)
                h->v = mine;
              else
                heads.push_back(head{t, E.loc, mine});
            }
            if (E.rmw) {
              const gev& R = G.ev[G.thr[t][E.index - 1]];
              if (R.link != kNone) m |= V.msg[R.link];
            }
            V.msg[id] = m;
            break;
          }
          case gk::fence:
            if (is_acq(o)) p |= acqacc[t];
            if (is_rel(o)) {
              relf[t] = p;
              relf[t].set(id);
              has_relf[t] = true;
            }
            break;
          case gk::join:
            p |= V.pred[child_end];
            p.set(child_end);
            break;
          default:
            break;
        }
        V.pred[id] = p;
        done[id] = 1;
        --left;
        ++cursor[t];
        progress = true;
      }
    }
  }
  return left == 0;
}

// irreflexive(hb; eco?) between e and its hb-predecessors. With pos() the
// coherence position (a read sits at the write it reads): a write must lie
// strictly after every access before it, a read at or after.
bool coherent(const ggraph& G, const gviews& V, std::uint32_t e) {
  const gev& E = G.ev[e];
  const std::uint32_t pe = G.pos(E);
  const bool w = E.kind == gk::write;
  bool ok = true;
  V.pred[e].each([&](unsigned x) {
    const gev& X = G.ev[x];
    if (!ok || !same_loc(X, E)) return;
    const std::uint32_t px = G.pos(X);
    if (w ? px >= pe : px > pe) ok = false;
  });
  return ok;
}

// RMW atomicity: each RMW's write comes right after the write it read.
bool atomic_ok(const ggraph& G, std::uint32_t loc) {
  for (std::uint32_t u : G.co[loc]) {
    const gev& U = G.ev[u];
    if (!U.rmw) continue;
    const gev& R = G.ev[G.thr[U.thread][U.index - 1]];
    if (U.cpos != G.pos(R) + 1) return false;
  }
  return true;
}

// Whether some RMW already reads w (kNone: the initial value) at loc: its
// write then follows w immediately (atomicity), and no other RMW may.
bool has_rmw_reader(const ggraph& G, std::uint32_t w, std::uint32_t loc) {
  const std::uint32_t at = w == kNone ? 0 : G.ev[w].cpos;
  if (at >= G.co[loc].size()) return false;
  const gev& U = G.ev[G.co[loc][at]];
  return U.rmw && G.ev[G.thr[U.thread][U.index - 1]].link == w;
}

// acyclic(psc), RC11's SC condition:
//   scb      = po u po|!=loc;hb;po|!=loc u hb|loc u co u fr
//   psc_base = ([E_sc] u [F_sc];hb?); scb; ([E_sc] u hb?;[F_sc])
//   psc_F    = [F_sc]; (hb u hb;eco;hb); [F_sc]
bool psc_ok(const ggraph& G, const gviews& V) {
  std::vector<std::uint32_t> sc;
  for (std::uint32_t i = 0; i < G.ev.size(); ++i) {
    const gev& E = G.ev[i];
    if ((E.kind == gk::read || E.kind == gk::write || E.kind == gk::fence) &&
        effective(G, E) == mo::memory_order_seq_cst)
      sc.push_back(i);
  }
  if (sc.size() < 2) return true;
  const std::size_t n = G.ev.size();
  std::vector<gbits> succ(n);
  for (std::uint32_t e = 0; e < n; ++e) V.pred[e].each([&](unsigned x) { succ[x].set(e); });
  std::vector<gbits> locbits(G.co.size());
  for (std::uint32_t e = 0; e < n; ++e)
    if (G.is_access(G.ev[e])) locbits[G.ev[e].loc].set(e);
  auto is_fence = [&](std::uint32_t e) { return G.ev[e].kind == gk::fence; };

  // po|!=loc; hb; po|!=loc from an event whose first po-later event at
  // another location is c: Y = c and its hb-successors (those of any later
  // such event are among them); then each event of Y with a po-earlier
  // event of Y at another location. Memoised by c.
  std::vector<gbits> mid(n);
  std::vector<char> have_mid(n, 0);
  auto middle_row = [&](std::uint32_t c) -> const gbits& {
    if (have_mid[c]) return mid[c];
    have_mid[c] = 1;
    gbits y = succ[c];
    y.set(c);
    gbits r;
    for (const auto& tt : G.thr) {
      std::uint32_t loc0 = kNone;
      int distinct = 0;  // distinct locations seen so far (2: two or more)
      bool fence_seen = false;
      for (std::uint32_t b : tt) {
        if (!y.has(b)) continue;
        const gev& B = G.ev[b];
        const bool other =
            fence_seen || distinct >= 2 || (distinct == 1 && (B.loc == kNone || loc0 != B.loc));
        if (other) r.set(b);
        if (B.loc == kNone) {
          fence_seen = true;
        } else if (distinct == 0) {
          loc0 = B.loc;
          distinct = 1;
        } else if (loc0 != B.loc) {
          distinct = 2;
        }
      }
    }
    mid[c] = r;
    return mid[c];
  };
  // scb's row for a', memoised.
  std::vector<gbits> scb(n);
  std::vector<char> have(n, 0);
  auto scb_row = [&](std::uint32_t a) -> const gbits& {
    if (have[a]) return scb[a];
    have[a] = 1;
    const gev& A = G.ev[a];
    const auto& th = G.thr[A.thread];
    gbits r;
    std::uint32_t first_other = kNone;  // first po-later event at another location
    for (std::size_t k = A.index + 1; k < th.size(); ++k) {
      r.set(th[k]);  // po
      if (first_other == kNone && !same_loc(G.ev[th[k]], A)) first_other = th[k];
    }
    if (first_other != kNone) r |= middle_row(first_other);
    if (G.is_access(A)) {
      gbits hl = succ[a];  // hb|loc
      for (unsigned k = 0; k < kGraphMaxEvents / 64; ++k) hl.w[k] &= locbits[A.loc].w[k];
      r |= hl;
      const std::uint32_t p = G.pos(A);  // co (write) or fr (read)
      const auto& co = G.co[A.loc];
      for (std::size_t k = p; k < co.size(); ++k)
        if (co[k] != a) r.set(co[k]);
    }
    scb[a] = r;
    return scb[a];
  };
  // eco from any access of X: per location, what eco follows the access of
  // least coherence position m (every other's eco is inside it): the
  // accesses past m, and the reads at m if a write of X sits at m.
  std::vector<std::uint32_t> minpos(G.co.size());
  std::vector<char> write_at_min(G.co.size());
  auto eco_from = [&](const gbits& X, gbits& out) {
    std::fill(minpos.begin(), minpos.end(), kNone);
    X.each([&](unsigned x) {
      const gev& E = G.ev[x];
      if (!G.is_access(E)) return;
      const std::uint32_t p = G.pos(E);
      if (p < minpos[E.loc]) {
        minpos[E.loc] = p;
        write_at_min[E.loc] = E.kind == gk::write;
      } else if (p == minpos[E.loc] && E.kind == gk::write) {
        write_at_min[E.loc] = 1;
      }
    });
    for (std::size_t l = 0; l < G.co.size(); ++l) {
      if (minpos[l] == kNone) continue;
      locbits[l].each([&](unsigned y) {
        const gev& Y = G.ev[y];
        const std::uint32_t py = G.pos(Y);
        if (py > minpos[l] || (write_at_min[l] && Y.kind == gk::read && py == minpos[l]))
          out.set(y);
      });
    }
  };

  const std::size_t k = sc.size();
  std::vector<gbits> adj(k);  // indexed by position in sc
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint32_t a = sc[i];
    gbits row = scb_row(a);
    gbits eco;  // psc_F: eco from a's hb-successors
    if (is_fence(a)) {
      succ[a].each([&](unsigned a2) { row |= scb_row(a2); });
      eco_from(succ[a], eco);
    }
    for (std::size_t j = 0; j < k; ++j) {
      const std::uint32_t b = sc[j];
      bool edge = row.has(b);
      if (!edge && is_fence(b)) edge = row.meets(V.pred[b]);
      if (!edge && is_fence(a) && is_fence(b)) edge = succ[a].has(b) || eco.meets(V.pred[b]);
      if (edge) adj[i].set(static_cast<unsigned>(j));
    }
  }
  for (std::size_t m = 0; m < k; ++m)
    for (std::size_t i = 0; i < k; ++i)
      if (adj[i].has(static_cast<unsigned>(m))) adj[i] |= adj[m];
  for (std::size_t i = 0; i < k; ++i)
    if (adj[i].has(static_cast<unsigned>(i))) return false;
  return true;
}

// The porf-prefix of w (w included): po, rf, spawn and join, transitively.
gbits porf_prefix(const ggraph& G, std::uint32_t w) {
  gbits P;
  std::vector<std::uint32_t> work{w};
  while (!work.empty()) {
    const std::uint32_t x = work.back();
    work.pop_back();
    if (P.has(x)) continue;
    P.set(x);
    const gev& X = G.ev[x];
    if (X.index > 0) {
      work.push_back(G.thr[X.thread][X.index - 1]);
    } else {
      const std::uint32_t s = spawner_of(G, X.thread);
      if (s != kNone) work.push_back(s);
    }
    if (X.kind == gk::read && X.link != kNone) work.push_back(X.link);
    if (X.kind == gk::join) work.push_back(G.thr[X.link].back());
  }
  return P;
}

// The graph of the events in `keep` (per thread a po-prefix), ids renumbered
// in the old order; `map` gives each kept event's new id.
bool restrict_to(const ggraph& G, const gbits& keep, ggraph& out, std::vector<std::uint32_t>& map) {
  map.assign(G.ev.size(), kNone);
  out.ev.clear();
  for (std::uint32_t i = 0; i < G.ev.size(); ++i)
    if (keep.has(i)) {
      map[i] = static_cast<std::uint32_t>(out.ev.size());
      out.ev.push_back(G.ev[i]);
    }
  out.thr.assign(G.thr.size(), {});
  for (std::size_t t = 0; t < G.thr.size(); ++t)
    for (std::uint32_t i : G.thr[t]) {
      if (map[i] == kNone) break;
      out.thr[t].push_back(map[i]);
    }
  out.co.assign(G.co.size(), {});
  for (std::size_t l = 0; l < G.co.size(); ++l)
    for (std::uint32_t i : G.co[l])
      if (map[i] != kNone) {
        out.co[l].push_back(map[i]);
        out.ev[map[i]].cpos = static_cast<std::uint32_t>(out.co[l].size());
      }
  for (auto& e : out.ev)
    if (e.kind == gk::read && e.link != kNone) {
      if (map[e.link] == kNone) return false;  // G3 would break (never expected)
      e.link = map[e.link];
    }
  for (std::size_t t = 0; t < out.thr.size(); ++t)
    if (out.thr[t].size() !=
        static_cast<std::size_t>(std::count_if(out.ev.begin(), out.ev.end(),
                                               [&](const gev& e) { return e.thread == t; })))
      return false;  // not a po-prefix (never expected)
  out.init = G.init;
  out.next_stamp = G.next_stamp;
  return true;
}

inline std::uint32_t bit(int t) { return 1u << t; }

constexpr std::uint32_t kGraphToken = 0x67726170;  // "grap"

}  // namespace

// ---- ggraph --------------------------------------------------------------------
std::uint32_t ggraph::add(gev e) {
  e.stamp = next_stamp++;
  if (thr.size() <= e.thread) thr.resize(e.thread + 1u);
  e.index = static_cast<std::uint32_t>(thr[e.thread].size());
  const auto id = static_cast<std::uint32_t>(ev.size());
  ev.push_back(e);
  thr[e.thread].push_back(id);
  return id;
}

void ggraph::co_insert(std::uint32_t id, std::uint32_t at) {
  auto& c = co[ev[id].loc];
  c.insert(c.begin() + at, id);
  for (std::size_t k = at; k < c.size(); ++k) ev[c[k]].cpos = static_cast<std::uint32_t>(k + 1);
}

void ggraph::co_remove(std::uint32_t id) {
  auto& c = co[ev[id].loc];
  const std::uint32_t at = ev[id].cpos - 1;
  c.erase(c.begin() + at);
  for (std::size_t k = at; k < c.size(); ++k) ev[c[k]].cpos = static_cast<std::uint32_t>(k + 1);
  ev[id].cpos = 0;
}

// ---- the search ------------------------------------------------------------------
bool graph_search::pop() {
  if (stack_.empty()) return false;
  cur_ = std::move(stack_.back());
  stack_.pop_back();
  return true;
}

void graph_search::begin_execution() {
  order_.resize(cur_.ev.size());
  for (std::uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::sort(order_.begin(), order_.end(),
            [&](std::uint32_t a, std::uint32_t b) { return cur_.ev[a].stamp < cur_.ev[b].stamp; });
  rp_ = 0;
  for (auto& p : tpos_) p = 0;
  locmap_.clear();
  locobj_.assign(cur_.init.size(), kNone);
}

// Past the events already replayed out of turn (an RMW's write, replayed
// with its read: it was added later, when a revisit made the read succeed).
void graph_search::skip_replayed() {
  while (rp_ < order_.size()) {
    const gev& E = cur_.ev[order_[rp_]];
    if (E.index >= tpos_[E.thread]) return;
    ++rp_;
  }
}

int graph_search::choose(std::uint32_t en) {
  skip_replayed();
  if (rp_ < order_.size()) {
    const int t = cur_.ev[order_[rp_]].thread;
    if (!(en & bit(t)))
      e_.fail("nondeterminism", "graph replay: thread " + std::to_string(t) +
                                    " cannot run its next recorded event (the body does "
                                    "something the checker does not control)");
    return t;
  }
  return __builtin_ctz(en);  // the next event is the lowest enabled thread's
}

void graph_search::abandon() {
  ++inconsistent;
  ++e_.blocked_executions;
  e_.done = e_.abandoned = true;
  context_switch(&e_.threads[static_cast<unsigned>(e_.cur)].ctx, &e_.sched_ctx);
  __builtin_unreachable();
}

std::uint32_t graph_search::replayed(mthread& t, gk kind, std::uint32_t loc, const char* what,
                                     bool rmw_write) {
  const auto ti = static_cast<unsigned>(t.id);
  skip_replayed();
  if (ti >= cur_.thr.size() || tpos_[ti] >= cur_.thr[ti].size()) {
    // Only the write of an RMW whose read was revisited (it now succeeds)
    // is new while the replay goes on.
    if (rp_ < order_.size() && !rmw_write)
      e_.fail("nondeterminism", std::string("graph replay: thread ") + std::to_string(t.id) +
                                    " did more than recorded (" + what + ")");
    return kNone;
  }
  const std::uint32_t id = cur_.thr[ti][tpos_[ti]];
  const gev& E = cur_.ev[id];
  const bool in_turn = rp_ < order_.size() && order_[rp_] == id;
  if (E.kind != kind || (loc != kNone && E.loc != loc) || (!in_turn && !rmw_write))
    e_.fail("nondeterminism", std::string("graph replay: thread ") + std::to_string(t.id) +
                                  " did something else than recorded (" + what + ")");
  ++tpos_[ti];
  if (in_turn) ++rp_;
  return id;
}

// The location of an atomic in this execution's graph. A replayed event
// names its location; a new one takes the location the object already has,
// or a new one.
std::uint32_t graph_search::loc_of(object_rec& L, std::uint32_t recorded) {
  const auto obj = static_cast<std::uint32_t>(&L - e_.objs.data());
  if (locmap_.size() <= obj) locmap_.resize(obj + 1u, kNone);
  std::uint32_t& loc = locmap_[obj];
  if (recorded != kNone) {  // a replayed event: the object must be the recorded one
    if (loc == kNone && recorded < locobj_.size() && locobj_[recorded] == kNone &&
        cur_.init[recorded] == L.st->bits) {
      loc = recorded;
      locobj_[recorded] = obj;
    }
    if (loc != recorded)
      e_.fail("nondeterminism", "graph replay: an atomic is not the one recorded");
  } else if (loc == kNone) {  // a new event on an object new to the graph
    loc = static_cast<std::uint32_t>(cur_.init.size());
    cur_.init.push_back(L.st->bits);
    cur_.co.emplace_back();
    locobj_.push_back(obj);
  }
  return loc;
}

std::uint32_t graph_search::add_event(gev e) {
  if (cur_.ev.size() >= kGraphMaxEvents)
    e_.fail("fatal", "strategy::graph handles at most " + std::to_string(kGraphMaxEvents) +
                         " events per execution");
  const std::uint32_t id = cur_.add(e);
  const auto ti = static_cast<unsigned>(e.thread);
  tpos_[ti] = static_cast<std::uint32_t>(cur_.thr[ti].size());
  return id;
}

// G was consistent before e was added (or, for a revisit, e's rf changed);
// e is porf-maximal. A new psc edge needs e seq_cst, or e after an SC
// fence in hb (it can then be the middle of [F_sc];hb;scb): without either,
// the psc of the rest is unchanged and is not looked at (unless full_psc).
bool graph_search::consistent(const ggraph& G, std::uint32_t e, bool full_psc) {
  if (!compute_views(G, v_)) return false;
  const gev& E = G.ev[e];
  if (G.is_access(E)) {
    if (!coherent(G, v_, e)) return false;
    if (!atomic_ok(G, E.loc)) return false;
  }
  bool relevant = full_psc || effective(G, E) == std::memory_order_seq_cst;
  v_.pred[e].each([&](unsigned x) {
    const gev& X = G.ev[x];
    if (X.kind == gk::fence && X.order == std::memory_order_seq_cst) relevant = true;
  });
  return !relevant || psc_ok(G, v_);
}

void graph_search::add_read(std::uint32_t id) {
  const std::uint32_t loc = cur_.ev[id].loc;
  const auto& co = cur_.co[loc];
  const std::uint32_t comax = co.empty() ? kNone : co.back();
  std::vector<std::uint32_t> ok, spurious;
  for (std::size_t k = 0; k <= co.size(); ++k) {
    const std::uint32_t w = k == 0 ? kNone : co[k - 1];
    cur_.ev[id].link = w;
    if (may_fail_spuriously(cur_, cur_.ev[id])) {  // a choice besides the write read
      cur_.ev[id].spurious = true;
      if (consistent(cur_, id)) spurious.push_back(w);
      cur_.ev[id].spurious = false;
    }
    if (!consistent(cur_, id)) continue;
    if (cur_.succeeds(cur_.ev[id]) && has_rmw_reader(cur_, w, loc)) {
      // Another RMW already reads w: no graph has both, but the write this
      // one would make may be read by that RMW (or by others) instead.
      if (!replay_only) {
        ggraph G = cur_;
        G.ev[id].added_max = w == comax;
        conflict_revisits(G, id);
      }
      continue;
    }
    ok.push_back(w);
  }
  if (ok.empty()) abandon();
  const std::uint32_t chosen = ok.back();
  if (!replay_only)
    for (std::uint32_t w : ok) {
      if (w == chosen) continue;
      ggraph G = cur_;
      G.ev[id].link = w;
      G.ev[id].added_max = w == comax;
      push(G);
    }
  if (!replay_only)
    for (std::uint32_t w : spurious) {
      ggraph G = cur_;
      G.ev[id].link = w;
      G.ev[id].spurious = true;
      G.ev[id].added_max = false;
      push(G);
    }
  cur_.ev[id].link = chosen;
  cur_.ev[id].added_max = chosen == comax;
}

void graph_search::add_write(std::uint32_t id) {
  const std::uint32_t loc = cur_.ev[id].loc;
  const auto n = static_cast<std::uint32_t>(cur_.co[loc].size());
  std::vector<std::uint32_t> ok;
  for (std::uint32_t at = 0; at <= n; ++at) {
    // Never between a write and the RMW that reads it.
    if (at < n) {
      const std::uint32_t before = at == 0 ? kNone : cur_.co[loc][at - 1];
      const gev& U = cur_.ev[cur_.co[loc][at]];
      if (U.rmw && cur_.ev[cur_.thr[U.thread][U.index - 1]].link == before) continue;
    }
    cur_.co_insert(id, at);
    if (consistent(cur_, id)) ok.push_back(at);
    cur_.co_remove(id);
  }
  if (ok.empty()) abandon();
  const std::uint32_t chosen = ok.back();
  if (!replay_only)
    for (std::uint32_t at : ok) {
      if (at == chosen) continue;
      ggraph G = cur_;
      G.co_insert(id, at);
      G.ev[id].added_max = false;
      push(G);
      backward_revisits(G, id);
    }
  cur_.co_insert(id, chosen);
  cur_.ev[id].added_max = chosen == n;
  if (!replay_only) backward_revisits(cur_, id);
}

void graph_search::add_rmw_write(std::uint32_t id) {
  const gev& U = cur_.ev[id];
  const gev& R = cur_.ev[cur_.thr[U.thread][U.index - 1]];
  cur_.co_insert(id, cur_.pos(R));  // right after the write it read
  if (!consistent(cur_, id)) abandon();
  cur_.ev[id].added_max = cur_.ev[id].cpos == cur_.co[cur_.ev[id].loc].size();
  if (!replay_only) backward_revisits(cur_, id);
}

// G has the RMW read r (the last event of its thread) succeed on a write
// that another RMW already read. Its write u would break atomicity, so G is
// not explored; but u is added (right after the write r read) for the
// revisits it makes, which may give that other RMW u to read.
void graph_search::conflict_revisits(const ggraph& G, std::uint32_t r) {
  ggraph H = G;
  if (H.ev.size() >= kGraphMaxEvents) return;
  const std::uint32_t at = H.pos(H.ev[r]);
  const std::uint32_t id = H.add(rmw_write_of(H, H.ev[r]));
  H.co_insert(id, at);
  H.ev[id].added_max = false;
  backward_revisits(H, id);
}

// TruSt's backward revisits of w: for each read r of w's location that is
// not in w's porf-prefix, the graph of the events added up to r and w's
// prefix, with r reading w, provided every event it drops (and r) was added
// maximally and is still maximal next to what the revisit keeps.
void graph_search::backward_revisits(const ggraph& G, std::uint32_t w) {
  const gev& W = G.ev[w];
  const gbits P = porf_prefix(G, w);
  const std::uint32_t succ = !W.rmw && W.cpos < G.co[W.loc].size() ? G.co[W.loc][W.cpos] : kNone;
  std::vector<std::uint32_t> map;
  for (std::uint32_t r = 0; r < G.ev.size(); ++r) {
    const gev& R = G.ev[r];
    if (R.kind != gk::read || R.loc != W.loc || P.has(r) || !R.revisitable) continue;
    gbits keep = P;
    for (std::uint32_t x = 0; x < G.ev.size(); ++x)
      if (G.ev[x].stamp <= R.stamp) keep.set(x);
    if (succ != kNone && !keep.has(succ)) continue;  // would differ only in w's co position
    bool maximal = true;
    for (std::uint32_t x = 0; x < G.ev.size() && maximal; ++x) {
      if (keep.has(x) && x != r) continue;
      const gev& X = G.ev[x];
      if (!X.revisitable) {
        maximal = false;
      } else if (G.is_access(X)) {
        if (!X.added_max) maximal = false;
        const std::uint32_t base = X.kind == gk::read ? X.link : x;
        const auto& co = G.co[X.loc];
        for (std::size_t k = base == kNone ? 0 : G.ev[base].cpos; maximal && k < co.size(); ++k)
          if (co[k] != w && keep.has(co[k])) maximal = false;
      }
    }
    if (!maximal) continue;
    ggraph H;
    if (!restrict_to(G, keep, H, map)) continue;
    const std::uint32_t r2 = map[r], w2 = map[w];
    H.ev[r2].link = w2;
    H.ev[r2].spurious = false;
    H.ev[r2].added_max = H.co[W.loc].back() == w2;
    P.each([&](unsigned x) { H.ev[map[x]].revisitable = false; });
    if (may_fail_spuriously(H, H.ev[r2])) {
      ggraph S = H;
      S.ev[r2].spurious = true;
      S.ev[r2].added_max = false;
      if (consistent(S, r2, true)) {
        ++revisits;
        push(S);
      }
    }
    // Checked whole: w may be the write of a conflicting RMW, never checked.
    if (!consistent(H, r2, true)) continue;
    if (H.succeeds(H.ev[r2]) && has_rmw_reader(H, w2, W.loc)) {
      conflict_revisits(H, r2);
      continue;
    }
    ++revisits;
    push(H);
  }
}

// ---- the seam's operations as events -------------------------------------------
void graph_search::trace_event(std::uint32_t id, bool replay) {
  if (!e_.tracing) return;
  const gev& E = cur_.ev[id];
  if (E.kind == gk::spawn || E.kind == gk::join || E.kind == gk::end) return;  // the engine's line
  char what[160];
  const std::uint32_t obj = E.loc == kNone || E.loc >= locobj_.size() ? kNone : locobj_[E.loc];
  switch (E.kind) {
    case gk::read: {
      const char* how = E.spurious ? ", fails spuriously" : "";
      if (E.link == kNone)
        std::snprintf(what, sizeof what, "%-6s %-8s #%u = %llu  (initial value%s%s)",
                      E.rmw ? "rmw-r" : "load", order_name(effective(cur_, E)), obj,
                      static_cast<unsigned long long>(cur_.read_value(E)),
                      cur_.co[E.loc].empty() ? ", latest" : ", not latest", how);
      else
        std::snprintf(what, sizeof what, "%-6s %-8s #%u = %llu  (write %u of T%u, co %u of %zu%s)",
                      E.rmw ? "rmw-r" : "load", order_name(effective(cur_, E)), obj,
                      static_cast<unsigned long long>(cur_.read_value(E)), cur_.ev[E.link].index,
                      cur_.ev[E.link].thread, cur_.ev[E.link].cpos, cur_.co[E.loc].size(), how);
      break;
    }
    case gk::write:
      std::snprintf(what, sizeof what, "%-6s %-8s #%u = %llu  (co %u of %zu)",
                    E.rmw ? "rmw-w" : "store", order_name(E.order), obj,
                    static_cast<unsigned long long>(E.value), E.cpos, cur_.co[E.loc].size());
      break;
    case gk::fence:
      std::snprintf(what, sizeof what, "fence  %-8s", order_name(E.order));
      break;
    default:  // spawn, join, end: returned above
      return;
  }
  e_.tracef("  %4llu  T%u  %s%s  [event %u, stamp %u]  %s\n",
            static_cast<unsigned long long>(e_.tstep), E.thread, what, replay ? "" : "  (new)",
            E.index, E.stamp, e_.where(E.file, E.line).c_str());
}

std::uint64_t graph_search::load_op(object_rec& L, mthread& t, std::memory_order o,
                                    const char* file, unsigned line) {
  bool ok = false;
  return rmw_op(L, t, kGraphLoad, 0, 0, 0, false, o, o, ok, file, line);
}

std::uint64_t graph_search::rmw_op(object_rec& L, mthread& t, std::uint8_t rop, std::uint64_t arg,
                                   std::uint64_t expected, std::uint64_t mask, bool weak,
                                   std::memory_order success, std::memory_order failure, bool& ok,
                                   const char* file, unsigned line) {
  const bool rmw = rop != kGraphLoad, cas = rop == kGraphCas;
  std::uint32_t id = replayed(t, gk::read, kNone, rmw ? "rmw" : "load");
  if (id != kNone) {
    const gev& E = cur_.ev[id];
    loc_of(L, E.loc);
    if (E.rmw != rmw || E.rop != rop || E.arg != arg || E.expected != expected || E.weak != weak)
      e_.fail("nondeterminism", "graph replay: a different read-modify-write than recorded");
    cur_.ev[id].file = file;
    cur_.ev[id].line = line;
    trace_event(id, true);
  } else {
    gev r = make_event(gk::read, t.id, success, loc_of(L, kNone), file, line);
    r.rmw = rmw;
    r.cas = cas;
    r.weak = weak;
    r.expected = expected;
    r.rop = rop;
    r.arg = arg;
    r.mask = mask;
    r.fail_order = failure;
    id = add_event(r);
    add_read(id);
    trace_event(id, false);
  }
  const gev& E = cur_.ev[id];
  const std::uint64_t old = cur_.read_value(E);
  ok = cur_.succeeds(E);
  if (!ok) return old;
  // The write of a successful RMW.
  const gev w = rmw_write_of(cur_, E);
  std::uint32_t u = replayed(t, gk::write, E.loc, "rmw", true);
  if (u != kNone) {
    if (cur_.ev[u].value != w.value || !cur_.ev[u].rmw)
      e_.fail("nondeterminism", "graph replay: an RMW wrote another value than recorded");
    trace_event(u, true);
    return old;
  }
  u = add_event(w);
  add_rmw_write(u);
  trace_event(u, false);
  return old;
}

void graph_search::store_op(object_rec& L, mthread& t, std::uint64_t v, std::memory_order o,
                            const char* file, unsigned line) {
  std::uint32_t id = replayed(t, gk::write, kNone, "store");
  if (id != kNone) {
    const gev& E = cur_.ev[id];
    loc_of(L, E.loc);
    if (E.value != v || E.rmw)
      e_.fail("nondeterminism", "graph replay: a store of another value than recorded");
    cur_.ev[id].file = file;
    cur_.ev[id].line = line;
    trace_event(id, true);
    return;
  }
  gev w = make_event(gk::write, t.id, o, loc_of(L, kNone), file, line);
  w.value = v;
  id = add_event(w);
  add_write(id);
  trace_event(id, false);
}

// A fence, spawn, join or thread exit: replayed (the same kind, order and
// other thread as recorded) or added; none of them branches.
void graph_search::plain_op(mthread& t, gk kind, std::memory_order o, std::uint32_t link,
                            const char* what, const char* file, unsigned line) {
  std::uint32_t id = replayed(t, kind, kNone, what);
  if (id != kNone) {
    if (cur_.ev[id].order != o || cur_.ev[id].link != link)
      e_.fail("nondeterminism", std::string("graph replay: a ") + what + " other than recorded");
    cur_.ev[id].file = file;
    cur_.ev[id].line = line;
  } else {
    gev e = make_event(kind, t.id, o, kNone, file, line);
    e.link = link;
    id = add_event(e);
  }
  trace_event(id, true);
}

void graph_search::fence_op(mthread& t, std::memory_order o, const char* file, unsigned line) {
  plain_op(t, gk::fence, o, kNone, "fence", file, line);
}

void graph_search::spawn_op(mthread& parent, int child, const char* file, unsigned line) {
  plain_op(parent, gk::spawn, std::memory_order_relaxed, static_cast<std::uint32_t>(child), "spawn",
           file, line);
  if (cur_.thr.size() <= static_cast<unsigned>(child)) cur_.thr.resize(child + 1u);
}

void graph_search::join_op(mthread& t, int child, const char* file, unsigned line) {
  plain_op(t, gk::join, std::memory_order_relaxed, static_cast<std::uint32_t>(child), "join", file,
           line);
}

void graph_search::end_op(mthread& t) {
  plain_op(t, gk::end, std::memory_order_relaxed, kNone, "exit", t.file, t.line);
}

// ---- replay tokens ---------------------------------------------------------------
// A failure's token is its whole graph: a header, each location's initial
// value and co order, then every event's fields.
std::vector<std::uint32_t> graph_search::encode() const {
  std::vector<std::uint32_t> v{kGraphToken, static_cast<std::uint32_t>(cur_.ev.size()),
                               static_cast<std::uint32_t>(cur_.init.size()),
                               static_cast<std::uint32_t>(cur_.thr.size()), cur_.next_stamp};
  for (std::size_t l = 0; l < cur_.init.size(); ++l) {
    v.push_back(static_cast<std::uint32_t>(cur_.init[l]));
    v.push_back(static_cast<std::uint32_t>(cur_.init[l] >> 32));
    v.push_back(static_cast<std::uint32_t>(cur_.co[l].size()));
    for (std::uint32_t i : cur_.co[l]) v.push_back(i);
  }
  for (const gev& e : cur_.ev) {
    v.push_back(static_cast<std::uint32_t>(e.kind) | static_cast<std::uint32_t>(e.order) << 4 |
                static_cast<std::uint32_t>(e.fail_order) << 8 | e.rmw << 16 | e.cas << 17 |
                e.weak << 20 | e.spurious << 21 | e.added_max << 18 | e.revisitable << 19);
    v.push_back(e.thread);
    v.push_back(e.loc);
    v.push_back(e.link);
    v.push_back(e.stamp);
    v.push_back(static_cast<std::uint32_t>(e.value));
    v.push_back(static_cast<std::uint32_t>(e.value >> 32));
    v.push_back(static_cast<std::uint32_t>(e.expected));
    v.push_back(static_cast<std::uint32_t>(e.expected >> 32));
    v.push_back(e.rop);
    v.push_back(static_cast<std::uint32_t>(e.arg));
    v.push_back(static_cast<std::uint32_t>(e.arg >> 32));
    v.push_back(static_cast<std::uint32_t>(e.mask));
    v.push_back(static_cast<std::uint32_t>(e.mask >> 32));
  }
  return v;
}

bool graph_search::load(const std::vector<std::uint32_t>& v) {
  std::size_t p = 0;
  auto next = [&](std::uint32_t& x) {
    if (p >= v.size()) return false;
    x = v[p++];
    return true;
  };
  std::uint32_t magic = 0, nev = 0, nloc = 0, nthr = 0, stamp = 0;
  if (!next(magic) || magic != kGraphToken || !next(nev) || !next(nloc) || !next(nthr) ||
      !next(stamp) || nev > kGraphMaxEvents || nthr > kMaxThreads)
    return false;
  ggraph G;
  G.next_stamp = stamp;
  G.init.resize(nloc);
  G.co.resize(nloc);
  G.thr.resize(nthr);
  for (std::uint32_t l = 0; l < nloc; ++l) {
    std::uint32_t lo = 0, hi = 0, n = 0;
    if (!next(lo) || !next(hi) || !next(n) || n > nev) return false;
    G.init[l] = lo | std::uint64_t{hi} << 32;
    G.co[l].resize(n);
    for (auto& i : G.co[l])
      if (!next(i) || i >= nev) return false;
  }
  G.ev.resize(nev);
  for (auto& e : G.ev) {
    std::uint32_t f = 0, th = 0, lo = 0, hi = 0, elo = 0, ehi = 0, rop = 0, alo = 0, ahi = 0,
                  mlo = 0, mhi = 0;
    if (!next(f) || !next(th) || !next(e.loc) || !next(e.link) || !next(e.stamp) || !next(lo) ||
        !next(hi) || !next(elo) || !next(ehi) || !next(rop) || !next(alo) || !next(ahi) ||
        !next(mlo) || !next(mhi) || th >= nthr || (f & 15) > 5)
      return false;
    e.rop = static_cast<std::uint8_t>(rop);
    e.arg = alo | std::uint64_t{ahi} << 32;
    e.mask = mlo | std::uint64_t{mhi} << 32;
    e.kind = static_cast<gk>(f & 15);
    e.order = static_cast<std::memory_order>((f >> 4) & 15);
    e.fail_order = static_cast<std::memory_order>((f >> 8) & 15);
    e.rmw = (f >> 16) & 1;
    e.cas = (f >> 17) & 1;
    e.weak = (f >> 20) & 1;
    e.spurious = (f >> 21) & 1;
    e.added_max = (f >> 18) & 1;
    e.revisitable = (f >> 19) & 1;
    e.thread = static_cast<std::uint16_t>(th);
    e.value = lo | std::uint64_t{hi} << 32;
    e.expected = elo | std::uint64_t{ehi} << 32;
    if ((e.kind == gk::read || e.kind == gk::write) && e.loc >= nloc) return false;
    if (e.kind == gk::read && e.link != kNone && e.link >= nev) return false;
  }
  // Threads' events in po order: by stamp (G2).
  std::vector<std::uint32_t> ids(nev);
  for (std::uint32_t i = 0; i < nev; ++i) ids[i] = i;
  std::sort(ids.begin(), ids.end(),
            [&](std::uint32_t a, std::uint32_t b) { return G.ev[a].stamp < G.ev[b].stamp; });
  for (std::uint32_t i : ids) {
    G.ev[i].index = static_cast<std::uint32_t>(G.thr[G.ev[i].thread].size());
    G.thr[G.ev[i].thread].push_back(i);
  }
  for (std::size_t l = 0; l < nloc; ++l)
    for (std::size_t k = 0; k < G.co[l].size(); ++k)
      G.ev[G.co[l][k]].cpos = static_cast<std::uint32_t>(k + 1);
  cur_ = std::move(G);
  stack_.clear();
  return true;
}

void graph_unsupported(const char* what, const char* file, unsigned line) {
  g->fail("unsupported", std::string(what) + " at " + g->where(file, line) +
                             " is not supported by strategy::graph (atomics, fences and "
                             "threads only); use strategy::exhaustive");
}

}  // namespace weft::model::detail
