// thread_test.cpp: sys::thread, hardware_concurrency, tls slots, clock, seed.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <weft/sys.hpp>

namespace sys = weft::sys;

TEST(SysThread, JoinRunsTheFunction) {
  int x = 0;
  sys::thread t([&] { x = 42; });
  EXPECT_TRUE(t.joinable());
  t.join();
  EXPECT_FALSE(t.joinable());
  EXPECT_EQ(x, 42);
}

// Regression: a named (lvalue) callable did not compile (the thread boxed F
// with F deduced as a reference). The callable is copied, as by std::thread.
TEST(SysThread, AcceptsAnLvalueCallable) {
  int runs = 0;
  auto body = [&runs] { runs++; };
  sys::thread t(body);
  t.join();
  const auto cbody = body;
  sys::thread u(cbody);
  u.join();
  EXPECT_EQ(runs, 2);
}

TEST(SysThread, Move) {
  sys::atomic<int> runs{0};
  sys::thread a([&] { runs.fetch_add(1); });
  sys::thread b(std::move(a));
  EXPECT_FALSE(a.joinable());
  EXPECT_TRUE(b.joinable());
  sys::thread c;
  EXPECT_FALSE(c.joinable());
  c = std::move(b);
  EXPECT_FALSE(b.joinable());
  c.join();
  EXPECT_EQ(runs.load(), 1);
}

TEST(SysThread, Detach) {
  sys::atomic<std::uint32_t> done{0};
  sys::thread t([&] {
    done.store(1);
    sys::futex_wake(done, 1);
  });
  t.detach();
  EXPECT_FALSE(t.joinable());
  while (done.load() == 0) sys::futex_wait(done, 0);
}

TEST(SysThread, MoveOnlyCallable) {
  auto p = std::make_unique<int>(7);
  int got = 0;
  sys::thread t([p = std::move(p), &got] { got = *p; });
  t.join();
  EXPECT_EQ(got, 7);
}

TEST(SysThreadDeathTest, DestroyingJoinableAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        sys::atomic<std::uint32_t> release{0};
        sys::thread t([&] {
          while (release.load() == 0) sys::futex_wait(release, 0);
        });
      },
      "joinable");
}

TEST(SysThread, HardwareConcurrencyAtLeastOne) { EXPECT_GE(sys::hardware_concurrency(), 1u); }

TEST(SysTls, SlotsArePerThread) {
  int a = 0, b = 0;
  sys::tls_set(sys::tls_slot::user0, &a);
  void* seen_in_thread = &a;
  void* after_set = nullptr;
  sys::thread t([&] {
    seen_in_thread = sys::tls_get(sys::tls_slot::user0);
    sys::tls_set(sys::tls_slot::user0, &b);
    after_set = sys::tls_get(sys::tls_slot::user0);
  });
  t.join();
  EXPECT_EQ(seen_in_thread, nullptr);
  EXPECT_EQ(after_set, &b);
  EXPECT_EQ(sys::tls_get(sys::tls_slot::user0), &a);
  EXPECT_EQ(sys::tls_get(sys::tls_slot::m), nullptr);
  sys::tls_set(sys::tls_slot::user0, nullptr);
}

TEST(SysClock, Monotonic) {
  auto a = sys::clock::now();
  auto b = sys::clock::now();
  EXPECT_LE(a, b);
  EXPECT_EQ(a.time_since_epoch().count(),
            std::chrono::steady_clock::time_point(a).time_since_epoch().count());
}

TEST(SysRandom, SeedsDiffer) {
  std::set<std::uint64_t> seeds;
  for (int i = 0; i < 1000; ++i) seeds.insert(sys::random_seed());
  EXPECT_EQ(seeds.size(), 1000u);
}

TEST(SysRandom, RandomBelowInRange) {
  std::uint64_t state = sys::random_seed();
  int hits[7] = {};
  for (int i = 0; i < 7000; ++i) {
    auto r = sys::random_below(state, 7);
    ASSERT_LT(r, 7u);
    ++hits[r];
  }
  for (int h : hits) EXPECT_GT(h, 700);
}

TEST(SysFatalDeathTest, PrintsFatalError) {
  EXPECT_DEATH(sys::fatal("cannot do %s %d", "it", 3), "fatal error: cannot do it 3");
}
