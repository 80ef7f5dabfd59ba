// after_test.cpp: weft::after (Go's time.After) and timeouts through select.
#include <chrono>
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using weft::chan;
using weft::clock;

class After : public weft_test::Procs {};
WEFT_PROCS_SUITE(After);

TEST_P(After, DeliversTheTimeOnceAfterTheDuration) {
  run([] {
    auto start = clock::now();
    auto ch = weft::after(5ms);
    EXPECT_EQ(ch.capacity(), 1u);
    auto t = ch.recv();
    ASSERT_TRUE(t.has_value());
    EXPECT_GE(*t - start, 5ms);
    EXPECT_GE(clock::now() - start, 5ms);
    EXPECT_EQ(ch.try_recv().status, weft::chan_status::not_ready);  // once only
  });
}

TEST_P(After, NonPositiveDurationIsReadyAtOnce) {
  run([] {
    EXPECT_TRUE(weft::after(0ms).try_recv());
    EXPECT_TRUE(weft::after(-5ms).try_recv());
  });
}

TEST_P(After, TimeoutInSelect) {
  run([] {
    chan<int> never(0);
    auto start = clock::now();
    bool timed_out = false;
    int i = weft::select(weft::on_recv(never, [](std::optional<int>) { ADD_FAILURE(); }),
                         weft::on_recv(weft::after(3ms), [&] { timed_out = true; }));
    EXPECT_EQ(i, 1);
    EXPECT_TRUE(timed_out);
    EXPECT_GE(clock::now() - start, 3ms);
  });
}

TEST_P(After, ValueWinsOverALongTimeout) {
  run([] {
    chan<int> c(0);
    weft::go([c]() mutable { c.send(1); });
    int i = weft::select(weft::on_recv(c), weft::on_recv(weft::after(10s)));
    EXPECT_EQ(i, 0);
  });
}

TEST_P(After, ManyTimersEachFireNoEarlierThanTheirDeadline) {
  run([] {
    // Armed in reverse deadline order: the heap must still honour each one.
    auto start = clock::now();
    std::vector<chan<clock::time_point>> chans;
    for (int k = 7; k >= 0; --k) chans.push_back(weft::after(std::chrono::milliseconds(k)));
    for (int k = 7; k >= 0; --k) {
      auto t = chans[static_cast<std::size_t>(7 - k)].recv();
      ASSERT_TRUE(t.has_value());
      EXPECT_GE(*t - start, std::chrono::milliseconds(k));
    }
  });
}

TEST(AfterWithoutRuntime, PlainThread) {
  auto start = clock::now();
  EXPECT_TRUE(weft::after(2ms).recv().has_value());
  EXPECT_GE(clock::now() - start, 2ms);
}

}  // namespace
