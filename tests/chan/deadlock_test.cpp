// deadlock_test.cpp: the deadlock report names each blocked goroutine's
// wait reason (Go's words) and the file:line of the blocking call:
//
//   fatal error: all goroutines are asleep - deadlock!
//   goroutine 1 [chan receive]:
//           .../deadlock_test.cpp:NN
//
// Each body is written on the line after `line = __LINE__ + 1`.
#include <string>

#include "weft_test_util.hpp"

namespace {

using weft::chan;

class Deadlock : public weft_test::Procs {
 protected:
  template <class F>
  void expect_report(F body, const std::string& reason, int line) {
    const unsigned p = GetParam();
    EXPECT_EXIT(weft::run(weft_test::config_for(p), body), ::testing::ExitedWithCode(2),
                "fatal error: all goroutines are asleep - deadlock!.*goroutine 1 \\[" + reason +
                    "\\]:.*deadlock_test\\.cpp:" + std::to_string(line));
  }
};
WEFT_PROCS_SUITE(Deadlock);

// The bodies below must stay on the lines the tests name.
// clang-format off

TEST_P(Deadlock, RecvOnEmptyChannel) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch(0); (void)ch.recv(); };
  expect_report(body, "chan receive", line);
}

TEST_P(Deadlock, SendOnFullChannel) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch(1); ch.send(1); ch.send(2); };
  expect_report(body, "chan send", line);
}

// With one P, the channel's first operation claims it and the second
// parks without its lock (park_in_tenure); the report is the same.
TEST_P(Deadlock, RecvOnChannelDrainedBefore) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch(1); ch.send(1); (void)ch.recv(); (void)ch.recv(); };
  expect_report(body, "chan receive", line);
}

TEST_P(Deadlock, RecvOnNilChannel) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch; (void)ch.recv(); };
  expect_report(body, "chan receive \\(nil chan\\)", line);
}

TEST_P(Deadlock, SendOnNilChannel) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch; ch.send(1); };
  expect_report(body, "chan send \\(nil chan\\)", line);
}

TEST_P(Deadlock, RangeOverOpenChannel) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> ch(0); for (int v : ch) (void)v; };
  expect_report(body, "chan receive", line);
}

TEST_P(Deadlock, SelectWithNoCases) {
  const int line = __LINE__ + 1;
  auto body = [] { weft::select(); };
  expect_report(body, "select \\(no cases\\)", line);
}

TEST_P(Deadlock, BlockingSelect) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> a(0), b(0); weft::select(weft::on_recv(a), weft::on_send(b, 1)); };
  expect_report(body, "select", line);
}

TEST_P(Deadlock, SelectOnNilChannelsOnly) {
  const int line = __LINE__ + 1;
  auto body = [] { chan<int> a; weft::select(weft::on_recv(a), weft::on_send(a, 1)); };
  expect_report(body, "select", line);
}

TEST_P(Deadlock, DynamicSelect) {
  const int line = __LINE__ + 2;
  auto body = [] { chan<int> a(0); weft::select_set s; s.add(weft::on_recv(a));
                   s.select(); };
  expect_report(body, "select", line);
}

TEST_P(Deadlock, MutexLockedTwice) {
  const int line = __LINE__ + 1;
  auto body = [] { weft::mutex m; m.lock(); m.lock(); };
  expect_report(body, "sync\\.Mutex\\.Lock", line);
}

TEST_P(Deadlock, CondWaitWithoutSignal) {
  const int line = __LINE__ + 1;
  auto body = [] { weft::mutex m; weft::cond c(m); m.lock(); c.wait(); };
  expect_report(body, "sync\\.Cond\\.Wait", line);
}

TEST_P(Deadlock, OnceCalledRecursively) {
  const int line = __LINE__ + 1;
  auto body = [] { weft::once o; o.call([&] { o.call([] {}); }); };
  expect_report(body, "sync\\.Once\\.Do", line);
}

// clang-format on

TEST_P(Deadlock, TwoGoroutinesEachWaitingForTheOther) {
  auto body = [] {
    chan<int> a(0), b(0);
    weft::go([a, b]() mutable {
      (void)a.recv();
      b.send(1);
    });
    (void)b.recv();
  };
  const unsigned p = GetParam();
  EXPECT_EXIT(weft::run(weft_test::config_for(p), body), ::testing::ExitedWithCode(2),
              "all goroutines are asleep - deadlock!.*goroutine [0-9]+ \\[chan receive\\]:.*"
              "goroutine [0-9]+ \\[chan receive\\]:");
}

// Timers keep the detector quiet: a goroutine waiting on after() is not
// deadlocked.
TEST_P(Deadlock, PendingTimerIsNotADeadlock) {
  run([] {
    using namespace std::chrono_literals;
    EXPECT_TRUE(weft::after(5ms).recv().has_value());
  });
}

}  // namespace
