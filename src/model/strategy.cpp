// strategy.cpp: who runs next and which value an operation takes, for each
// strategy; the exhaustive search's path, its DPOR and its sleep sets.
//
// Exhaustive search is stateless depth-first search (Godefroid's VeriSoft
// shape): run the body, record every branch, then change the deepest branch
// that has an unexplored alternative and run again along the recorded prefix.
//
// Partial-order reduction (Flanagan & Godefroid, POPL 2005, with sleep sets):
// a new schedule branch starts with one thread in its backtrack set. When a
// step of thread q is dependent with an earlier step i of another thread and
// not ordered after it (the dependence clocks say so), q is added to the
// backtrack set of branch i (all enabled threads there if q was not enabled
// there). Two steps are dependent when they touch the same object and one
// writes it, or one is a seq_cst fence and the other a seq_cst operation
// (the S order is one more shared object). Value branches (reads-from, mo
// position, spurious failures, random_below) are always fully explored.
//
// Sleep sets: once alternative p of a branch is explored, p sleeps in the
// sibling subtrees until a step dependent with p's pending operation runs;
// an execution whose enabled threads all sleep is redundant: it finishes
// without recording alternatives.
//
// Preemption bound: a switch away from a thread that could have continued is
// a preemption; branches past the bound allow only the current thread. With
// DPOR this is the usual heuristic (as in loom): a race whose reversal would
// need a preemption past the bound is not reversed.
//
// PCT (Burckhardt et al., ASPLOS 2010): random distinct thread priorities,
// d-1 change points drawn over the expected length of an execution; the
// enabled thread with the highest priority runs.
#include <cstdio>

#include "model/graph.hpp"

namespace weft::model::detail {

namespace {

inline int lowest(std::uint32_t m) { return __builtin_ctz(m); }
inline std::uint32_t popcount(std::uint32_t m) {  // no libgcc call without -mpopcnt
  m = m - ((m >> 1) & 0x55555555u);
  m = (m & 0x33333333u) + ((m >> 2) & 0x33333333u);
  return (((m + (m >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}
// A uniform value below n from 64 random bits (Lemire's multiply-shift).
inline std::uint32_t below(std::uint64_t r, std::uint32_t n) {
  return static_cast<std::uint32_t>(
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(r)) * n) >> 32);
}
inline std::uint32_t bit(int t) { return 1u << t; }

// The index of the k-th set bit of m.
inline int nth_bit(std::uint32_t m, std::uint32_t k) {
  while (k--) m &= m - 1;
  return __builtin_ctz(m);
}

}  // namespace

std::uint64_t engine::random() {
  // wyrand
  rng += 0xa0761d6478bd642fULL;
  __uint128_t m = static_cast<__uint128_t>(rng) * (rng ^ 0xe7037ed1a0b428dbULL);
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
}

void engine::on_new_thread(mthread& t) {
  // PCT: initial priorities lie above every change-point priority.
  t.priority = (random() >> 2) | (std::uint64_t{1} << 62);
}

std::uint32_t engine::child_sleep(const branch& b, int r) const {
  std::uint32_t s = (b.sleep | b.done) & ~bit(r);
  const pending& pr = threads[static_cast<unsigned>(r)].next;
  for (std::uint32_t m = s; m; m &= m - 1) {
    int p = lowest(m);
    if (!independent(threads[static_cast<unsigned>(p)].next, pr)) s &= ~bit(p);
  }
  return s;
}

// choose_thread's strategies, out of line: the random strategy's path,
// taken at every scheduling point, then stays short (the exhaustive branch
// record made a large frame for every caller).
int engine::choose_replayed(std::uint32_t en, int c, bool cur_en) {
  // Past the end of a replayed prefix: keep the current thread.
  if (replay_pos >= replay.size()) return cur_en ? c : lowest(en);
  int r = static_cast<int>(replay[replay_pos++]);
  if (r >= kMaxThreads || !(en & bit(r)))
    fail("nondeterminism", "replay: thread " + std::to_string(r) + " is not enabled at step " +
                               std::to_string(steps) +
                               " (the body does something the checker does not control)");
  return r;
}

int engine::choose_exhaustive(std::uint32_t en, int c, bool cur_en) {
  int r = c;
  if (pos < path.size()) {
    branch& b = path[pos];
    if (!b.sched || b.enabled != en)
      fail("nondeterminism",
           "re-running a schedule prefix gave different enabled threads at step " +
               std::to_string(steps) +
               " (the body depends on something the checker does not control)");
    r = b.chosen;
    if (b.split) shard_split_seen = true;
    // Used only if the next schedule branch is new.
    next_sleep = b.frozen ? 0 : child_sleep(b, r);
  } else {
    branch b;
    b.sched = true;
    b.enabled = en;
    b.cur = static_cast<std::uint8_t>(c);
    b.cur_enabled = cur_en;
    b.preemptions = static_cast<std::uint16_t>(preemptions);
    std::uint32_t allowed = en;
    if (opt.max_preemptions >= 0 && cur_en && preemptions >= opt.max_preemptions) allowed = bit(c);
    bool full = !opt.dpor;
    if (opt.shard_count > 1 && !shard_split_seen && popcount(allowed) > 1) {
      shard_split_seen = true;
      b.split = true;
      std::uint32_t owned = 0, k = 0;
      for (std::uint32_t m = allowed; m; m &= m - 1, ++k)
        if (k % opt.shard_count == opt.shard_index) owned |= bit(lowest(m));
      if (!owned) {
        shard_empty = true;
        owned = bit(lowest(allowed));  // run it, report nothing
      }
      allowed = owned;
      full = true;
    }
    b.allow = allowed;
    b.sleep = redundant ? 0 : next_sleep;
    std::uint32_t avail = allowed & ~b.sleep;
    if (redundant || avail == 0) {
      redundant = true;
      r = (allowed & bit(c)) ? c : lowest(allowed);
      b.frozen = true;
      b.backtrack = b.done = bit(r);
    } else {
      r = (avail & bit(c)) ? c : lowest(avail);
      b.done = bit(r);
      b.backtrack = full ? avail : bit(r);
    }
    b.chosen = static_cast<std::uint8_t>(r);
    path.push_back(b);
    next_sleep = redundant ? 0 : child_sleep(path.back(), r);
  }
  if (opt.dpor && !redundant) dpor_step(r, static_cast<std::uint32_t>(pos));
  ++pos;
  return r;
}

int engine::choose_pct(std::uint32_t en) {
  // The enabled thread with the highest priority.
  auto highest = [&] {
    std::uint64_t best = 0;
    int who = -1;
    for (std::uint32_t m = en; m; m &= m - 1) {
      int t = lowest(m);
      if (who < 0 || threads[static_cast<unsigned>(t)].priority > best) {
        best = threads[static_cast<unsigned>(t)].priority;
        who = t;
      }
    }
    return who;
  };
  for (std::size_t i = 0; i < pct_changes.size(); ++i)
    // At a change point, the thread that would run this step drops below
    // all others.
    if (pct_changes[i] == steps) threads[static_cast<unsigned>(highest())].priority = i + 1;
  return highest();
}

int engine::choose_thread(std::uint32_t en) {
  if (gsearch) return gsearch->choose(en);
  const int c = cur;
  const bool cur_en = (en & bit(c)) != 0;
  int r = c;
  if (replaying) {
    r = choose_replayed(en, c, cur_en);
  } else {
    switch (opt.search) {
      case strategy::exhaustive:
        r = choose_exhaustive(en, c, cur_en);
        break;
      case strategy::random:
        // One enabled thread: no draw (the log still records the step).
        r = (en & (en - 1)) == 0 ? lowest(en) : nth_bit(en, below(random(), popcount(en)));
        break;
      case strategy::pct:
        r = choose_pct(en);
        break;
      case strategy::fuzz: {
        std::uint32_t n = popcount(en);
        std::uint32_t k = 0;
        if (fuzz_pos < opt.fuzz_input.size())
          k = static_cast<unsigned char>(opt.fuzz_input[fuzz_pos++]) % n;
        else if (cur_en)
          k = popcount(en & (bit(c) - 1));
        r = nth_bit(en, k);
        break;
      }
      case strategy::graph:  // graph_search::choose, above
        break;
    }
  }
  if (r != c && cur_en) ++preemptions;
  log.push_back(static_cast<std::uint32_t>(r));
  return r;
}

std::uint32_t engine::choose_value(std::uint32_t n, std::uint32_t prefer) {
  if (n <= 1) return 0;
  std::uint32_t v = 0;
  if (replaying) {
    if (replay_pos < replay.size()) {
      v = replay[replay_pos++];
      if (v >= n)
        fail("nondeterminism", "replay: a choice among " + std::to_string(n) +
                                   " values was recorded as " + std::to_string(v));
    }
  } else {
    switch (opt.search) {
      case strategy::exhaustive:
        if (pos < path.size()) {
          const branch& b = path[pos];
          if (b.sched || b.count != n)
            fail("nondeterminism", "re-running a schedule prefix gave a different choice at step " +
                                       std::to_string(steps));
          v = b.value;
        } else {
          branch b;
          b.sched = false;
          b.count = n;
          b.frozen = redundant;
          path.push_back(b);
        }
        ++pos;
        break;
      case strategy::random:
      case strategy::pct:
        // `prefer` 15 times in 16 (do_load's stale reads), else uniform.
        v = prefer != kNone && (random() & 15) != 0 ? prefer : below(random(), n);
        break;
      case strategy::fuzz:
        if (fuzz_pos < opt.fuzz_input.size())
          v = static_cast<unsigned char>(opt.fuzz_input[fuzz_pos++]) % n;
        break;
      case strategy::graph:  // the graph search makes its own choices
        break;
    }
  }
  log.push_back(v);
  return v;
}

// A race: step i (node i) and the current step j of thread r (clock cj, before
// this step's joins) are dependent and unordered. Source-DPOR (Abdulla,
// Aronis, Jonsson, Sagonas, POPL 2014): let v be the steps after i that do
// not depend on i, then step j; its initials are the threads whose first
// step in v has no predecessor in v. Unless one of them is already explored,
// scheduled or asleep at i, schedule one there.
void engine::add_race(std::uint32_t i, std::uint32_t j, int r, const vclock& cj) {
  branch& b = path[i];
  if (b.frozen) return;
  const int p = b.chosen;
  std::array<std::uint32_t, kMaxThreads> first;  // first step in v, per thread
  first.fill(kNone);
  std::uint32_t initials = 0;
  auto consider = [&](std::uint32_t k, int t, const vclock& ck) {
    bool has_pred = false;
    for (int u = 0; u < nthreads && !has_pred; ++u)
      if (first[static_cast<unsigned>(u)] != kNone && ck[u] >= first[static_cast<unsigned>(u)] + 1)
        has_pred = true;
    if (!has_pred) initials |= bit(t);
    if (first[static_cast<unsigned>(t)] == kNone) first[static_cast<unsigned>(t)] = k;
  };
  for (std::uint32_t k = i + 1; k < j; ++k) {
    const branch& e = path[k];
    if (!e.sched || e.dclk[p] >= i + 1) continue;  // not in v: depends on i
    consider(k, e.chosen, e.dclk);
  }
  consider(j, r, cj);
  if (initials & (b.backtrack | b.done | b.sleep)) return;
  std::uint32_t cand = initials & b.enabled & b.allow;
  if (!cand) cand = b.enabled & b.allow & ~b.sleep;  // initials disabled at i
  if (cand) b.backtrack |= bit(lowest(cand));
  if (!(initials & b.enabled)) b.backtrack |= cand;
}

void engine::dpor_step(int r, std::uint32_t node) {
  mthread& t = threads[static_cast<unsigned>(r)];
  const pending& p = t.next;
  vclock& C = t.dclock;
  const vclock c0 = C;
  std::uint32_t races[2 * kMaxThreads + 4];
  int nraces = 0;
  // Note: a load after a store is treated as dependent on it although, run
  // later, the load can still read everything it could read earlier. Making
  // that pair independent while keeping (load, then store) dependent (so the
  // load can come to read the store) is not a Mazurkiewicz independence, and
  // it breaks source-DPOR's initials argument: the differential test in
  // models/checker/dpor_test.cpp loses outcomes with it.
  auto visit = [&](dpor_access& dw, std::vector<dpor_access>& dr, bool write) {
    auto race = [&](const dpor_access& a) {
      if (a.node == kNone || a.thread == r) return;
      if (a.node + 1 > c0[a.thread] && nraces < 2 * kMaxThreads + 4) races[nraces++] = a.node;
    };
    const bool after_write = dw.node != kNone;
    if (after_write) race(dw);
    if (write)
      for (const dpor_access& a : dr) race(a);
    if (after_write) C.join(dw.clk, g->nthreads);
    if (write)
      for (const dpor_access& a : dr) C.join(a.clk, g->nthreads);
  };
  const bool has_obj = p.obj != kNone && (p.acc == access::read || p.acc == access::write);
  // A mutex's "held" state: unlock writes it and try_lock reads it, so a
  // try_lock races with the unlock as well as with the lock. A blocking lock
  // is not an access of it: it races with the previous lock, whose unlock
  // merely enables it (Flanagan & Godefroid).
  const bool held = p.obj != kNone && (p.kind == op::unlock || p.kind == op::try_lock);
  if (has_obj) visit(objs[p.obj].d_write, objs[p.obj].d_reads, p.acc == access::write);
  if (held) visit(objs[p.obj].h_write, objs[p.obj].h_reads, p.kind == op::unlock);
  if (p.sc || p.sc_fence) visit(sc_obj.d_write, sc_obj.d_reads, p.sc_fence);
  // The initials of each reversed race see this step's full happens-before.
  for (int k = 0; k < nraces; ++k) add_race(races[k], node, r, C);
  C[r] = node + 1;
  auto record = [&](dpor_access& dw, std::vector<dpor_access>& dr, bool write) {
    if (write) {
      dw.node = node;
      dw.thread = r;
      dw.sc = p.sc;
      dw.clk = C;
      dr.clear();
    } else {
      for (dpor_access& a : dr)
        if (a.thread == r) {
          a.node = node;
          a.clk = C;
          return;
        }
      dr.push_back(dpor_access{node, r, false, C});
    }
  };
  if (has_obj) record(objs[p.obj].d_write, objs[p.obj].d_reads, p.acc == access::write);
  if (held) record(objs[p.obj].h_write, objs[p.obj].h_reads, p.kind == op::unlock);
  if (p.sc || p.sc_fence) record(sc_obj.d_write, sc_obj.d_reads, p.sc_fence);
  path[node].dclk = C;
}

bool engine::advance() {
  while (!path.empty()) {
    branch& b = path.back();
    if (!b.frozen) {
      if (!b.sched) {
        if (b.value + 1 < b.count) {
          ++b.value;
          return true;
        }
      } else {
        std::uint32_t rem = b.backtrack & ~b.done & ~b.sleep & b.allow;
        if (rem) {
          int r = lowest(rem);
          b.chosen = static_cast<std::uint8_t>(r);
          b.done |= bit(r);
          return true;
        }
      }
    }
    path.pop_back();
  }
  return false;
}

}  // namespace weft::model::detail
