// chan: the production channel core (src/chan/chan.cpp, with weft::chan<T>
// from include/weft/chan.hpp, compiled against Relacy over park_stub.cpp).
// Three threads, one scenario per executable (WEFT_RELACY_CHAN_SCENARIO):
//
//   0 unbuffered  two senders, one receiver, capacity 0: direct handoff to a
//                 parked receiver, parked senders taken in turn
//   1 buffered    the same with capacity 1: the full and empty edges
//   2 close       one sender sends one value and closes; two receivers
//                 receive until closed: close() must wake every parked
//                 receiver (a receiver never woken is a Relacy deadlock)
//
// Checks: every value sent is received exactly once; what a sender wrote
// before send() (a sys::cell per value) is visible to the receiver of that
// value (a race on it is a Relacy data race); no lost wakeup.
#include <weft/chan.hpp>

#include "park_stub.hpp"

#if !defined(WEFT_RELACY_CHAN_SCENARIO)
#error "define WEFT_RELACY_CHAN_SCENARIO to 0, 1 or 2"
#endif

namespace {
using namespace weft::relacy;
namespace sys = weft::sys;
constexpr int kScenario = WEFT_RELACY_CHAN_SCENARIO;
constexpr unsigned kValues = kScenario == 2 ? 1 : 2;
constexpr const char* kNames[] = {"chan_unbuffered", "chan_buffered", "chan_close"};

// Random: 300,000 executions. Context bound: K = 4, exhaustive within the
// bound (unbuffered 387,266 executions, buffered 52,972, close 1,100,870).
constexpr budget kBudget{300000, 4};

struct payload {
  sys::cell<int> c{0};
};

struct chan_test : rl::test_suite<chan_test, 3> {
  weft::detail::task tasks[3];
  weft::chan<int> ch{kScenario == 1 ? 1u : 0u};
  payload data[kValues];
  int received[3][kValues] = {};  // row per thread; read in after()

  chan_test() { g_tasks = tasks; }

  void send(int v) {
    data[v].c.set(100 + v);
    ch.send(v);
  }
  void got(unsigned idx, int v) {
    RL_ASSERT(v >= 0 && v < static_cast<int>(kValues));
    RL_ASSERT(data[v].c.get() == 100 + v);
    received[idx][v]++;
  }

  void thread(unsigned idx) {
    if (kScenario == 2) {
      if (idx == 0) {
        send(0);
        ch.close();
      } else {
        while (std::optional<int> v = ch.recv()) got(idx, *v);
      }
      return;
    }
    if (idx < 2) {
      send(static_cast<int>(idx));
    } else {
      for (unsigned i = 0; i < kValues; i++) {
        std::optional<int> v = ch.recv();
        RL_ASSERT(v.has_value());
        got(idx, *v);
      }
    }
  }

  void after() {
    for (unsigned v = 0; v < kValues; v++) {
      int n = 0;
      for (auto& row : received) n += row[v];
      RL_ASSERT(n == 1);
    }
  }
};
}  // namespace

int main(int argc, char** argv) { return run<chan_test>(argc, argv, kNames[kScenario], kBudget); }
