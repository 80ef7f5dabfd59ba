// timer_test.cpp: weft::timer (Go's time.Timer) with Go 1.23 semantics: once
// stop() or reset() returns, no value from before the call is received.
#include <chrono>

#include "../chan/weft_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using weft::chan_status;
using weft::clock;

class Timer : public weft_test::Procs {};
WEFT_PROCS_SUITE(Timer);

TEST_P(Timer, Fires) {
  run([] {
    auto start = clock::now();
    weft::timer t(3ms);
    auto v = t.c().recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - start, 3ms);
    EXPECT_FALSE(t.stop());  // already fired and received
  });
}

TEST_P(Timer, StopBeforeFiring) {
  run([] {
    weft::timer t(1h);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop());  // already stopped
    EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);
  });
}

// Go 1.23: a value that fired but was not received is discarded by stop();
// stop() reports true, as the value was never delivered.
TEST_P(Timer, StopDiscardsAnUndeliveredValue) {
  run([] {
    weft::timer t(1ms);
    weft::sleep_for(5ms);  // let it fire into the channel
    EXPECT_TRUE(t.stop());
    EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);  // no stale value
  });
}

TEST_P(Timer, ResetDiscardsAStaleValue) {
  run([] {
    weft::timer t(1ms);
    weft::sleep_for(5ms);  // fired, not received
    auto before = clock::now();
    t.reset(4ms);
    auto v = t.c().recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v, before + 4ms);  // the new value, not the stale one
  });
}

TEST_P(Timer, ResetAPendingTimer) {
  run([] {
    weft::timer t(1h);
    auto before = clock::now();
    EXPECT_TRUE(t.reset(2ms));  // it was active
    EXPECT_TRUE(t.c().recv().has_value());
    EXPECT_GE(clock::now() - before, 2ms);
    EXPECT_FALSE(t.reset(1ms));  // fired and received: not active
    EXPECT_TRUE(t.c().recv().has_value());
  });
}

TEST_P(Timer, StopRacesWithFiring) {
  run([] {
    // Whatever the race, after stop() returns the channel stays empty.
    for (int i = 0; i < 200; ++i) {
      weft::timer t(std::chrono::microseconds(i % 20));
      for (int k = 0; k < i % 3; ++k) weft::yield();
      t.stop();
      EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);
    }
  });
}

TEST_P(Timer, DestroyedWhilePending) {
  run([] {
    for (int i = 0; i < 100; ++i) weft::timer t{std::chrono::microseconds(i)};
  });
}

TEST_P(Timer, Movable) {
  run([] {
    weft::timer a(2ms);
    weft::timer b(std::move(a));
    EXPECT_TRUE(b.c().recv().has_value());
    a = weft::timer(1h);
    EXPECT_TRUE(a.stop());
  });
}

}  // namespace
