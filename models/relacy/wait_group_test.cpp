// wait_group: the production weft::wait_group (src/sync/wait_group.cpp,
// compiled against Relacy). WEFT_RELACY_WG_WORKERS threads write their own
// cell and call done(); WEFT_RELACY_WG_WAITERS threads call wait(), and may
// find the counter already zero or park. Built three times: 2 workers /
// 1 waiter (done() racing done() and the waiter's count-and-enqueue, W2),
// 1 worker / 2 waiters (wake_all() waking several, W3), and 2 / 2. Checks: no lost
// wakeup (a waiter never woken is a Relacy deadlock), every worker's write is
// visible when wait() returns (W-A/W-B, or lock_ and unpark: a race on a
// cell is a Relacy data race), and each waiter parked at most once.
#include <weft/sync.hpp>

#include "park_stub.hpp"

#if !defined(WEFT_RELACY_WG_WORKERS) || !defined(WEFT_RELACY_WG_WAITERS)
#error "define WEFT_RELACY_WG_WORKERS and WEFT_RELACY_WG_WAITERS"
#endif

namespace {
using namespace weft::relacy;
namespace sys = weft::sys;
constexpr unsigned kWorkers = WEFT_RELACY_WG_WORKERS;
constexpr unsigned kThreads = kWorkers + WEFT_RELACY_WG_WAITERS;

// Random: 300,000 executions. Context bound: K = 3 with three threads, K = 2
// with four, exhaustive within the bound (2 workers / 1 waiter: 100,602
// executions; 1 worker / 2 waiters: 223,638; 2 workers / 2 waiters at K = 2:
// 565,344).
constexpr budget kBudget{300000, kThreads == 4 ? 2u : 3u};

struct work_cell {
  sys::cell<int> c{0};
};

struct wait_group_test : rl::test_suite<wait_group_test, kThreads> {
  weft::detail::task tasks[kThreads];
  weft::wait_group wg;
  work_cell work[kWorkers];

  wait_group_test() { g_tasks = tasks; }
  void before() { wg.add(static_cast<int>(kWorkers)); }

  void thread(unsigned idx) {
    if (idx < kWorkers) {
      work[idx].c.set(1);
      wg.done();
    } else {
      wg.wait();
      for (auto& w : work) RL_ASSERT(w.c.get() == 1);
      RL_ASSERT(tasks[idx].parks <= 1);
    }
  }
};

constexpr const char* kName = kThreads == 4   ? "wait_group_2_workers_2_waiters"
                              : kWorkers == 2 ? "wait_group_2_workers_1_waiter"
                                              : "wait_group_1_worker_2_waiters";
}  // namespace

int main(int argc, char** argv) { return run<wait_group_test>(argc, argv, kName, kBudget); }
