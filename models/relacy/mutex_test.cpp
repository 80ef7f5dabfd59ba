// mutex: the production weft::mutex (src/sync/mutex.cpp, compiled against
// Relacy) locked by three threads around a shared counter in a sys::cell.
// Checks: mutual exclusion and the critical sections' ordering (a race on the
// counter is a Relacy data race), no lost wakeup (a parked locker never woken
// is a Relacy deadlock), state word back to 0 at the end, every increment
// counted. WEFT_RELACY_MUTEX_STARVING=1 steps the virtual clock by 1 ms per
// read, so a woken waiter that loses to a barger has "waited over 1 ms" and
// the starvation mode (handoff, X4) is reached; 0 steps it by 1 us (normal
// mode only).
#include <weft/sync.hpp>

#include "park_stub.hpp"

#if !defined(WEFT_RELACY_MUTEX_STARVING)
#error "define WEFT_RELACY_MUTEX_STARVING to 0 or 1"
#endif

namespace {
using namespace weft::relacy;
namespace sys = weft::sys;
constexpr bool kStarving = WEFT_RELACY_MUTEX_STARVING != 0;

// Random: 300,000 executions. Context bound: K = 3, exhaustive within the
// bound (~420,000 executions in either mode).
constexpr budget kBudget{300000, 3};

struct mutex_test : rl::test_suite<mutex_test, 3> {
  weft::detail::task tasks[3];
  weft::mutex m;
  sys::cell<int> counter{0};

  mutex_test() {
    g_tasks = tasks;
    sys::relacy_clock_reset(kStarving ? std::chrono::milliseconds(1)
                                      : std::chrono::microseconds(1));
  }

  void thread(unsigned) {
    for (int round = 0; round < 2; round++) {
      m.lock();
      counter.set(counter.get() + 1);
      m.unlock();
    }
  }

  void after() {
    RL_ASSERT(counter.get() == 6);
    RL_ASSERT(m.try_lock());  // free, not starving, nobody owed a handoff
    m.unlock();
  }
};
}  // namespace

int main(int argc, char** argv) {
  return run<mutex_test>(argc, argv, kStarving ? "mutex_starving" : "mutex_normal", kBudget);
}
