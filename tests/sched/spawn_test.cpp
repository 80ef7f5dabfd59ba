// spawn_test.cpp: spawning at scale. Every goroutine spawned runs exactly
// once (a per-index hit array, so a lost or doubled goroutine is named),
// whether many goroutines spawn at once (run-queue overflow to the global
// queue, stealing) or one goroutine spawns a million (back-pressure).
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "sched_test_util.hpp"

namespace {

using weft_test::procs_config;
using weft_test::scaled;

// Counts how many indexes were hit other than exactly once; reports the first.
::testing::AssertionResult each_hit_once(const std::vector<std::atomic<std::uint8_t>>& hits) {
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < hits.size(); i++) {
    if (hits[i].load(std::memory_order_relaxed) != 1) {
      if (bad++ == 0) first = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << hits.size() << " goroutines ran other than once; first: index "
         << first << " ran " << int(hits[first].load()) << " times";
}

void spawn_from_many(unsigned procs) {
  constexpr std::size_t kSpawners = 8;
  const std::size_t kEach = scaled(10000, 1000, 100);
  std::vector<std::atomic<std::uint8_t>> hits(kSpawners * kEach);
  for (auto& h : hits) h.store(0, std::memory_order_relaxed);
  auto st = weft::run(procs_config(procs), [&] {
    weft::wait_group all;
    all.add(static_cast<int>(kSpawners * kEach));
    weft::wait_group start;
    start.add(1);
    for (std::size_t s = 0; s < kSpawners; s++) {
      weft::go([&, s] {
        start.wait();  // all spawners begin together
        for (std::size_t i = 0; i < kEach; i++) {
          weft::go(
              [&hits, &all](std::size_t idx) {
                hits[idx].fetch_add(1, std::memory_order_relaxed);
                all.done();
              },
              s * kEach + i);
        }
      });
    }
    start.done();
    all.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_TRUE(each_hit_once(hits));
}

TEST(Scheduler, SpawnFromManyGoroutinesProcs2) { spawn_from_many(2); }
TEST(Scheduler, SpawnFromManyGoroutinesProcs4) { spawn_from_many(4); }
TEST(Scheduler, SpawnFromManyGoroutinesProcs1) { spawn_from_many(1); }

// Go's spawn_join shape: one goroutine spawns them all, then waits.
TEST(Scheduler, MillionGoroutinesRunExactlyOnce) {
  const std::size_t kN = scaled(1000000, 100000, 2000);
  std::vector<std::atomic<std::uint8_t>> hits(kN);
  for (auto& h : hits) h.store(0, std::memory_order_relaxed);
  std::size_t peak_seen = 0;
  auto st = weft::run(procs_config(2), [&] {
    weft::wait_group wg;
    wg.add(static_cast<int>(kN));
    for (std::size_t i = 0; i < kN; i++) {
      weft::go([&hits, &wg, i] {
        hits[i].fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }
    peak_seen = weft::num_goroutines();
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_TRUE(each_hit_once(hits));
  EXPECT_GE(peak_seen, 1u);
  EXPECT_LE(peak_seen, kN + 1);
}

// Goroutines that spawn goroutines: a binary tree, every inner node parked
// on a wait_group until both children are done. Exercises spawning from
// many Ps while parents are parked (each holding a stack).
void tree(int depth, std::atomic<long>& nodes) {
  nodes.fetch_add(1, std::memory_order_relaxed);
  if (depth == 0) return;
  weft::wait_group wg;
  wg.add(2);
  for (int c = 0; c < 2; c++) {
    weft::go([&] {
      tree(depth - 1, nodes);
      wg.done();
    });
  }
  wg.wait();
}

TEST(Scheduler, SpawnTreeAllNodesRunOnce) {
  const int kDepth = static_cast<int>(scaled(12, 9, 7));
  std::atomic<long> nodes{0};
  auto st = weft::run(procs_config(4), [&] { tree(kDepth, nodes); });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_EQ(nodes.load(), (2L << kDepth) - 1);
}

}  // namespace
