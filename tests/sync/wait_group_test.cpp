// wait_group_test.cpp: weft::wait_group (Go's sync.WaitGroup): add/done/wait
// from goroutines and plain OS threads, wait with a zero counter, reuse,
// many waiters, the misuse panics, and destruction as soon as wait()
// returns (the use-after-free that ASan watches for).
#include <atomic>
#include <climits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../sched/sched_test_util.hpp"

namespace {

using weft_test::procs_config;
using weft_test::scaled;

class WaitGroup : public ::testing::TestWithParam<unsigned> {
 protected:
  template <class F>
  void run(F&& body) {
    EXPECT_EQ(weft::run(procs_config(GetParam()), std::forward<F>(body)), weft::exit_status::ok);
  }
};
INSTANTIATE_TEST_SUITE_P(P, WaitGroup, ::testing::Values(1u, 2u, 4u),
                         [](const ::testing::TestParamInfo<unsigned>& i) {
                           return "procs" + std::to_string(i.param);
                         });

TEST_P(WaitGroup, AddDoneWait) {
  constexpr int kN = 100;
  std::atomic<int> count{0};
  int seen_after_wait = -1;
  run([&] {
    weft::wait_group wg;
    wg.add(kN);
    for (int i = 0; i < kN; i++) {
      weft::go([&] {
        count.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    seen_after_wait = count.load();  // every done() happened before wait() returned
  });
  EXPECT_EQ(seen_after_wait, kN);
}

// Work before done() is visible after wait() (no atomics on the data).
TEST_P(WaitGroup, DoneHappensBeforeWaitReturns) {
  constexpr int kN = 64;
  std::vector<long> results(kN, 0);
  long sum = 0;
  run([&] {
    weft::wait_group wg;
    wg.add(kN);
    for (int i = 0; i < kN; i++) {
      weft::go([&, i] {
        results[i] = i * 10L;
        wg.done();
      });
    }
    wg.wait();
    for (long v : results) sum += v;
  });
  EXPECT_EQ(sum, 10L * kN * (kN - 1) / 2);
}

TEST_P(WaitGroup, AddInSteps) {
  bool ok = false;
  run([&] {
    weft::wait_group wg;
    wg.add(3);
    wg.add(-1);
    wg.add(2);  // 4
    for (int i = 0; i < 4; i++) weft::go([&] { wg.done(); });
    wg.wait();
    ok = true;
  });
  EXPECT_TRUE(ok);
}

TEST_P(WaitGroup, WaitWithZeroCounterReturnsAtOnce) {
  bool ok = false;
  run([&] {
    weft::wait_group wg;
    wg.wait();
    wg.wait();
    wg.add(2);
    wg.done();
    wg.done();
    wg.wait();
    ok = true;
  });
  EXPECT_TRUE(ok);
  weft::wait_group outside;  // no runtime, a plain thread
  outside.wait();
}

TEST_P(WaitGroup, ManyWaitersAllReleased) {
  constexpr int kWaiters = 32;
  std::atomic<int> released{0};
  run([&] {
    weft::wait_group gate, finished;
    gate.add(1);
    finished.add(kWaiters);
    for (int i = 0; i < kWaiters; i++) {
      weft::go([&] {
        gate.wait();
        released.fetch_add(1);
        finished.done();
      });
    }
    // Let some of them park first (not required for correctness).
    for (int i = 0; i < 10; i++) weft::yield();
    EXPECT_EQ(released.load(), 0);
    gate.done();
    finished.wait();
  });
  EXPECT_EQ(released.load(), kWaiters);
}

// Reused across rounds, as Go allows once the previous wait() has returned.
TEST_P(WaitGroup, ReusedForManyRounds) {
  const int kRounds = static_cast<int>(scaled(500, 100));
  std::atomic<long> count{0};
  long expected = 0;
  run([&] {
    weft::wait_group wg;
    for (int r = 0; r < kRounds; r++) {
      int n = 1 + r % 5;
      expected += n;
      wg.add(n);
      for (int i = 0; i < n; i++) {
        weft::go([&] {
          count.fetch_add(1);
          wg.done();
        });
      }
      wg.wait();
      ASSERT_EQ(count.load(), expected) << "round " << r;
    }
  });
  EXPECT_EQ(count.load(), expected);
}

// ---- plain OS threads ---------------------------------------------------------------

// A plain thread waits on a wait_group that goroutines finish.
TEST_P(WaitGroup, PlainThreadWaitsForGoroutines) {
  constexpr int kN = 16;
  std::atomic<int> count{0};
  int thread_saw = -1;
  run([&] {
    weft::wait_group wg;
    wg.add(kN);
    std::thread waiter([&] {
      wg.wait();
      thread_saw = count.load();
    });
    for (int i = 0; i < kN; i++) {
      weft::go([&] {
        weft::yield();
        count.fetch_add(1);
        wg.done();
      });
    }
    weft::blocking([&] { waiter.join(); });
  });
  EXPECT_EQ(thread_saw, kN);
}

// Goroutines wait on a wait_group that a plain thread finishes.
TEST_P(WaitGroup, GoroutinesWaitForPlainThread) {
  constexpr int kN = 16;
  std::atomic<int> released{0};
  std::atomic<bool> thread_done{false};
  std::atomic<bool> order_ok{true};
  run([&] {
    weft::wait_group gate, finished;
    gate.add(1);
    finished.add(kN);
    for (int i = 0; i < kN; i++) {
      weft::go([&] {
        gate.wait();
        if (!thread_done.load()) order_ok = false;  // written before done()
        released.fetch_add(1);
        finished.done();
      });
    }
    std::thread opener([&] {
      thread_done = true;
      gate.done();
    });
    // weft cannot see a plain thread that will wake a goroutine later
    // (docs/runtime.md): main waits for it inside blocking(), which keeps
    // the deadlock detector from reporting the parked goroutines meanwhile.
    weft::blocking([&] { opener.join(); });
    finished.wait();
  });
  EXPECT_EQ(released.load(), kN);
  EXPECT_TRUE(order_ok.load());
}

// Plain threads only, no runtime at all.
TEST(WaitGroupPlain, ThreadsOnlyWithoutRuntime) {
  constexpr int kN = 8;
  std::atomic<int> count{0};
  weft::wait_group wg;
  wg.add(kN);
  std::vector<std::thread> ts;
  for (int i = 0; i < kN; i++) {
    ts.emplace_back([&] {
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(count.load(), kN);
  for (auto& t : ts) t.join();
}

// ---- destruction right after wait() returns ------------------------------------------

// The wait_group lives on the heap so that ASan sees any touch by the
// releasing done() after the waiter freed it.
TEST_P(WaitGroup, DestroyedRightAfterWaitByGoroutine) {
  const int kIters = static_cast<int>(scaled(20000, 2000));
  int completed = 0;
  run([&] {
    for (int i = 0; i < kIters; i++) {
      auto wg = std::make_unique<weft::wait_group>();
      wg->add(1);
      weft::go([w = wg.get()] { w->done(); });
      wg->wait();
      wg.reset();
      completed++;
    }
  });
  EXPECT_EQ(completed, kIters);
}

// Several done()s racing, the last one releasing the waiter.
TEST_P(WaitGroup, DestroyedRightAfterWaitManyDoners) {
  const int kIters = static_cast<int>(scaled(5000, 500));
  int completed = 0;
  run([&] {
    for (int i = 0; i < kIters; i++) {
      auto wg = std::make_unique<weft::wait_group>();
      wg->add(4);
      for (int k = 0; k < 4; k++) weft::go([w = wg.get()] { w->done(); });
      wg->wait();
      wg.reset();
      completed++;
    }
  });
  EXPECT_EQ(completed, kIters);
}

// The waiter is a goroutine, the done() comes from a plain thread.
TEST_P(WaitGroup, DestroyedRightAfterWaitDoneByPlainThread) {
  const int kIters = static_cast<int>(scaled(2000, 200));
  int completed = 0;
  run([&] {
    for (int i = 0; i < kIters; i++) {
      auto wg = std::make_unique<weft::wait_group>();
      wg->add(1);
      std::thread t([w = wg.get()] { w->done(); });
      // A goroutine in blocking() until the thread is done keeps the deadlock
      // detector quiet while main is parked on a wake weft cannot see coming.
      weft::wait_group joined;
      joined.add(1);
      weft::go([&] {
        weft::blocking([&] { t.join(); });
        joined.done();
      });
      wg->wait();
      wg.reset();
      joined.wait();
      completed++;
    }
  });
  EXPECT_EQ(completed, kIters);
}

// The waiter is a plain thread, the done() comes from a goroutine.
TEST_P(WaitGroup, DestroyedRightAfterWaitByPlainThread) {
  const int kIters = static_cast<int>(scaled(2000, 200));
  std::atomic<int> completed{0};
  run([&] {
    std::thread waiter([&] {
      for (int i = 0; i < kIters; i++) {
        auto wg = std::make_unique<weft::wait_group>();
        wg->add(1);
        weft::go([w = wg.get()] { w->done(); });  // go() from a plain thread
        wg->wait();
        wg.reset();
        completed.fetch_add(1);
      }
    });
    weft::blocking([&] { waiter.join(); });
  });
  EXPECT_EQ(completed.load(), kIters);
}

// ---- misuse ------------------------------------------------------------------------------

#if defined(__cpp_exceptions)
TEST(WaitGroupPanic, NegativeCounterPanics) {
  // From a goroutine ...
  std::string what;
  weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    try {
      wg.done();
    } catch (const weft::panic_error& e) {
      what = e.what();
    }
  });
  EXPECT_EQ(what, "sync: negative WaitGroup counter");
  // ... and from a plain thread.
  weft::wait_group wg;
  wg.add(1);
  wg.done();
  try {
    wg.add(-1);
    ADD_FAILURE() << "expected a panic";
  } catch (const weft::panic_error& e) {
    EXPECT_STREQ(e.what(), "sync: negative WaitGroup counter");
  }
  EXPECT_THROW(wg.add(-5), weft::panic_error);
}

TEST(WaitGroupPanic, CounterOverflowPanics) {
  weft::wait_group wg;
  wg.add(INT_MAX);
  try {
    wg.add(1);
    ADD_FAILURE() << "expected a panic";
  } catch (const weft::panic_error& e) {
    EXPECT_STREQ(e.what(), "sync: WaitGroup counter overflow");
  }
}
#else
TEST(WaitGroupPanic, NegativeCounterPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  weft::wait_group wg;
  EXPECT_DEATH(wg.done(), "panic: sync: negative WaitGroup counter");
  EXPECT_DEATH(weft::run(procs_config(1),
                         [] {
                           weft::wait_group w;
                           w.add(-1);
                         }),
               "panic: sync: negative WaitGroup counter");
}

TEST(WaitGroupPanic, CounterOverflowPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  weft::wait_group wg;
  wg.add(INT_MAX);
  EXPECT_DEATH(wg.add(1), "panic: sync: WaitGroup counter overflow");
}
#endif

}  // namespace
