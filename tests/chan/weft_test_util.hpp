// weft_test_util.hpp: shared helpers for the channel, select, time, sync and
// gochan suites (tests/chan, tests/sync, tests/time, tests/gochan).
//
//   class MySuite : public weft_test::Procs {};      // TEST_P(MySuite, X) { run([&] { ... }); }
//   WEFT_PROCS_SUITE(MySuite);                       // instantiates procs=1 and procs=2
//   WEFT_EXPECT_PANIC(ch.send(1), "send on closed channel");
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <weft/weft.hpp>

namespace weft_test {

inline weft::config config_for(unsigned procs) {
  weft::config c;
  c.procs = procs;
  return c;
}

// Runs a test body as goroutine 1 of a fresh runtime, with GetParam() procs.
class Procs : public ::testing::TestWithParam<unsigned> {
 public:
  static void SetUpTestSuite() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }

 protected:
  // Runs body, then waits for every goroutine it started to finish: run()
  // abandons goroutines still alive when goroutine 1 returns (as Go's main
  // does), and the channel handles they hold would then be reported as
  // leaks under LeakSanitizer.
  template <class F>
  void run(F&& body) {
    EXPECT_EQ(weft::run(config_for(GetParam()),
                        [&] {
                          body();
                          wait_for_goroutines();
                        }),
              weft::exit_status::ok);
  }
  static void wait_for_goroutines() {
    auto deadline = weft::clock::now() + std::chrono::seconds(30);
    while (weft::num_goroutines() > 1) {
      if (weft::clock::now() > deadline) {
        ADD_FAILURE() << weft::num_goroutines() - 1 << " goroutine(s) never finished";
        return;
      }
      weft::yield();
    }
  }
  unsigned procs() const { return GetParam(); }
};

// Counts live instances, to check that every value is destroyed exactly once.
struct counted {
  static inline weft::sys::atomic<std::int64_t> live{0};
  static inline weft::sys::atomic<std::int64_t> destroyed{0};
  int v;
  explicit counted(int x) : v(x) { live.fetch_add(1, std::memory_order_relaxed); }
  counted(const counted&) = delete;  // move-only: every value has one owner
  counted(counted&& o) noexcept : v(o.v) {
    o.v = -1;  // moved-from marker
    live.fetch_add(1, std::memory_order_relaxed);
  }
  counted& operator=(const counted&) = delete;
  counted& operator=(counted&&) = delete;
  ~counted() {
    live.fetch_sub(1, std::memory_order_relaxed);
    if (v >= 0) destroyed.fetch_add(1, std::memory_order_relaxed);
  }
  static void reset() {
    live.store(0);
    destroyed.store(0);
  }
};

// A plain OS thread started inside a running runtime. The deadlock detector
// cannot see plain threads (docs/runtime.md, "Deadlock detection"), so a
// keeper goroutine waits for this one inside weft::blocking() until it ends;
// meanwhile goroutines may park waiting for the thread without a false
// deadlock report. join() must be called (from a goroutine).
class plain_thread {
 public:
  template <class F>
  explicit plain_thread(F&& f) : t_(std::decay_t<F>(std::forward<F>(f))), joined_(1) {
    weft::go([this] {
      weft::blocking([this] { t_.join(); });
      joined_.send(1);
    });
  }
  plain_thread(const plain_thread&) = delete;
  plain_thread& operator=(const plain_thread&) = delete;
  void join() { joined_.recv(); }

 private:
  weft::sys::thread t_;
  weft::chan<int> joined_;
};

}  // namespace weft_test

#define WEFT_PROCS_SUITE(Suite)                                              \
  INSTANTIATE_TEST_SUITE_P(P, Suite, ::testing::Values(1u, 2u),              \
                           [](const ::testing::TestParamInfo<unsigned>& i) { \
                             return "procs" + std::to_string(i.param);       \
                           })

// A Go panic: weft::panic_error with exceptions, else the process dies with
// the message (a death test; the child re-runs the test up to this point).
#if defined(__cpp_exceptions)
#define WEFT_EXPECT_PANIC(stmt, text)                  \
  do {                                                 \
    try {                                              \
      stmt;                                            \
      ADD_FAILURE() << "expected a panic: " << (text); \
    } catch (const weft::panic_error& e) {             \
      EXPECT_STREQ(e.what(), (text));                  \
    }                                                  \
  } while (0)
#else
#define WEFT_EXPECT_PANIC(stmt, text) EXPECT_DEATH(stmt, text)
#endif
