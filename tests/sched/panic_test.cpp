// panic_test.cpp: the ways a goroutine ends the program. An exception that
// escapes a goroutine prints "panic: <what>" and the goroutine dump and
// exits with code 2; a stack overflow lands on the guard page and prints
// "goroutine N: stack overflow (stack size S bytes)" from the SIGSEGV
// handler, then aborts. Death tests throughout.
#include <climits>
#include <csignal>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "sched_test_util.hpp"

namespace {

using weft_test::procs_config;

// Depth limit the compiler cannot see through, so that the recursion is not
// flagged as infinite nor turned into a loop.
volatile int g_depth_limit = INT_MAX;

int recurse(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  frame[sizeof frame - 1] = static_cast<char>(depth);
  if (depth >= g_depth_limit) return frame[0];
  return recurse(depth + 1) + frame[0] + frame[sizeof frame - 1];
}

TEST(Runtime, StackOverflowPrintsGoroutineAndStackSize) {
  if (weft_test::under_asan()) GTEST_SKIP() << "ASan handles SIGSEGV itself";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::config c = procs_config(2);
    c.stack_size = 64 * 1024;
    weft::run(c, [] {
      weft::wait_group wg;
      wg.add(1);
      weft::go([&] {
        recurse(0);
        wg.done();
      });
      wg.wait();
    });
  };
  EXPECT_DEATH(body(), "goroutine [0-9]+: stack overflow \\(stack size [0-9]+ bytes\\)");
}

// The main goroutine too, and the size printed is the configured one.
TEST(Runtime, StackOverflowInMainGoroutineNamesGoroutineOne) {
  if (weft_test::under_asan()) GTEST_SKIP() << "ASan handles SIGSEGV itself";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::config c = procs_config(1);
    c.stack_size = 128 * 1024;
    weft::run(c, [] { recurse(0); });
  };
  EXPECT_DEATH(body(), "goroutine 1: stack overflow \\(stack size 131072 bytes\\)");
}

// A SIGSEGV that is not a stack overflow keeps its ordinary meaning: no
// stack overflow message, death by the signal.
TEST(Runtime, UnrelatedSegfaultIsNotReportedAsStackOverflow) {
  if (weft_test::under_sanitizer()) GTEST_SKIP() << "sanitizers handle SIGSEGV themselves";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::run(procs_config(1), [] {
      volatile int* volatile p = nullptr;
      *p = 1;
    });
  };
  EXPECT_EXIT(body(), ::testing::KilledBySignal(SIGSEGV), "");
}

#if defined(__cpp_exceptions)
TEST(Runtime, ExceptionEscapingGoroutineIsPanic) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    weft::run(procs_config(2), [] {
      weft::wait_group wg;
      wg.add(1);
      weft::go([] { throw std::runtime_error("boom"); });
      wg.wait();
    });
  };
  // The message, then the dump: the panicking goroutine runs, main waits.
  EXPECT_EXIT(body(), ::testing::ExitedWithCode(2),
              "^panic: boom\n\ngoroutine [0-9]+ \\[running\\]:\n");
}

TEST(Runtime, PanicErrorEscapingMainGoroutineIsPanic) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(weft::run(procs_config(1), [] { throw weft::panic_error("boom"); }),
              ::testing::ExitedWithCode(2), "^panic: boom\n\ngoroutine 1 \\[running\\]:\n");
}

TEST(Runtime, NonStdExceptionEscapingGoroutineIsPanic) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(weft::run(procs_config(1), [] { throw 42; }), ::testing::ExitedWithCode(2),
              "^panic: ");
}

// Caught inside the goroutine, a panic is an ordinary exception.
TEST(Runtime, PanicCaughtInsideGoroutineIsRecovered) {
  std::string what;
  auto st = weft::run(procs_config(2), [&] {
    weft::wait_group wg;
    wg.add(1);
    weft::go([&] {
      try {
        throw weft::panic_error("recovered");
      } catch (const weft::panic_error& e) {
        what = e.what();
      }
      wg.done();
    });
    wg.wait();
  });
  EXPECT_EQ(st, weft::exit_status::ok);
  EXPECT_EQ(what, "recovered");
  static_assert(std::is_base_of_v<std::logic_error, weft::panic_error>);
}
#endif

}  // namespace
