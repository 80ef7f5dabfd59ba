// runq_one_thief: the owner pushes and pops (ring and runnext_ empty-checks)
// while one thief steals half into its own queue; both then drain their own
// queues. Conservation: each of the 4 items is run exactly once, and its
// payload, written before the push, is visible to whoever runs it (R1/A1).
#include "runq_common.hpp"

namespace {
using namespace weft::relacy;
constexpr unsigned kItems = 4;
using queue = weft::detail::run_queue<item, 4>;  // kRunQueueSize under the checker

// Random: 1,000,000 executions. Context bound: K = 4, exhaustive within the
// bound (1,736,377 executions).
constexpr budget kBudget{1000000, 4};

struct runq_one_thief : rl::test_suite<runq_one_thief, 2> {
  item items[kItems];
  queue owner_q, thief_q;
  ledger<2, kItems> led;

  runq_one_thief() { number(items); }

  void thread(unsigned idx) {
    if (idx == 0) {
      RL_ASSERT(owner_q.push(ready(items, 0)));
      RL_ASSERT(owner_q.push(ready(items, 1)));
      RL_ASSERT(owner_q.push(ready(items, 2)));
      if (item* g = owner_q.pop()) led.take(0, g);
      RL_ASSERT(owner_q.push(ready(items, 3)));
      while (item* g = owner_q.pop()) led.take(0, g);
    } else {
      for (int pass = 0; pass < 2; pass++) {
        if (item* g = thief_q.steal_from(owner_q, false)) led.take(1, g);
        while (item* g = thief_q.pop()) led.take(1, g);
      }
    }
  }

  void after() { led.check(kItems); }
};
}  // namespace

int main(int argc, char** argv) {
  return run<runq_one_thief>(argc, argv, "runq_one_thief", kBudget);
}
