// deadlock_test.cpp: Go's checkdead. When every goroutine is asleep for good,
// weft prints exactly
//
//   fatal error: all goroutines are asleep - deadlock!
//
//   goroutine 1 [sync.WaitGroup.Wait]:
//   	<file>:<line of the wait() call>
//
// (one entry per parked goroutine, by id) and exits with code 2, or with
// deadlock_policy::report returns exit_status::deadlock from run(). And
// never a report while a goroutine sleeps or is inside blocking().
//
// The report tests are death tests; the no-report tests use
// deadlock_policy::report, so that a false report fails the test (run()
// returns deadlock) without killing the binary.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "sched/runtime.hpp"  // white-box: the detector's preconditions
#include "sched_test_util.hpp"

namespace {

using weft_test::eventually;
using weft_test::procs_config;

// The wait() calls whose lines the reports must name. Each constant is the
// line of the wait() below it; a test that checks the line fails if they drift.
constexpr unsigned kMainWaitLine = __LINE__ + 4;
void main_waits_forever() {
  weft::wait_group wg;
  wg.add(1);
  wg.wait();
}

constexpr unsigned kWorkerWaitLine = __LINE__ + 3;
void worker_waits_forever(weft::wait_group& never) {
  // Parks here for good.
  never.wait();
}

constexpr unsigned kMutexLockLine = __LINE__ + 3;
void worker_locks_forever(weft::mutex& m) {
  // Parks here for good.
  m.lock();
}

std::string line_re(unsigned line) {
  return "\t[^\n]*tests/sched/deadlock_test\\.cpp:" + std::to_string(line) + "\n";
}

const std::string kHeaderRe = "^fatal error: all goroutines are asleep - deadlock!\n\n";

std::string entry_re(const std::string& id, const std::string& reason, unsigned line) {
  return "goroutine " + id + " \\[" + reason + "\\]:\n" + line_re(line) + "\n";
}

const std::string kWaitGroupRe = "sync\\.WaitGroup\\.Wait";

weft::config report_config(unsigned procs) {
  weft::config c = procs_config(procs);
  c.on_deadlock = weft::deadlock_policy::report;
  return c;
}

// ---- the report -----------------------------------------------------------------------

TEST(Deadlock, MainWaitingOnWaitGroupExits2WithReport) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string re = kHeaderRe + entry_re("1", kWaitGroupRe, kMainWaitLine) + "$";
  EXPECT_EXIT(weft::run(procs_config(1), &main_waits_forever), ::testing::ExitedWithCode(2), re);
  EXPECT_EXIT(weft::run(procs_config(2), [] { main_waits_forever(); }),
              ::testing::ExitedWithCode(2), re);
}

// deadlock_policy::abort is the default.
TEST(Deadlock, DefaultConfigAbortsWithExitCode2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(weft::run(&main_waits_forever), ::testing::ExitedWithCode(2),
              kHeaderRe + "goroutine 1 ");
}

// Every parked goroutine is listed, in id order, with where it blocked;
// finished goroutines are not.
TEST(Deadlock, ReportListsEveryParkedGoroutine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::run(procs_config(2), [] {
      static weft::wait_group never;
      never.add(1);
      for (int i = 0; i < 3; i++) weft::go([] { worker_waits_forever(never); });
      weft::go([] {});  // finishes: not in the report
      main_waits_forever();
    });
  };
  const std::string worker = entry_re("[0-9]+", kWaitGroupRe, kWorkerWaitLine);
  EXPECT_EXIT(
      body(), ::testing::ExitedWithCode(2),
      kHeaderRe + entry_re("1", kWaitGroupRe, kMainWaitLine) + worker + worker + worker + "$");
}

// Two goroutines each waiting for the other (and main for both).
TEST(Deadlock, TwoGoroutinesWaitingForEachOther) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::run(procs_config(2), [] {
      weft::wait_group a_done, b_done, both;
      a_done.add(1);
      b_done.add(1);
      both.add(2);
      weft::go([&] {
        b_done.wait();  // A waits for B ...
        a_done.done();
        both.done();
      });
      weft::go([&] {
        a_done.wait();  // ... and B for A
        b_done.done();
        both.done();
      });
      both.wait();
    });
  };
  const std::string any_wg = "goroutine [0-9]+ \\[sync\\.WaitGroup\\.Wait\\]:\n\t[^\n]+\n\n";
  EXPECT_EXIT(body(), ::testing::ExitedWithCode(2),
              kHeaderRe + "goroutine 1 \\[sync\\.WaitGroup\\.Wait\\]:\n\t[^\n]+\n\n" + any_wg +
                  any_wg + "$");
}

// Wait reasons use Go's words: a goroutine blocked on weft::mutex.
TEST(Deadlock, ReportShowsMutexWaitReason) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::run(procs_config(1), [] {
      static weft::mutex m;
      m.lock();
      weft::go([] { worker_locks_forever(m); });
      main_waits_forever();
    });
  };
  EXPECT_EXIT(body(), ::testing::ExitedWithCode(2),
              kHeaderRe + entry_re("1", kWaitGroupRe, kMainWaitLine) +
                  entry_re("[0-9]+", "sync\\.Mutex\\.Lock", kMutexLockLine) + "$");
}

// With deadlock_policy::report, run() returns exit_status::deadlock after
// printing the same report, and the process goes on: run() works again.
TEST(Deadlock, ReportPolicyReturnsDeadlockAndRunContinues) {
  for (int round = 0; round < 3; round++) {
    ::testing::internal::CaptureStderr();
    weft::exit_status st = weft::run(report_config(2), [] { main_waits_forever(); });
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(st, weft::exit_status::deadlock) << "round " << round;
    EXPECT_EQ(err.rfind("fatal error: all goroutines are asleep - deadlock!\n\n", 0), 0u) << err;
    EXPECT_NE(err.find("goroutine 1 [sync.WaitGroup.Wait]:\n"), std::string::npos) << err;
    EXPECT_NE(err.find("deadlock_test.cpp:" + std::to_string(kMainWaitLine) + "\n"),
              std::string::npos)
        << err;

    int ran = 0;
    EXPECT_EQ(weft::run(report_config(2),
                        [&] {
                          weft::wait_group wg;
                          wg.add(1);
                          weft::go([&] {
                            ran++;
                            wg.done();
                          });
                          wg.wait();
                        }),
              weft::exit_status::ok);
    EXPECT_EQ(ran, 1);
  }
}

// ---- no false reports -----------------------------------------------------------------

// Main sleeps while every other goroutine is parked: a pending timer means
// someone will wake, so no report.
TEST(Deadlock, NoReportWhileMainSleeps) {
  constexpr int kN = 4;
  int finished_count = 0;
  auto st = weft::run(report_config(2), [&] {
    weft::wait_group gate, finished;
    gate.add(1);
    finished.add(kN);
    for (int i = 0; i < kN; i++) {
      weft::go([&] {
        gate.wait();
        finished.done();
      });
    }
    weft::sleep_for(std::chrono::milliseconds(20));
    gate.done();
    finished.wait();
    finished_count = kN;
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_EQ(finished_count, kN);
}

// Main waits on a goroutine that sleeps.
TEST(Deadlock, NoReportWhileGoroutineSleeps) {
  auto st = weft::run(report_config(1), [] {
    weft::wait_group wg;
    wg.add(1);
    weft::go([&] {
      weft::sleep_for(std::chrono::milliseconds(20));
      wg.done();
    });
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
}

// Main waits on a goroutine that is inside blocking(); a plain thread ends
// the blocked call only once every M not in a blocking call is asleep (the
// moment the detector runs), so the detector has seen this state.
void no_report_while_blocking(unsigned procs) {
  std::mutex m;
  std::condition_variable cv;
  bool released = false;
  std::atomic<bool> all_idle_seen{false};
  auto st = weft::run(report_config(procs), [&] {
    weft::detail::runtime* rt = weft::detail::current_runtime();
    std::thread releaser([&] {
      all_idle_seen = eventually([&] {
        rt->lock.lock();
        bool idle = rt->npidle.load() == rt->nprocs.get() && rt->nmblocking.load() == 1 &&
                    rt->nmidle + 1 == rt->mcount;
        rt->lock.unlock();
        return idle;
      });
      std::lock_guard<std::mutex> l(m);
      released = true;
      cv.notify_all();
    });
    weft::wait_group wg;
    wg.add(1);
    weft::go([&] {
      weft::blocking([&] {
        std::unique_lock<std::mutex> l(m);
        cv.wait_for(l, weft_test::kPatience, [&] { return released; });
      });
      wg.done();
    });
    wg.wait();
    weft::blocking([&] { releaser.join(); });
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_TRUE(all_idle_seen.load()) << "the scenario (every other M asleep) never arose";
}

TEST(Deadlock, NoReportWhileGoroutineInBlockingProcs1) { no_report_while_blocking(1); }
TEST(Deadlock, NoReportWhileGoroutineInBlockingProcs2) { no_report_while_blocking(2); }

}  // namespace

// A deadlock that forms right after the last timer fires: main sleeps, then
// waits on a channel nobody sends on. The monitor fires the sleep and only
// then counts the timer as gone, so the M that parks main may still see it
// pending; the monitor must look again (models/runtime/deadlock_test.cpp
// explores every interleaving of this; here the real threads race it).
TEST(Deadlock, ReportedWhenTheLastTimerFiresIntoACycle) {
  for (unsigned procs : {1u, 2u}) {
    for (int i = 0; i < 5; ++i) {
      // Outside run(): main is abandoned blocked, its stack never unwinds.
      weft::chan<int> never(0);
      auto st = weft::run(report_config(procs), [&never] {
        weft::sleep_for(std::chrono::milliseconds(1));
        (void)never.recv();
      });
      EXPECT_EQ(st, weft::exit_status::deadlock) << "procs " << procs << ", run " << i;
    }
  }
}
