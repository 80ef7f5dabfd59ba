// runq_overflow: the owner fills its 4-slot ring; the fifth push fails and
// take_half() claims the older half (Go's runqputslow: it would go to the
// global queue) while a thief steals from the same ring. take_half returns 0
// when the thief emptied enough meanwhile; the owner then pushes again.
// Conservation: each of the 6 items is run exactly once (the batch counts as
// run by the owner), the batch is the older half, and every payload is
// visible to whoever runs the item.
#include "runq_common.hpp"

namespace {
using namespace weft::relacy;
constexpr unsigned kItems = 6;
using queue = weft::detail::run_queue<item, 4>;

// Random: 1,000,000 executions. Context bound: K = 3, exhaustive within the
// bound (476,846 executions; K = 4: 7.6 M, ~110 s).
constexpr budget kBudget{1000000, 3};

struct runq_overflow : rl::test_suite<runq_overflow, 2> {
  item items[kItems];
  queue owner_q, thief_q;
  ledger<2, kItems> led;

  runq_overflow() { number(items); }

  // runqput: push, or move half of a full ring out and push again.
  void put(int i) {
    item* g = ready(items, i);
    while (!owner_q.push(g)) {
      item* batch[queue::kSize / 2] = {};
      std::uint32_t n = owner_q.take_half(batch);
      if (n == 0) continue;  // a thief made room: push again
      RL_ASSERT(n == queue::kSize / 2);
      for (std::uint32_t k = 0; k < n; k++) {
        RL_ASSERT(batch[k] != nullptr);
        led.take(0, batch[k]);  // to the global queue, where the owner runs it
      }
    }
  }

  void thread(unsigned idx) {
    if (idx == 0) {
      for (int i = 0; i < static_cast<int>(kItems); i++) put(i);
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

int main(int argc, char** argv) { return run<runq_overflow>(argc, argv, "runq_overflow", kBudget); }
