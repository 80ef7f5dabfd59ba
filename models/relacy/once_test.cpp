// once: the production weft::once (src/sync/once.cpp over weft::mutex,
// src/sync/mutex.cpp, compiled against Relacy) called by three threads.
// Checks: f runs exactly once, and every caller returns only after f has
// finished and sees its effects (N1, N2: a race on f's cell is a Relacy data
// race); no lost wakeup for callers parked behind the running f.
#include <weft/sync.hpp>

#include "park_stub.hpp"

namespace {
using namespace weft::relacy;
namespace sys = weft::sys;

// Random: 300,000 executions. Context bound: K = 3, exhaustive within the
// bound (281,736 executions).
constexpr budget kBudget{300000, 3};

struct once_test : rl::test_suite<once_test, 3> {
  weft::detail::task tasks[3];
  weft::once o;
  sys::cell<int> effect{0};
  int runs = 0;  // plain: only f writes it; after() reads it

  once_test() {
    g_tasks = tasks;
    sys::relacy_clock_reset();
  }

  void thread(unsigned) {
    o.call([this] {
      runs++;
      effect.set(42);
    });
    RL_ASSERT(o.done());
    RL_ASSERT(effect.get() == 42);
  }

  void after() { RL_ASSERT(runs == 1); }
};
}  // namespace

int main(int argc, char** argv) { return run<once_test>(argc, argv, "once", kBudget); }
