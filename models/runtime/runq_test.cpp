// runq_test.cpp: the production run queue (src/sched/runq.hpp) under the
// checker, instantiated directly with a 4-slot ring (what the runtime uses
// under WEFT_MODEL) and model threads as thieves. Each scenario ends in a
// conservation check: every G comes out exactly once (from the owner's pops,
// a thief's steal, or the global list an overflow moved it to), each
// consumer sees its Gs in FIFO order, and a G's payload, written before it
// was queued, is visible to whoever takes it (a missing release/acquire
// shows up as a data race on the payload cell).
//
// Strategy: exhaustive search with preemption bound 2 for every scenario
// (each finishes well within a minute; docs/model-scenarios.md has the
// figures).
#include <cstdint>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"
#include "scenario.hpp"
#include "sched/runq.hpp"

namespace {

namespace m = weft::model;
namespace sys = weft::sys;

struct G {
  explicit G(int i) : id(i), payload(0) {}
  int id;
  sys::cell<int> payload;  // written before the G is queued
};

using queue = weft::detail::run_queue<G, 4>;

constexpr int kMaxG = 12;

// What one consumer took, in order.
struct taken {
  int ids[kMaxG] = {};
  int n = 0;
  void add(G* g) {
    WEFT_MODEL_ASSERT(g != nullptr);
    WEFT_MODEL_ASSERT(n < kMaxG);
    WEFT_MODEL_ASSERT(g->payload.get() == g->id * 10 + 1);  // published with the G
    ids[n++] = g->id;
  }
  // FIFO per consumer: Gs queued in id order come out in id order.
  bool increasing() const {
    for (int i = 1; i < n; ++i)
      if (ids[i - 1] >= ids[i]) return false;
    return true;
  }
};

// Every G in [0, count) exactly once over all consumers.
void assert_conserved(int count, const taken* const* parts, int nparts) {
  int seen[kMaxG] = {};
  int total = 0;
  for (int p = 0; p < nparts; ++p)
    for (int i = 0; i < parts[p]->n; ++i) {
      int id = parts[p]->ids[i];
      WEFT_MODEL_ASSERT(id >= 0 && id < count);
      ++seen[id];
      ++total;
    }
  for (int id = 0; id < count; ++id) WEFT_MODEL_ASSERT(seen[id] == 1);  // nothing lost or twice
  WEFT_MODEL_ASSERT(total == count);
}

G* make(G** pool, int id) {
  pool[id] = new G(id);
  return pool[id];
}

// The owner writes a G's payload just before queueing it (the thieves
// already run), so only the queue's release/acquire pairs publish it.
G* stamp(G* g) {
  g->payload.set(g->id * 10 + 1);
  return g;
}

// A thief: one steal into its own queue (which it owns), then drains that.
// Its queue's Gs come out as: the popped ones in order, then the one the
// steal returned (the last of the batch).
void thief(queue& victim, bool take_next, taken& out) {
  queue own;
  G* first = own.steal_from(victim, take_next);
  while (G* g = own.pop()) out.add(g);
  if (first != nullptr) out.add(first);
}

using weft::model_scenario::exhaustive;
using weft::model_scenario::scenario;

// The owner pushes three Gs, pops one, pushes a fourth, then drains, while
// one thief steals half. The thief starts first, so that the owner's pushes
// reach it only through the queue's own publication (R1)/(A1), not through
// the thread spawn.
TEST(RunQueue, OwnerPushPopVsOneThief) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 4; ++i) make(pool, i);
    queue q;
    taken owner, t1;
    sys::thread th([&] { thief(q, false, t1); });
    for (int i = 0; i < 3; ++i) WEFT_MODEL_ASSERT(q.push(stamp(pool[i])));
    if (G* g = q.pop()) owner.add(g);
    WEFT_MODEL_ASSERT(q.push(stamp(pool[3])));  // never full: 3 queued at most
    while (G* g = q.pop()) owner.add(g);
    th.join();
    WEFT_MODEL_ASSERT(owner.increasing() && t1.increasing());
    const taken* parts[] = {&owner, &t1};
    assert_conserved(4, parts, 2);
    for (int i = 0; i < 4; ++i) delete pool[i];
  });
}

// The owner pushes three Gs while two thieves (started first) steal half
// each; then it drains what is left. (Four Gs: 943k executions, 43 s; three
// cover the same races at a fraction of the cost.)
TEST(RunQueue, OwnerPushPopVsTwoThieves) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 4; ++i) make(pool, i);
    queue q;
    taken owner, t1, t2;
    sys::thread a([&] { thief(q, false, t1); });
    sys::thread b([&] { thief(q, false, t2); });
    for (int i = 0; i < 3; ++i) WEFT_MODEL_ASSERT(q.push(stamp(pool[i])));  // room: I1
    while (G* g = q.pop()) owner.add(g);
    a.join();
    b.join();
    WEFT_MODEL_ASSERT(owner.increasing() && t1.increasing() && t2.increasing());
    const taken* parts[] = {&owner, &t1, &t2};
    assert_conserved(3, parts, 3);
    for (int i = 0; i < 4; ++i) delete pool[i];
  });
}

// The owner pushes six Gs into the 4-slot ring: a full ring moves its older
// half to a global list (take_half, as runqputslow does), racing a thief
// that steals from the same ring; take_half returns 0 when the thief has
// made room meanwhile, and the push is retried.
TEST(RunQueue, StealRacesOverflow) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 6; ++i) make(pool, i);
    queue q;
    taken owner, global, t1;
    sys::thread th([&] { thief(q, false, t1); });
    for (int i = 0; i < 6; ++i) {
      G* g = stamp(pool[i]);
      while (!q.push(g)) {
        G* batch[queue::kSize / 2] = {};
        std::uint32_t n = q.take_half(batch);
        WEFT_MODEL_ASSERT(n == 0 || n == queue::kSize / 2);
        for (std::uint32_t k = 0; k < n; ++k) {
          WEFT_MODEL_ASSERT(batch[k] != nullptr);
          global.add(batch[k]);
        }
      }
    }
    while (G* g = q.pop()) owner.add(g);
    th.join();
    WEFT_MODEL_ASSERT(owner.increasing() && global.increasing() && t1.increasing());
    const taken* parts[] = {&owner, &global, &t1};
    assert_conserved(6, parts, 3);
    for (int i = 0; i < 6; ++i) delete pool[i];
  });
}

// A thief's queue is itself a victim: thief A steals half of the owner's
// ring into its own queue, whose tail store (R1 in steal_from) must publish
// the copied slots to thief B stealing from A at the same time. The owner's
// Gs are queued before the threads start; only A's publication is on trial.
TEST(RunQueue, StolenBatchIsPublishedToTheNextThief) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 4; ++i) make(pool, i);
    queue q, qa;
    for (int i = 0; i < 4; ++i) WEFT_MODEL_ASSERT(q.push(stamp(pool[i])));
    taken owner, ta, tb;
    sys::thread a([&] {
      G* first = qa.steal_from(q, false);
      while (G* g = qa.pop()) ta.add(g);
      if (first != nullptr) ta.add(first);
    });
    sys::thread b([&] { thief(qa, false, tb); });
    while (G* g = q.pop()) owner.add(g);
    a.join();
    b.join();
    WEFT_MODEL_ASSERT(owner.increasing() && ta.increasing() && tb.increasing());
    const taken* parts[] = {&owner, &ta, &tb};
    assert_conserved(4, parts, 3);
    for (int i = 0; i < 4; ++i) delete pool[i];
  });
}

// runnext taken by thieves on their last pass (take_next) while the owner
// displaces it (put_next returns the old one, which goes to the ring, as
// ready() does) and pops: exactly one party gets each G.
TEST(RunQueue, RunnextStolenOnLastPass) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 2; ++i) make(pool, i);
    queue q;
    taken owner, t1, t2;
    sys::thread a([&] { thief(q, true, t1); });
    sys::thread b([&] { thief(q, true, t2); });
    WEFT_MODEL_ASSERT(q.put_next(stamp(pool[0])) == nullptr);
    if (G* old = q.put_next(stamp(pool[1]))) WEFT_MODEL_ASSERT(q.push(old));
    while (G* g = q.pop()) owner.add(g);
    a.join();
    b.join();
    const taken* parts[] = {&owner, &t1, &t2};
    assert_conserved(2, parts, 3);
    WEFT_MODEL_ASSERT(q.empty());
    for (int i = 0; i < 2; ++i) delete pool[i];
  });
}

// A thief's claim of a slot must happen before the slot's owner writes it
// again, also when the owner refills its ring by stealing (steal_from writes
// the slots past its tail) rather than by push(). The owner's ring q is
// filled only by four steals from victims of three Gs each (each steal adds
// one G to q and hands one back to run); a thief steals from q meanwhile,
// and the owner pops what is left. The fourth steal wraps around onto slot
// 0, which the thief may have claimed: unless the owner's view of head_
// includes that claim, the write is reported as a race on the slot
// (sys::ghost_cell), the load buffering ISO C++ would otherwise allow.
TEST(RunQueue, StealingIntoOwnRingReusesAClaimedSlot) {
  scenario(exhaustive(2), [] {
    G* pool[kMaxG] = {};
    for (int i = 0; i < 12; ++i) make(pool, i);
    queue victims[4];
    for (int v = 0; v < 4; ++v)
      for (int i = 0; i < 3; ++i) WEFT_MODEL_ASSERT(victims[v].push(stamp(pool[3 * v + i])));
    queue q;
    taken owner, t1, rest;
    sys::thread th([&] { thief(q, false, t1); });
    for (int v = 0; v < 4; ++v) {
      G* g = q.steal_from(victims[v], false);
      WEFT_MODEL_ASSERT(g != nullptr);  // a victim of three always yields two
      owner.add(g);
      if (G* h = q.pop()) owner.add(h);
    }
    while (G* g = q.pop()) owner.add(g);
    th.join();
    for (queue& v : victims)
      while (G* g = v.pop()) rest.add(g);
    const taken* parts[] = {&owner, &t1, &rest};
    assert_conserved(12, parts, 3);
    for (int i = 0; i < 12; ++i) delete pool[i];
  });
}

}  // namespace
