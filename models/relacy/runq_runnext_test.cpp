// runq_runnext: the owner readies one G into the ring and two through
// put_next() (the second displaces the first, which goes to the ring tail as
// in Go's runqput), then pops; a thief steals with take_next (the last pass
// of a steal: runnext_ may be taken once the ring is empty) and can win the
// runnext_ CAS against the owner's pop_next(). Conservation: each of the 4
// items is run exactly once; a payload handed over through runnext_ is
// visible to the thief (R3).
#include "runq_common.hpp"

namespace {
using namespace weft::relacy;
constexpr unsigned kItems = 4;
using queue = weft::detail::run_queue<item, 4>;

// Random: 1,000,000 executions. Context bound: K = 3, exhaustive within the
// bound (263,101 executions; K = 4: 4.3 M, ~45 s).
constexpr budget kBudget{1000000, 3};

struct runq_runnext : rl::test_suite<runq_runnext, 2> {
  item items[kItems];
  queue owner_q, thief_q;
  ledger<2, kItems> led;

  runq_runnext() { number(items); }

  void put_next(int i) {
    if (item* old = owner_q.put_next(ready(items, i))) RL_ASSERT(owner_q.push(old));
  }

  void thread(unsigned idx) {
    if (idx == 0) {
      RL_ASSERT(owner_q.push(ready(items, 0)));
      put_next(1);
      if (item* g = owner_q.pop()) led.take(0, g);  // runnext_ first, if still there
      put_next(2);
      put_next(3);
      while (item* g = owner_q.pop()) led.take(0, g);
    } else {
      for (int pass = 0; pass < 3; pass++) {
        if (item* g = thief_q.steal_from(owner_q, true)) led.take(1, g);
        while (item* g = thief_q.pop()) led.take(1, g);
      }
    }
  }

  void after() { led.check(kItems); }
};
}  // namespace

int main(int argc, char** argv) { return run<runq_runnext>(argc, argv, "runq_runnext", kBudget); }
