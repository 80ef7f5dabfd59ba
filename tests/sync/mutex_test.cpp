// mutex_test.cpp: weft::mutex (Go's sync.Mutex): exclusion under contention
// from goroutines and plain threads, try_lock, lock_guard, unlock by another
// goroutine, starvation bound, destruction right after lock, and the fatal
// error for unlocking an unlocked mutex.
#include <mutex>
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class Mutex : public weft_test::Procs {};
WEFT_PROCS_SUITE(Mutex);

TEST_P(Mutex, Smoke) {
  run([] {
    weft::mutex m;
    m.lock();
    EXPECT_FALSE(m.try_lock());
    m.unlock();
    EXPECT_TRUE(m.try_lock());
    m.unlock();
    { std::lock_guard<weft::mutex> g(m); }
    std::unique_lock<weft::mutex> l(m);
    EXPECT_TRUE(l.owns_lock());
  });
}

TEST_P(Mutex, ExclusionAmongGoroutines) {
  run([] {
    constexpr int kG = 8, kIters = 5000;
    weft::mutex m;
    long counter = 0;  // plain data: the mutex must order every access (TSan checks)
    chan<int> done(kG);
    for (int g = 0; g < kG; ++g)
      weft::go([&, done]() mutable {
        for (int i = 0; i < kIters; ++i) {
          m.lock();
          long c = counter;
          if (i % 64 == 0) weft::yield();  // hold it across a reschedule
          counter = c + 1;
          m.unlock();
        }
        done.send(1);
      });
    for (int g = 0; g < kG; ++g) done.recv();
    EXPECT_EQ(counter, kG * kIters);
  });
}

TEST_P(Mutex, ExclusionWithPlainThreads) {
  run([] {
    constexpr int kIters = 5000;
    weft::mutex m;
    long counter = 0;
    chan<int> done(4);
    auto body = [&] {
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<weft::mutex> g(m);
        ++counter;
      }
    };
    weft_test::plain_thread t1(body), t2(body);
    for (int g = 0; g < 2; ++g)
      weft::go([&, done]() mutable {
        for (int i = 0; i < kIters; ++i) {
          std::lock_guard<weft::mutex> g(m);
          ++counter;
        }
        done.send(1);
      });
    for (int g = 0; g < 2; ++g) done.recv();
    t1.join();
    t2.join();
    EXPECT_EQ(counter, 4 * kIters);
  });
}

TEST(MutexWithoutRuntime, PlainThreadsOnly) {
  weft::mutex m;
  long counter = 0;
  std::vector<weft::sys::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        m.lock();
        ++counter;
        m.unlock();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 20000);
}

// Go allows a mutex to be unlocked by a goroutine other than the locker.
TEST_P(Mutex, UnlockedByAnotherGoroutine) {
  run([] {
    weft::mutex m;
    m.lock();
    chan<int> done(0);
    weft::go([&m, done]() mutable {
      m.lock();  // parks until main unlocks
      done.send(1);
    });
    weft::yield();
    m.unlock();
    EXPECT_EQ(done.recv(), 1);
    m.unlock();  // the goroutine's lock, released by us
    EXPECT_TRUE(m.try_lock());
    m.unlock();
  });
}

// API.md: a mutex may be destroyed as soon as the lock() its owner waited
// on returns, while the unlock() that released it may still be returning.
TEST_P(Mutex, DestroyedRightAfterLock) {
  run([] {
    for (int round = 0; round < 300; ++round) {
      auto* m = new weft::mutex;
      m->lock();
      chan<int> done(0);
      weft::go([m, done]() mutable {
        m->lock();
        m->unlock();
        delete m;
        done.send(1);
      });
      if (round % 2) weft::yield();
      m->unlock();
      done.recv();
    }
  });
}

// Starvation mode: a waiter that has waited > 1 ms gets the mutex handed to
// it, so a goroutine hammering lock/unlock cannot starve another forever.
TEST_P(Mutex, StarvationIsBounded) {
  run([] {
    weft::mutex m;
    weft::sys::atomic<bool> stop{false};
    chan<int> done(1);
    weft::go([&, done]() mutable {
      // The hog: re-locks right after unlocking, barging ahead of waiters.
      while (!stop.load(std::memory_order_relaxed)) {
        m.lock();
        for (int i = 0; i < 200; ++i) weft::sys::spin_hint();
        m.unlock();
        if (weft::procs() == 1) weft::yield();
      }
      done.send(1);
    });
    // The victim must get the lock many times within a bounded time.
    auto start = weft::clock::now();
    for (int i = 0; i < 100; ++i) {
      m.lock();
      m.unlock();
    }
    auto took = weft::clock::now() - start;
    stop.store(true, std::memory_order_relaxed);
    done.recv();
    // 100 acquisitions; with handoff each takes ~1 ms at worst. Generous
    // bound for sanitizers and a loaded 2-core machine.
    EXPECT_LT(took, std::chrono::seconds(5));
  });
}

TEST_P(Mutex, TryLockFailsWhileHeldByAnother) {
  run([] {
    weft::mutex m;
    chan<int> locked(0), release(0);
    weft::go([&m, locked, release]() mutable {
      m.lock();
      locked.send(1);
      release.recv();
      m.unlock();
    });
    locked.recv();
    EXPECT_FALSE(m.try_lock());
    release.send(1);
    m.lock();
    m.unlock();
  });
}

TEST(MutexDeathTest, UnlockOfUnlockedMutexIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weft::mutex m;
        m.unlock();
      },
      "fatal error: sync: unlock of unlocked mutex");
  EXPECT_DEATH(weft::run(weft_test::config_for(1),
                         [] {
                           weft::mutex m;
                           m.lock();
                           m.unlock();
                           m.unlock();
                         }),
               "fatal error: sync: unlock of unlocked mutex");
}

}  // namespace
