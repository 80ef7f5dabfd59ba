// mutex_test.cpp: sys::mutex and sys::condition_variable on sys::thread.
#include <gtest/gtest.h>

#include <mutex>
#include <weft/sys.hpp>

namespace sys = weft::sys;
using namespace std::chrono_literals;

TEST(SysMutex, TryLock) {
  sys::mutex mu;
  EXPECT_TRUE(mu.try_lock());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(SysMutex, CounterUnderContention) {
  constexpr int kThreads = 4;
  constexpr int kIters = 100000;
  sys::mutex mu;
  long counter = 0;
  sys::thread ts[kThreads];
  for (auto& t : ts)
    t = sys::thread([&] {
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<sys::mutex> g(mu);
        ++counter;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, long{kThreads} * kIters);
}

TEST(SysCondVar, Handoff) {
  // Ping-pong a token between two threads, each waiting for its turn.
  constexpr int kRounds = 10000;
  sys::mutex mu;
  sys::condition_variable cv;
  int turn = 0;  // guarded by mu
  int seen = 0;
  sys::thread t([&] {
    for (int i = 0; i < kRounds; ++i) {
      std::unique_lock<sys::mutex> lock(mu);
      cv.wait(lock, [&] { return turn == 1; });
      ++seen;
      turn = 0;
      cv.notify_one();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    std::unique_lock<sys::mutex> lock(mu);
    turn = 1;
    cv.notify_one();
    cv.wait(lock, [&] { return turn == 0; });
  }
  t.join();
  EXPECT_EQ(seen, kRounds);
}

TEST(SysCondVar, NotifyAllWakesEveryone) {
  sys::mutex mu;
  sys::condition_variable cv;
  bool go = false;
  int done = 0;
  sys::thread ts[4];
  for (auto& t : ts)
    t = sys::thread([&] {
      std::unique_lock<sys::mutex> lock(mu);
      cv.wait(lock, [&] { return go; });
      ++done;
    });
  {
    std::lock_guard<sys::mutex> g(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : ts) t.join();
  EXPECT_EQ(done, 4);
}

TEST(SysCondVar, WaitForTimesOut) {
  sys::mutex mu;
  sys::condition_variable cv;
  std::unique_lock<sys::mutex> lock(mu);
  auto start = sys::clock::now();
  // No notifier: a spurious no_timeout is allowed, a timeout must come.
  while (cv.wait_for(lock, 20ms) != std::cv_status::timeout) {
  }
  EXPECT_GE(sys::clock::now() - start, 20ms);
  EXPECT_TRUE(lock.owns_lock());
}

TEST(SysCondVar, WaitForPredicateTimesOut) {
  sys::mutex mu;
  sys::condition_variable cv;
  std::unique_lock<sys::mutex> lock(mu);
  EXPECT_FALSE(cv.wait_for(lock, 10ms, [] { return false; }));
  EXPECT_TRUE(cv.wait_for(lock, 10ms, [] { return true; }));
}

TEST(SysCondVar, WaitUntilPastDeadlineIsTimeout) {
  sys::mutex mu;
  sys::condition_variable cv;
  std::unique_lock<sys::mutex> lock(mu);
  EXPECT_EQ(cv.wait_until(lock, sys::clock::now() - 1ms), std::cv_status::timeout);
}
