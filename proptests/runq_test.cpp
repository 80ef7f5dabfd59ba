// runq_test.cpp: weft::detail::run_queue<G, N> (src/sched/runq.hpp) against a
// sequential model, with RapidCheck's stateful testing.
//
// Two queues of 8 slots; generated single-threaded sequences of the owner's
// operations (push, put_next, pop, pop_next, pop_ring, take_half and the
// _unshared runnext pair) on either queue, and of thief steals from one into
// the other. The model of a queue is a std::deque (the ring, head first) and
// an optional runnext. The semantics modelled, read from runq.hpp:
//
//   push(g)        false iff the ring holds N Gs; else g goes to the tail
//   put_next(g)    g becomes runnext; returns the G it displaced (or null)
//   pop()          runnext if set, else the ring's head, else null
//   pop_next()     runnext or null;  pop_ring(): the ring's head or null
//   take_half(out) 0 unless the ring is full; then claims the older half
//                  into out[0, n), oldest first
//   dst.steal_from(victim, take_next)
//                  claims n = ceil(k/2) of the victim's k ring Gs (head
//                  first); the last claimed is returned, the others are
//                  appended to dst's ring in order. With an empty ring and
//                  take_next, the victim's runnext is taken and returned.
//                  Precondition (as in the scheduler, which steals only into
//                  an empty queue): dst's ring has room for N/2 more.
//   size()         ring Gs + (runnext ? 1 : 0); empty() iff size() == 0
//
// Invariant checked after every command: each queue's size() and empty()
// agree with the model, and every G the model holds is in exactly one place
// (conservation: a G popped, displaced, taken or stolen is returned once).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "prop.hpp"
#include "sched/runq.hpp"

namespace {

struct G {
  int id;
  G* next = nullptr;
};

constexpr std::uint32_t kN = 8;
using queue = weft::detail::run_queue<G, kN>;

struct queue_model {
  std::deque<int> ring;
  std::optional<int> next;
  std::size_t size() const { return ring.size() + (next ? 1 : 0); }
};

struct runq_model {
  queue_model q[2];
  int next_id = 0;  // the id the next new G gets
};

struct runq_sut {
  queue q[2];
  std::vector<std::unique_ptr<G>> pool;  // every G ever made, by id
  G* make(int id) {
    RC_ASSERT(static_cast<std::size_t>(id) == pool.size());
    pool.push_back(std::make_unique<G>(G{id}));
    return pool.back().get();
  }
};

using command = rc::state::Command<runq_model, runq_sut>;

int id_of(const G* g) { return g == nullptr ? -1 : g->id; }
int id_of(const std::optional<int>& g) { return g ? *g : -1; }

void check_sizes(const runq_model& m, const runq_sut& s) {
  for (int i = 0; i < 2; i++) {
    RC_ASSERT(s.q[i].size() == m.q[i].size());
    RC_ASSERT(s.q[i].empty() == (m.q[i].size() == 0));
  }
}

struct push_cmd : command {
  int q = *rc::gen::inRange(0, 2);
  void apply(runq_model& m) const override {
    if (m.q[q].ring.size() < kN) m.q[q].ring.push_back(m.next_id);
    m.next_id++;
  }
  void run(const runq_model& m, runq_sut& s) const override {
    bool ok = s.q[q].push(s.make(m.next_id));
    RC_ASSERT(ok == (m.q[q].ring.size() < kN));
  }
  void show(std::ostream& os) const override { os << "q" << q << ".push(new G)"; }
};

struct put_next_cmd : command {
  int q = *rc::gen::inRange(0, 2);
  bool unshared = *rc::gen::arbitrary<bool>();
  void apply(runq_model& m) const override { m.q[q].next = m.next_id++; }
  void run(const runq_model& m, runq_sut& s) const override {
    G* g = s.make(m.next_id);
    G* old = unshared ? s.q[q].put_next_unshared(g) : s.q[q].put_next(g);
    RC_ASSERT(id_of(old) == id_of(m.q[q].next));
  }
  void show(std::ostream& os) const override {
    os << "q" << q << (unshared ? ".put_next_unshared" : ".put_next") << "(new G)";
  }
};

enum class pop_kind { pop, pop_next, pop_next_unshared, pop_ring };

struct pop_cmd : command {
  int q = *rc::gen::inRange(0, 2);
  pop_kind kind = *rc::gen::element(pop_kind::pop, pop_kind::pop_next, pop_kind::pop_next_unshared,
                                    pop_kind::pop_ring);
  static std::optional<int> expected(queue_model& qm, pop_kind kind) {
    std::optional<int> r;
    bool from_next = kind != pop_kind::pop_ring && qm.next;
    bool from_ring = !from_next && (kind == pop_kind::pop || kind == pop_kind::pop_ring);
    if (from_next) {
      r = qm.next;
      qm.next.reset();
    } else if (from_ring && !qm.ring.empty()) {
      r = qm.ring.front();
      qm.ring.pop_front();
    }
    return r;
  }
  void apply(runq_model& m) const override { expected(m.q[q], kind); }
  void run(const runq_model& m, runq_sut& s) const override {
    queue_model qm = m.q[q];
    auto want = expected(qm, kind);
    G* g = nullptr;
    switch (kind) {
      case pop_kind::pop:
        g = s.q[q].pop();
        break;
      case pop_kind::pop_next:
        g = s.q[q].pop_next();
        break;
      case pop_kind::pop_next_unshared:
        g = s.q[q].pop_next_unshared();
        break;
      case pop_kind::pop_ring:
        g = s.q[q].pop_ring();
        break;
    }
    RC_ASSERT(id_of(g) == id_of(want));
  }
  void show(std::ostream& os) const override {
    static const char* names[] = {"pop", "pop_next", "pop_next_unshared", "pop_ring"};
    os << "q" << q << "." << names[static_cast<int>(kind)] << "()";
  }
};

struct take_half_cmd : command {
  int q = *rc::gen::inRange(0, 2);
  void apply(runq_model& m) const override {
    auto& ring = m.q[q].ring;
    if (ring.size() < kN) return;
    std::size_t n = ring.size() / 2;
    ring.erase(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void run(const runq_model& m, runq_sut& s) const override {
    const auto& ring = m.q[q].ring;
    G* batch[kN / 2] = {};
    std::uint32_t n = s.q[q].take_half(batch);
    if (ring.size() < kN) {
      RC_ASSERT(n == 0u);
      return;
    }
    RC_ASSERT(n == ring.size() / 2);
    // The batch is the ring's older half, in order.
    for (std::uint32_t i = 0; i < n; i++) {
      RC_ASSERT(batch[i] != nullptr);
      RC_ASSERT(batch[i]->id == ring[i]);
    }
  }
  void show(std::ostream& os) const override { os << "q" << q << ".take_half()"; }
};

struct steal_cmd : command {
  int dst = *rc::gen::inRange(0, 2);
  bool take_next = *rc::gen::arbitrary<bool>();
  explicit steal_cmd(const runq_model& m) { RC_PRE(m.q[dst].ring.size() + kN / 2 <= kN); }
  static std::optional<int> expected(runq_model& m, int dst, bool take_next) {
    auto& thief = m.q[dst];
    auto& victim = m.q[1 - dst];
    std::size_t k = victim.ring.size();
    std::size_t n = k - k / 2;
    std::optional<int> r;
    if (n == 0) {
      if (take_next && victim.next) {
        r = victim.next;
        victim.next.reset();
      }
      return r;
    }
    for (std::size_t i = 0; i + 1 < n; i++) thief.ring.push_back(victim.ring[i]);
    r = victim.ring[n - 1];
    victim.ring.erase(victim.ring.begin(), victim.ring.begin() + static_cast<std::ptrdiff_t>(n));
    return r;
  }
  void apply(runq_model& m) const override { expected(m, dst, take_next); }
  void run(const runq_model& m, runq_sut& s) const override {
    runq_model copy = m;
    auto want = expected(copy, dst, take_next);
    G* g = s.q[dst].steal_from(s.q[1 - dst], take_next);
    RC_ASSERT(id_of(g) == id_of(want));
    // What moved is exactly what the model moved: drain-free check by size
    // here; the order is checked by later pops.
    RC_ASSERT(s.q[dst].size() == copy.q[dst].size());
    RC_ASSERT(s.q[1 - dst].size() == copy.q[1 - dst].size());
  }
  void show(std::ostream& os) const override {
    os << "q" << dst << ".steal_from(q" << 1 - dst << ", take_next=" << take_next << ")";
  }
};

// Every command is followed by the size/empty comparison.
struct observe_cmd : command {
  void apply(runq_model&) const override {}
  void run(const runq_model& m, runq_sut& s) const override { check_sizes(m, s); }
  void show(std::ostream& os) const override { os << "size()/empty()"; }
};

// Drains both queues at the end and compares with the model, so that a G
// misplaced by the last commands is caught too.
void drain_and_compare(const runq_model& m, runq_sut& s) {
  for (int i = 0; i < 2; i++) {
    queue_model qm = m.q[i];
    for (;;) {
      auto want = pop_cmd::expected(qm, pop_kind::pop);
      G* g = s.q[i].pop();
      RC_ASSERT(id_of(g) == id_of(want));
      if (g == nullptr) break;
    }
  }
}

WEFT_PROP(RunQueue, OwnerAndThiefMatchModel, 1000) {
  runq_model m;
  runq_sut s;
  auto cmds = *rc::state::gen::commands(
      m, rc::state::gen::execOneOfWithArgs<push_cmd, push_cmd, push_cmd, put_next_cmd, pop_cmd,
                                           take_half_cmd, steal_cmd, observe_cmd>());
  rc::state::runAll(cmds, m, s);
  // runAll does not hand back the final model: replay the commands on a copy.
  runq_model final_model = m;
  for (const auto& c : cmds) c->apply(final_model);
  check_sizes(final_model, s);
  drain_and_compare(final_model, s);
}

}  // namespace
