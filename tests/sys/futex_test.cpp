// futex_test.cpp: sys::futex_wait / futex_wait_until / futex_wake.
#include <gtest/gtest.h>

#include <climits>
#include <weft/sys.hpp>

namespace sys = weft::sys;
using namespace std::chrono_literals;

TEST(SysFutex, WaitReturnsAtOnceWhenValueDiffers) {
  sys::atomic<std::uint32_t> w{1};
  sys::futex_wait(w, 0);  // would block forever if it did not compare
  EXPECT_TRUE(sys::futex_wait_until(w, 0, sys::clock::now() + 10s));
}

TEST(SysFutex, WakeWakesAWaiter) {
  sys::atomic<std::uint32_t> w{0};
  sys::atomic<bool> waiting{false};
  sys::thread t([&] {
    waiting.store(true);
    while (w.load(std::memory_order_acquire) == 0) sys::futex_wait(w, 0);
  });
  while (!waiting.load()) sys::spin_hint();
  w.store(1, std::memory_order_release);
  sys::futex_wake(w, 1);
  t.join();
  EXPECT_EQ(w.load(), 1u);
}

TEST(SysFutex, WakeAllWakesEveryWaiter) {
  sys::atomic<std::uint32_t> w{0};
  sys::thread ts[4];
  for (auto& t : ts)
    t = sys::thread([&] {
      while (w.load(std::memory_order_acquire) == 0) sys::futex_wait(w, 0);
    });
  w.store(1, std::memory_order_release);
  sys::futex_wake(w, INT_MAX);
  for (auto& t : ts) t.join();
}

TEST(SysFutex, WaitUntilTimesOut) {
  sys::atomic<std::uint32_t> w{0};
  auto deadline = sys::clock::now() + 20ms;
  bool woken = true;
  // Spurious wakeups are allowed; a timeout must come eventually.
  while (woken) woken = sys::futex_wait_until(w, 0, deadline);
  EXPECT_GE(sys::clock::now(), deadline);
}

TEST(SysFutex, WaitUntilPastDeadlineReturnsFalse) {
  sys::atomic<std::uint32_t> w{0};
  EXPECT_FALSE(sys::futex_wait_until(w, 0, sys::clock::now() - 1s));
}
