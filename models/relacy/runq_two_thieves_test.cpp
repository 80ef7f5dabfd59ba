// runq_two_thieves: the owner fills its ring, pops one and pushes one more,
// while thief 1 steals from the owner and thief 2 steals from the owner and
// then from thief 1's queue (steal_from publishes the grabbed slots to the
// thieves of the thief, R1) while thief 1 pops its own queue. Every thread
// drains its own queue. Conservation: each of the 5 items is run exactly
// once, its payload visible to whoever runs it.
#include "runq_common.hpp"

namespace {
using namespace weft::relacy;
constexpr unsigned kItems = 5;
using queue = weft::detail::run_queue<item, 4>;

// Random: 1,000,000 executions. Context bound: K = 2, exhaustive within the
// bound (258,653 executions; K = 3 does not finish in 2 minutes).
constexpr budget kBudget{1000000, 2};

struct runq_two_thieves : rl::test_suite<runq_two_thieves, 3> {
  item items[kItems];
  queue q[3];  // q[i] is thread i's own queue; q[0] the owner's
  ledger<3, kItems> led;

  runq_two_thieves() { number(items); }

  void drain(unsigned idx) {
    while (item* g = q[idx].pop()) led.take(idx, g);
  }

  void thread(unsigned idx) {
    if (idx == 0) {
      for (int i = 0; i < 4; i++) RL_ASSERT(q[0].push(ready(items, i)));
      if (item* g = q[0].pop()) led.take(0, g);
      RL_ASSERT(q[0].push(ready(items, 4)));
      drain(0);
    } else if (idx == 1) {
      if (item* g = q[1].steal_from(q[0], false)) led.take(1, g);
      drain(1);
    } else {
      if (item* g = q[2].steal_from(q[0], false)) led.take(2, g);
      if (item* g = q[2].steal_from(q[1], false)) led.take(2, g);
      drain(2);
    }
  }

  void after() { led.check(kItems); }
};
}  // namespace

int main(int argc, char** argv) {
  return run<runq_two_thieves>(argc, argv, "runq_two_thieves", kBudget);
}
