// runq_common.hpp: what the run-queue tests share: the production
// weft::detail::run_queue (src/sched/runq.hpp, included, not copied), a G
// stand-in whose payload is a checked cell, and the conservation ledger.
#pragma once

#include "harness.hpp"
#include "sched/runq.hpp"

namespace weft::relacy {

// A goroutine stand-in (run_queue<G, N> only stores G pointers). The
// payload is written by the thread that readies the item just before it
// enters a queue and read by whoever takes it out: Relacy reports a data
// race on it unless the queue's release/acquire pairings (R1/A1, R3) order
// the two accesses.
struct item {
  int id = 0;
  sys::cell<int> payload{0};
};

// Per-thread counts of the items each thread took out of any queue (each
// thread writes only its own row; after() reads them once every thread has
// finished).
template <unsigned Threads, unsigned Items>
struct ledger {
  int taken[Threads][Items] = {};

  // Called by `thread` on an item it removed from a queue to "run" it.
  void take(unsigned thread, item* g) {
    RL_ASSERT(g != nullptr);
    RL_ASSERT(g->id >= 0 && g->id < static_cast<int>(Items));
    RL_ASSERT(g->payload.get() == 1000 + g->id);  // published with the item
    taken[thread][g->id]++;
  }
  // Conservation: every item readied was taken exactly once, by one thread.
  void check(unsigned readied) const {
    for (unsigned i = 0; i < Items; i++) {
      int n = 0;
      for (unsigned t = 0; t < Threads; t++) n += taken[t][i];
      RL_ASSERT(n == (i < readied ? 1 : 0));
    }
  }
};

// Numbers the items (in the suite's constructor, before any thread runs).
template <unsigned Items>
void number(item (&items)[Items]) {
  for (unsigned i = 0; i < Items; i++) items[i].id = static_cast<int>(i);
}

// The owner makes item i ready: payload first, then into a queue.
inline item* ready(item* items, int i) {
  items[i].payload.set(1000 + i);
  return &items[i];
}

}  // namespace weft::relacy
