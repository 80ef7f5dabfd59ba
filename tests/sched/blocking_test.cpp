// blocking_test.cpp: weft::blocking(), Go's entersyscall/exitsyscall plus
// sysmon's retake/handoffp. While a goroutine blocks its OS thread inside
// blocking(), its processor is handed to another thread, so with procs=1
// the other goroutines still run. The blocked calls here wait on a plain
// std::condition_variable (what weft cannot see into), bounded by
// kPatience so that a missing handoff fails instead of hanging.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "sched_test_util.hpp"

namespace {

using weft_test::eventually;
using weft_test::procs_config;
using weft_test::scaled;

// A flag a plain thread can block on.
class latch {
 public:
  void set() {
    std::lock_guard<std::mutex> l(m_);
    set_ = true;
    cv_.notify_all();
  }
  // Blocks the OS thread until set() or kPatience; returns whether it was set.
  bool wait() {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, weft_test::kPatience, [&] { return set_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A blocks its thread until B sets the flag; B needs the only processor.
TEST(Scheduler, BlockingHandsOffProcessorProcs1) {
  latch flag;
  std::atomic<bool> a_entered{false};
  bool a_saw_flag = false;
  bool b_ran = false;
  auto st = weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    wg.add(2);
    weft::go([&] {
      // B: waits (yielding) until A is inside blocking(), then frees it.
      b_ran = eventually([&] { return a_entered.load(); });
      flag.set();
      wg.done();
    });
    weft::go([&] {
      a_saw_flag = weft::blocking([&] {
        a_entered = true;
        return flag.wait();
      });
      wg.done();
    });
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_TRUE(b_ran);
  EXPECT_TRUE(a_saw_flag) << "the processor was not handed off while A blocked";
}

// Every goroutine in blocking() at once: each waits until all have entered,
// so all eight must hold OS threads at the same time while procs=2.
TEST(Scheduler, ManyGoroutinesInBlockingAtOnce) {
  constexpr int kBlockers = 8;
  std::mutex m;
  std::condition_variable cv;
  int entered = 0;
  std::atomic<int> saw_all{0};
  weft::run(procs_config(2), [&] {
    weft::wait_group wg;
    wg.add(kBlockers);
    for (int i = 0; i < kBlockers; i++) {
      weft::go([&] {
        bool all = weft::blocking([&] {
          std::unique_lock<std::mutex> l(m);
          if (++entered == kBlockers) cv.notify_all();
          return cv.wait_for(l, weft_test::kPatience, [&] { return entered == kBlockers; });
        });
        if (all) saw_all++;
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(saw_all.load(), kBlockers);
}

// A goroutine that leaves blocking() after its P was retaken, with the only
// P busy, queues itself and runs again later (the leave_blocking path);
// many times in a row, with a busy yielder holding the processor.
TEST(Scheduler, BlockingReturnsWhileProcessorBusy) {
  const int kCalls = static_cast<int>(scaled(50, 20));
  std::atomic<int> calls{0};
  std::atomic<long> yields{0};
  std::atomic<bool> gave_up{false};
  weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    wg.add(2);
    weft::go([&] {
      while (calls.load() < kCalls) {
        if (yields.fetch_add(1) > 50000000) {
          gave_up = true;
          break;
        }
        weft::yield();
      }
      wg.done();
    });
    weft::go([&] {
      for (int i = 0; i < kCalls; i++) {
        // Long enough for the monitor to retake the P (~20 us).
        weft::blocking([] { std::this_thread::sleep_for(std::chrono::microseconds(300)); });
        calls++;
      }
      wg.done();
    });
    wg.wait();
  });
  EXPECT_EQ(calls.load(), kCalls);
  EXPECT_FALSE(gave_up.load());
}

TEST(Scheduler, BlockingReturnsValue) {
  int x = 5;
  auto check = [&] {
    EXPECT_EQ(weft::blocking([] { return 42; }), 42);
    int& r = weft::blocking([&]() -> int& { return x; });
    EXPECT_EQ(&r, &x);
    std::unique_ptr<std::string> p =
        weft::blocking([] { return std::make_unique<std::string>("hi"); });
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, "hi");
    bool ran = false;
    weft::blocking([&] { ran = true; });  // void
    EXPECT_TRUE(ran);
    // A callable that is only invocable as an lvalue.
    struct lvalue_only {
      int operator()() & { return 7; }
      int operator()() && = delete;
    };
    EXPECT_EQ(weft::blocking(lvalue_only{}), 7);
  };
  check();  // no runtime: a plain call
  weft::run(procs_config(2), [&] {
    check();               // a goroutine
    std::thread t(check);  // a plain thread while a runtime runs
    weft::blocking([&] { t.join(); });
  });
}

// Inside blocking() a goroutine behaves as a plain thread: weft's own
// blocking operations park the OS thread, and nesting is a plain call.
TEST(Scheduler, WeftOperationsInsideBlocking) {
  bool waited = false;
  std::uint64_t id_inside = 0;
  weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    wg.add(1);
    weft::go([&] { wg.done(); });
    weft::blocking([&] {
      id_inside = weft::this_goroutine::id();
      wg.wait();  // parks this thread; the P went to another M
      weft::sleep_for(std::chrono::milliseconds(1));
      weft::yield();
      weft::blocking([&] { waited = true; });
    });
    // Back on a processor: goroutine operations work again.
    weft::wait_group wg2;
    wg2.add(1);
    weft::go([&] { wg2.done(); });
    wg2.wait();
  });
  EXPECT_TRUE(waited);
  EXPECT_EQ(id_inside, 1u);
}

#if defined(__cpp_exceptions)
// An exception thrown by f leaves blocking() and the goroutine gets its
// processor back as usual.
TEST(Scheduler, BlockingPropagatesExceptions) {
  std::string caught;
  int after = 0;
  weft::run(procs_config(1), [&] {
    for (int i = 0; i < 3; i++) {
      try {
        weft::blocking([] {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          throw std::runtime_error("from blocking");
        });
      } catch (const std::runtime_error& e) {
        caught = e.what();
      }
      weft::wait_group wg;
      wg.add(1);
      weft::go([&] {
        after++;
        wg.done();
      });
      wg.wait();
    }
  });
  EXPECT_EQ(caught, "from blocking");
  EXPECT_EQ(after, 3);
}
#endif

// Ms are made on demand for blocked calls, up to config.max_threads; one
// more is a clear fatal error.
TEST(Scheduler, BlockingPastMaxThreadsIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::config c = procs_config(1);
    c.max_threads = 3;  // the monitor, and two Ms
    weft::run(c, [] {
      for (int i = 0; i < 4; i++) {
        weft::go([] {
          weft::blocking([] {
            std::mutex m;
            std::condition_variable cv;
            std::unique_lock<std::mutex> l(m);
            for (;;) cv.wait(l);  // never returns: the process dies first
          });
        });
      }
      weft::wait_group never;
      never.add(1);
      never.wait();
    });
  };
  EXPECT_DEATH(body(), "fatal error: thread exhaustion: program exceeds 3-thread limit");
}

}  // namespace
