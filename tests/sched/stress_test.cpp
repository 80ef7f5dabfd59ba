// stress_test.cpp: everything at once on four processors, sized for the
// tsan preset: goroutines that spawn children (move-only arguments), yield,
// wait on wait_groups, sleep 0-1 ms and make short blocking() calls, with a
// plain thread waiting on the result. Conservation at the end: every node
// spawned ran exactly once and was destroyed exactly once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "sched_test_util.hpp"

namespace {

using weft_test::procs_config;
using weft_test::scaled;

struct tally {
  std::atomic<long> spawned{0};
  std::atomic<long> ran{0};
  std::atomic<long> destroyed{0};
  std::atomic<long> slept{0};
  std::atomic<long> blocked{0};
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct node {
  tally* t;
  std::uint64_t seed;
  int depth;
  node(tally* t_, std::uint64_t s, int d) : t(t_), seed(s), depth(d) {
    t->spawned.fetch_add(1, std::memory_order_relaxed);
  }
  node(const node&) = delete;
  node& operator=(const node&) = delete;
  ~node() { t->destroyed.fetch_add(1, std::memory_order_relaxed); }
};

constexpr int kFanout = 3;

void visit(std::unique_ptr<node> n) {
  tally* t = n->t;
  t->ran.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t r = mix(n->seed);
  for (std::uint64_t y = r % 4; y > 0; y--) weft::yield();
  if ((r >> 8) % 4 == 0) {
    weft::sleep_for(std::chrono::microseconds((r >> 16) % 1000));
    t->slept.fetch_add(1, std::memory_order_relaxed);
  }
  if ((r >> 32) % 32 == 0) {
    weft::blocking([] { std::this_thread::sleep_for(std::chrono::microseconds(50)); });
    t->blocked.fetch_add(1, std::memory_order_relaxed);
  }
  if (n->depth == 0) return;
  weft::wait_group children;
  children.add(kFanout);
  for (int c = 0; c < kFanout; c++) {
    auto child = std::make_unique<node>(t, n->seed * kFanout + c + 1, n->depth - 1);
    weft::go(
        [&children](std::unique_ptr<node> k) {
          visit(std::move(k));
          children.done();
        },
        std::move(child));
  }
  if ((r >> 40) % 2 == 0) weft::yield();
  children.wait();
}

TEST(Scheduler, StressSpawnYieldWaitSleepProcs4) {
  const int kRounds = static_cast<int>(scaled(4, 2, 1));
  const int kDepth = 6;  // (3^7 - 1) / 2 = 1093 goroutines a round
  const long kNodes = (729L * 3 - 1) / 2;
  for (int round = 0; round < kRounds; round++) {
    tally t;
    std::atomic<bool> watcher_saw_done{false};
    auto st = weft::run(procs_config(4), [&] {
      weft::wait_group all;
      all.add(1);
      // A plain thread waits on the same result.
      std::thread watcher([&] {
        all.wait();
        watcher_saw_done = t.ran.load() == kNodes;
      });
      weft::go([&] {
        visit(std::make_unique<node>(&t, static_cast<std::uint64_t>(round) << 20, kDepth));
        all.done();
      });
      all.wait();
      weft::blocking([&] { watcher.join(); });
    });
    ASSERT_EQ(st, weft::exit_status::ok) << "round " << round;
    EXPECT_EQ(t.spawned.load(), kNodes) << "round " << round;
    EXPECT_EQ(t.ran.load(), kNodes) << "round " << round;
    EXPECT_EQ(t.destroyed.load(), kNodes) << "round " << round;
    EXPECT_GT(t.slept.load(), 0);
    EXPECT_TRUE(watcher_saw_done.load());
  }
}

// Many short-lived runtimes racing their own shutdown: goroutines still
// yielding and sleeping when main returns are abandoned each time.
TEST(Scheduler, StressShutdownWithBusyGoroutines) {
  const int kRuns = static_cast<int>(scaled(30, 8));
  for (int r = 0; r < kRuns; r++) {
    std::atomic<int> started{0};
    auto st = weft::run(procs_config(4), [&] {
      for (int i = 0; i < 64; i++) {
        weft::go([&, i] {
          started.fetch_add(1);
          for (int k = 0; k < 1000; k++) {
            if (k % 7 == i % 7) weft::sleep_for(std::chrono::microseconds(k % 100));
            weft::yield();
          }
        });
      }
      weft_test::eventually([&] { return started.load() >= 32; });
    });
    ASSERT_EQ(st, weft::exit_status::ok) << "run " << r;
  }
}

}  // namespace
