// fairness_test.cpp: no runnable goroutine is starved. weft cannot interrupt
// a goroutine, so fairness rests on four rules (sched.cpp's essay): yield()
// goes to the back of the global queue; the global queue is polled first
// every 61st schedule tick; after 32 consecutive runnext picks the ring's
// head goes first; and a goroutine that has passed 4096 channel operations
// without blocking yields at the next one (preempt_point). Each test builds
// the pattern that one rule exists for, on one processor, and bounds the
// pattern so that starvation fails the test (`gave_up`) instead of hanging
// it.
//
// Patterns after Go issues #13546 (Gosched starving a local goroutine) and
// #52934 (a chain of new goroutines, each inheriting runnext, starving
// other work).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "sched/park.hpp"     // white-box: current_task()
#include "sched/runtime.hpp"  // white-box: goroutine status
#include "sched_test_util.hpp"

namespace {

using weft_test::eventually;
using weft_test::procs_config;

// Far more rounds than any fairness rule needs: reaching it means starvation.
constexpr long kGiveUp = 2000000;
// Rounds a readied goroutine may wait under the rules (61 ticks; 32-streak),
// with slack for the rounds in flight when it was readied.
constexpr long kFairBound = 400;

// ---- yield ----------------------------------------------------------------------------

// Two busy goroutines that yield on one processor both progress: each loops
// until both have yielded kTarget times. If yield() kept the caller
// running, the first would loop alone until kGiveUp.
TEST(Scheduler, YieldFairnessTwoBusyGoroutines) {
  constexpr long kTarget = 1000;
  std::atomic<long> count[2] = {{0}, {0}};
  long final_count[2] = {0, 0};
  auto st = weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    wg.add(2);
    for (int me = 0; me < 2; me++) {
      weft::go([&, me] {
        long n = 0;
        while ((count[1 - me].load() < kTarget || n < kTarget) && n < kGiveUp) {
          count[me].store(++n);
          weft::yield();
        }
        final_count[me] = n;
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  for (int me = 0; me < 2; me++) {
    EXPECT_LT(final_count[me], kGiveUp) << "goroutine " << me << " starved its partner";
    // Yield goes to the back of the queue: the two alternate.
    EXPECT_LE(final_count[me], 2 * kTarget) << "goroutine " << me;
  }
}

// The same with more yielders than processors on several processors.
TEST(Scheduler, YieldFairnessManyBusyGoroutinesProcs2) {
  constexpr int kG = 6;
  constexpr long kTarget = 500;
  std::atomic<long> count[kG] = {};
  std::atomic<bool> gave_up{false};
  weft::run(procs_config(2), [&] {
    weft::wait_group wg;
    wg.add(kG);
    for (int me = 0; me < kG; me++) {
      weft::go([&, me] {
        // Loop until every goroutine has reached kTarget.
        for (long n = 0;; n++) {
          bool all = true;
          for (auto& c : count) all = all && c.load() >= kTarget;
          if (all) break;
          if (n >= kGiveUp) {
            gave_up = true;
            break;
          }
          count[me].fetch_add(1);
          weft::yield();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_FALSE(gave_up.load());
}

// Many more yielders than a block of the global queue holds (254 Gs), so
// the queue grows and drains across block edges. Once every goroutine has
// started, each round of yields passes through the queue in FIFO order:
// between two runs of one goroutine every other one runs once, give or take
// a ring's batch. A G lost at a block edge never finishes (main gives up
// waiting); one queued a block out of order runs again too soon.
TEST(Scheduler, YieldersCrossGlobalQueueBlocksInFifoOrder) {
  constexpr int kG = 1000;
  constexpr int kRounds = 5;
  long events = 0;
  int started = 0;
  int finished = 0;
  long too_soon = 0;
  auto st = weft::run(procs_config(1), [&] {
    for (int me = 0; me < kG; me++) {
      weft::go([&] {
        started++;
        while (started < kG) weft::yield();
        long last = -1;
        for (int r = 0; r < kRounds; r++) {
          long seq = events++;
          // Every other G runs once in between, less what the 61st-tick
          // poll of the global queue lets a G overtake: at most the ring's
          // batch from the queue (128 Gs).
          if (last >= 0 && seq - last < kG - 200) too_soon++;
          last = seq;
          weft::yield();
        }
        finished++;
      });
    }
    // Main yields with them: each of its turns is one round of all.
    for (int turn = 0; finished < kG && turn < 1000; turn++) weft::yield();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_EQ(finished, kG) << "goroutines lost in the global queue";
  EXPECT_EQ(events, long{kG} * kRounds);
  EXPECT_EQ(too_soon, 0);
}

// The same on two processors: every yield comes back exactly once.
TEST(Scheduler, YieldersCrossGlobalQueueBlocksProcs2) {
  constexpr int kG = 1000;
  constexpr int kRounds = 5;
  std::atomic<long> runs{0};
  auto st = weft::run(procs_config(2), [&] {
    weft::wait_group wg;
    wg.add(kG);
    for (int me = 0; me < kG; me++) {
      weft::go([&] {
        for (int r = 0; r < kRounds; r++) {
          runs.fetch_add(1);
          weft::yield();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_EQ(runs.load(), long{kG} * kRounds);
}

// Go #13546: goroutines that busy-wait (no yield: each holds its processor)
// while main loops on yield(). Main spawns S1 then S2, so S2 runs on main's
// P and S1 waits in that P's ring for the other P to steal it. The other P
// must not spend itself on main alone: main yields to the global queue,
// and a P that always takes the global queue before stealing picks main
// back up forever. S1 must start while main is still yielding.
TEST(Scheduler, YieldingMainDoesNotStarveLocalGoroutines) {
  // Whether the other P steals S1 before main first yields is a race; the
  // starvation needs main to win it, so several rounds (it stops at the
  // first starved one).
  constexpr int kRounds = 10;
  constexpr unsigned kP = 2;
  const auto kMainPatience = std::chrono::seconds(3);
  for (int round = 0; round < kRounds; round++) {
    std::atomic<unsigned> x{0};
    std::atomic<bool> spinner_gave_up{false};
    bool all_started_while_main_yielded = false;
    weft::run(procs_config(kP), [&] {
      weft::wait_group wg;
      wg.add(kP);
      for (unsigned p = 0; p < kP; p++) {
        weft::go([&] {
          x.fetch_add(1);
          auto deadline = std::chrono::steady_clock::now() + weft_test::kPatience;
          while (x.load() != kP) {  // busy: holds its processor
            if (std::chrono::steady_clock::now() > deadline) {
              spinner_gave_up = true;
              break;
            }
          }
          wg.done();
        });
      }
      auto deadline = std::chrono::steady_clock::now() + kMainPatience;
      while (x.load() != kP && std::chrono::steady_clock::now() < deadline) weft::yield();
      all_started_while_main_yielded = x.load() == kP;
      wg.wait();  // lets the other P steal S1 at last, so that the test ends
    });
    ASSERT_TRUE(all_started_while_main_yielded)
        << "round " << round
        << ": a goroutine in a busy P's ring starved while main yielded on the other P";
    EXPECT_EQ(x.load(), kP);
    EXPECT_FALSE(spinner_gave_up.load());
  }
}

// The same with the waiting goroutine in the busy P's runnext rather than
// its ring (found by fuzz_chan_ops): main readies B by sending to it, so B
// lands in main's runnext, then main busy-waits for B. The other P runs
// only C, which keeps yielding (so the global queue is never empty); its
// fairness steal pass must take runnext too, or B never runs.
TEST(Scheduler, YieldingGoroutineDoesNotStarveRunnextOfBusyP) {
  constexpr int kRounds = 5;
  const auto kMainPatience = std::chrono::seconds(3);
  for (int round = 0; round < kRounds; round++) {
    std::atomic<bool> done{false};
    std::atomic<weft::detail::goroutine*> b{nullptr};
    bool b_ran_while_main_spun = false;
    weft::run(procs_config(2), [&] {
      weft::chan<int> ch(0);
      weft::go([&, ch] {
        b = static_cast<weft::detail::goroutine*>(weft::detail::current_task());
        (void)ch.recv();
        done = true;
      });
      weft::go([&] {
        while (!done.load()) weft::yield();
      });
      // Until B is parked in recv (white-box: its status).
      while (b.load() == nullptr ||
             b.load()->status.load(std::memory_order_relaxed) != weft::detail::gstatus::waiting)
        weft::yield();
      ch.send(1);  // readies B into this P's runnext
      auto deadline = std::chrono::steady_clock::now() + kMainPatience;
      while (!done.load() && std::chrono::steady_clock::now() < deadline) {
      }
      b_ran_while_main_spun = done.load();
      done = true;  // lets C finish if B starved
    });
    ASSERT_TRUE(b_ran_while_main_spun)
        << "round " << round << ": a goroutine in a busy P's runnext starved";
  }
}

// #13546 on one processor, where the waiters must yield too.
TEST(Scheduler, YieldingMainDoesNotStarveLocalGoroutinesProcs1) {
  constexpr unsigned kN = 4;
  std::atomic<unsigned> x{0};
  std::atomic<bool> gave_up{false};
  weft::run(procs_config(1), [&] {
    weft::wait_group wg;
    wg.add(kN);
    for (unsigned i = 0; i < kN; i++) {
      weft::go([&] {
        x.fetch_add(1);
        for (long n = 0; x.load() != kN; n++) {
          if (n > kGiveUp) {
            gave_up = true;
            break;
          }
          weft::yield();
        }
        wg.done();
      });
    }
    for (long n = 0; x.load() != kN && n < kGiveUp; n++) weft::yield();
    wg.wait();
  });
  EXPECT_EQ(x.load(), kN);
  EXPECT_FALSE(gave_up.load());
}

// Two goroutines ping-pong through yield() forever; a third, readied into
// the global queue by a plain thread, must still run and stop them.
TEST(Scheduler, YieldPingPongDoesNotStarveGlobalQueue) {
  std::atomic<bool> stop{false}, gave_up{false}, c_ran{false};
  std::atomic<long> yields{0};
  weft::run(procs_config(1), [&] {
    weft::wait_group finished;
    finished.add(3);
    for (int i = 0; i < 2; i++) {
      weft::go([&] {
        while (!stop.load()) {
          if (yields.fetch_add(1) > kGiveUp) {
            gave_up = true;
            break;
          }
          weft::yield();
        }
        finished.done();
      });
    }
    std::thread t([&] {
      // Once the ping-pong is under way, spawn C from outside the runtime:
      // it goes to the global queue.
      eventually([&] { return yields.load() > 100 || gave_up.load(); });
      weft::go([&] {
        c_ran = true;
        stop = true;
        finished.done();
      });
    });
    finished.wait();
    weft::blocking([&] { t.join(); });
  });
  EXPECT_TRUE(c_ran.load());
  EXPECT_FALSE(gave_up.load());
}

// ---- runnext chains (Go #52934) ---------------------------------------------------------

// A chain of goroutines, each spawning its successor (which goes to runnext)
// and returning: the chain's next link is always in runnext.
struct chain {
  std::atomic<long> links{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> gave_up{false};
  weft::wait_group* finished = nullptr;

  static void link(chain* c) {
    long n = c->links.fetch_add(1) + 1;
    if (c->stop.load() || n >= kGiveUp) {
      if (!c->stop.load()) c->gave_up = true;
      c->finished->done();
      return;
    }
    weft::go(&chain::link, c);
  }
};

// A goroutine in the P's ring behind a runnext chain runs within the
// 32-pick streak limit.
TEST(Scheduler, SpawnChainDoesNotStarveRing) {
  chain ch;
  long links_when_c_ran = -1;
  weft::run(procs_config(1), [&] {
    weft::wait_group finished;
    finished.add(2);
    ch.finished = &finished;
    weft::go([&] {
      // C goes to runnext, then the chain's first link displaces it into
      // the ring; from then on every link is a runnext pick.
      weft::go([&] {
        links_when_c_ran = ch.links.load();
        ch.stop = true;
        finished.done();
      });
      weft::go(&chain::link, &ch);
    });
    finished.wait();
  });
  EXPECT_FALSE(ch.gave_up.load()) << "the chain starved the ring";
  EXPECT_GE(links_when_c_ran, 0);
  EXPECT_LE(links_when_c_ran, kFairBound);
}

// A goroutine readied into the global queue (by a plain thread finishing a
// wait_group it waits on) runs while a runnext chain keeps the only P busy:
// the 61st-tick poll.
TEST(Scheduler, SpawnChainDoesNotStarveGlobalQueue) {
  chain ch;
  std::atomic<bool> c_parked{false};
  long links_at_ready = -1, links_when_c_ran = -1;
  weft::run(procs_config(1), [&] {
    weft::wait_group finished, gate;
    finished.add(2);
    gate.add(1);
    ch.finished = &finished;
    weft::go([&] {
      c_parked = true;
      gate.wait();  // woken by the plain thread: queued globally
      links_when_c_ran = ch.links.load();
      ch.stop = true;
      finished.done();
    });
    weft::go(&chain::link, &ch);
    std::thread t([&] {
      // C set c_parked and then either parked or kept the only P; the chain
      // moving on shows that it parked.
      eventually([&] { return c_parked.load(); });
      long seen = ch.links.load();
      eventually([&] { return ch.links.load() > seen + 100 || ch.gave_up.load(); });
      links_at_ready = ch.links.load();
      gate.done();
    });
    finished.wait();
    weft::blocking([&] { t.join(); });
  });
  EXPECT_FALSE(ch.gave_up.load()) << "the chain starved the global queue";
  ASSERT_GE(links_at_ready, 0);
  EXPECT_GE(links_when_c_ran, links_at_ready);
  EXPECT_LE(links_when_c_ran - links_at_ready, kFairBound);
}

// The same readied by go() from a plain thread.
TEST(Scheduler, SpawnChainDoesNotStarveGoFromPlainThread) {
  chain ch;
  long links_at_spawn = -1, links_when_c_ran = -1;
  weft::run(procs_config(1), [&] {
    weft::wait_group finished;
    finished.add(2);
    ch.finished = &finished;
    weft::go(&chain::link, &ch);
    std::thread t([&] {
      eventually([&] { return ch.links.load() > 100; });
      links_at_spawn = ch.links.load();
      weft::go([&] {
        links_when_c_ran = ch.links.load();
        ch.stop = true;
        finished.done();
      });
    });
    finished.wait();
    weft::blocking([&] { t.join(); });
  });
  EXPECT_FALSE(ch.gave_up.load());
  ASSERT_GE(links_at_spawn, 0);
  EXPECT_LE(links_when_c_ran - links_at_spawn, kFairBound);
}

// ---- wait_group ping-pong through runnext -------------------------------------------------

// Two players hand a turn back and forth through two wait_groups: each
// done() readies the other into runnext, so the P picks runnext forever.
struct ping_pong {
  weft::wait_group turn[2];
  std::atomic<long> rounds{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> gave_up{false};

  ping_pong() {
    turn[0].add(1);
    turn[1].add(1);
  }
  // Player `me`; on_first_turn runs once, inside its first turn.
  template <class F>
  void play(int me, F on_first_turn) {
    for (bool first = true;; first = false) {
      turn[me].wait();
      turn[me].add(1);
      if (first) on_first_turn();
      long r = rounds.fetch_add(1) + 1;
      if (r >= kGiveUp && !stop.load()) gave_up = true;
      bool end = stop.load() || gave_up.load();
      turn[1 - me].done();
      if (end) return;
    }
  }
  void start() { turn[0].done(); }
};

// A goroutine in the ring while two goroutines alternate through runnext:
// the 32-streak rule must let it run.
TEST(Scheduler, WaitGroupPingPongDoesNotStarveRing) {
  ping_pong pp;
  long rounds_when_c_ran = -1;
  weft::run(procs_config(1), [&] {
    weft::wait_group finished;
    finished.add(3);
    auto spawn_c = [&] {
      // From player 0's first turn: C goes to runnext, then player 0's
      // done() readies player 1 into runnext and C into the ring.
      weft::go([&] {
        rounds_when_c_ran = pp.rounds.load();
        pp.stop = true;
        finished.done();
      });
    };
    weft::go([&] {
      pp.play(0, spawn_c);
      finished.done();
    });
    weft::go([&] {
      pp.play(1, [] {});
      finished.done();
    });
    pp.start();
    finished.wait();
  });
  EXPECT_FALSE(pp.gave_up.load()) << "the ping-pong starved the ring";
  EXPECT_GE(rounds_when_c_ran, 0);
  EXPECT_LE(rounds_when_c_ran, kFairBound);
}

// A goroutine readied into the global queue while two goroutines alternate
// through runnext: the 61st-tick poll must let it run.
TEST(Scheduler, WaitGroupPingPongDoesNotStarveGlobalQueue) {
  ping_pong pp;
  std::atomic<bool> c_parked{false};
  long rounds_at_ready = -1, rounds_when_c_ran = -1;
  weft::run(procs_config(1), [&] {
    weft::wait_group finished, gate;
    finished.add(3);
    gate.add(1);
    weft::go([&] {
      c_parked = true;
      gate.wait();
      rounds_when_c_ran = pp.rounds.load();
      pp.stop = true;
      finished.done();
    });
    for (int me = 0; me < 2; me++) {
      weft::go([&, me] {
        pp.play(me, [] {});
        finished.done();
      });
    }
    pp.start();
    std::thread t([&] {
      eventually([&] { return c_parked.load(); });
      long seen = pp.rounds.load();
      eventually([&] { return pp.rounds.load() > seen + 100 || pp.gave_up.load(); });
      rounds_at_ready = pp.rounds.load();
      gate.done();
    });
    finished.wait();
    weft::blocking([&] { t.join(); });
  });
  EXPECT_FALSE(pp.gave_up.load()) << "the ping-pong starved the global queue";
  ASSERT_GE(rounds_at_ready, 0);
  EXPECT_GE(rounds_when_c_ran, rounds_at_ready);
  EXPECT_LE(rounds_when_c_ran - rounds_at_ready, kFairBound);
}

// ---- channel operations as safe points --------------------------------------------

// One goroutine per P loops on a buffered channel of its own, which is always
// ready, so none of them ever blocks; the goroutine that would stop them was
// queued before them. Without the safe point in channel operations it never
// runs and the loopers reach kGiveUp (found by fuzz_chan_ops: two routers
// passing values back and forth through a buffered channel on both Ps,
// while the producer they waited for starved).
void loopers_do_not_starve_a_queued_goroutine(unsigned procs) {
  std::atomic<long> worst{0};
  weft::run(procs_config(procs), [&] {
    weft::chan<int> stop(0);
    weft::go([stop]() mutable { stop.close(); });  // queued first, behind the loopers
    weft::wait_group wg;
    wg.add(static_cast<int>(procs));
    for (unsigned k = 0; k < procs; k++) {
      weft::go([&, stop] {
        weft::chan<int> mine(1);
        long n = 0;
        while (n < kGiveUp && stop.try_recv().status != weft::chan_status::closed) {
          mine.send(1);
          (void)mine.recv();
          n++;
        }
        long w = worst.load();
        while (n > w && !worst.compare_exchange_weak(w, n)) {
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_LT(worst.load(), kGiveUp)
      << "a goroutine queued behind always-ready channel loops starved";
}

TEST(Scheduler, ChannelLoopsThatNeverBlockDoNotStarveOthersProcs1) {
  loopers_do_not_starve_a_queued_goroutine(1);
}

TEST(Scheduler, ChannelLoopsThatNeverBlockDoNotStarveOthersProcs2) {
  loopers_do_not_starve_a_queued_goroutine(2);
}

}  // namespace
