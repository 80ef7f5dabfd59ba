// ticker_test.cpp: weft::ticker (Go's time.Ticker): periodic ticks, dropped
// when the receiver is behind; no tick after stop()/reset() returns.
#include <chrono>

#include "../chan/weft_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using weft::chan_status;
using weft::clock;

class Ticker : public weft_test::Procs {};
WEFT_PROCS_SUITE(Ticker);

TEST_P(Ticker, Ticks) {
  run([] {
    auto start = clock::now();
    weft::ticker t(2ms);
    clock::time_point prev{};
    for (int i = 0; i < 5; ++i) {
      auto v = t.c().recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_GT(*v, prev);
      prev = *v;
    }
    EXPECT_GE(clock::now() - start, 10ms);
    t.stop();
  });
}

TEST_P(Ticker, SlowReceiverMissesTicks) {
  run([] {
    weft::ticker t(1ms);
    weft::sleep_for(10ms);
    // At most one tick is buffered.
    EXPECT_LE(t.c().size(), 1u);
    t.stop();
  });
}

TEST_P(Ticker, NoTickAfterStop) {
  run([] {
    weft::ticker t(1ms);
    t.c().recv();
    t.stop();
    EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);
    weft::sleep_for(5ms);
    EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);
  });
}

TEST_P(Ticker, Reset) {
  run([] {
    weft::ticker t(1h);
    auto before = clock::now();
    t.reset(2ms);
    EXPECT_TRUE(t.c().recv().has_value());
    EXPECT_GE(clock::now() - before, 2ms);
    t.stop();
  });
}

TEST_P(Ticker, StopRacesWithTicks) {
  run([] {
    for (int i = 0; i < 50; ++i) {
      weft::ticker t(std::chrono::microseconds(50 + i));
      for (int k = 0; k < i % 4; ++k) weft::yield();
      t.stop();
      EXPECT_EQ(t.c().try_recv().status, chan_status::not_ready);
    }
  });
}

TEST_P(Ticker, NonPositivePeriodPanics) {
  run([] { WEFT_EXPECT_PANIC(weft::ticker t(0ms), "non-positive interval for NewTicker"); });
}

}  // namespace
