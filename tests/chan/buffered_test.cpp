// buffered_test.cpp: chan<T>(n > 0), the ring-buffer flavor, in crossbeam's
// order: smoke, capacity, close, try ops, spsc, mpmc, stress, destructors.
#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "weft_test_util.hpp"

namespace {

using weft::chan;
using weft::chan_status;
using weft_test::counted;

class Buffered : public weft_test::Procs {};
WEFT_PROCS_SUITE(Buffered);

TEST_P(Buffered, Smoke) {
  run([] {
    chan<int> ch(1);
    ch.send(7);
    EXPECT_EQ(ch.recv(), 7);
  });
}

TEST_P(Buffered, Capacity) {
  run([] {
    for (std::size_t cap : {1u, 2u, 10u}) {
      chan<int> ch(cap);
      EXPECT_EQ(ch.capacity(), cap);
      for (std::size_t i = 0; i < cap; ++i) {
        EXPECT_EQ(ch.size(), i);
        EXPECT_EQ(ch.try_send(static_cast<int>(i)), chan_status::ok);
      }
      EXPECT_EQ(ch.size(), cap);
      EXPECT_EQ(ch.try_send(-1), chan_status::not_ready);  // full
      for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(ch.recv(), static_cast<int>(i));
      EXPECT_EQ(ch.size(), 0u);
    }
  });
}

TEST_P(Buffered, Fifo) {
  run([] {
    chan<int> ch(100);
    for (int i = 0; i < 100; ++i) ch.send(i);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(ch.recv(), i);
  });
}

TEST_P(Buffered, BufferedValuesAreDeliveredAfterClose) {
  run([] {
    chan<int> ch(3);
    ch.send(1);
    ch.send(2);
    ch.close();
    EXPECT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch.try_send(3), chan_status::closed);
    EXPECT_EQ(ch.recv(), 1);
    auto r = ch.try_recv();
    EXPECT_EQ(r.status, chan_status::ok);
    EXPECT_EQ(r.value, 2);
    EXPECT_EQ(ch.recv(), std::nullopt);
    EXPECT_EQ(ch.try_recv().status, chan_status::closed);
  });
}

TEST_P(Buffered, CloseWakesBlockedSenderWithPanic) {
#if defined(__cpp_exceptions)
  run([] {
    chan<int> ch(1);
    ch.send(0);  // full
    chan<std::string> result(1);
    weft::go([ch, result]() mutable {
      try {
        ch.send(1);
        result.send("sent");
      } catch (const weft::panic_error& e) {
        result.send(e.what());
      }
    });
    ch.close();
    EXPECT_EQ(result.recv(), "send on closed channel");
    EXPECT_EQ(ch.recv(), 0);  // the buffered value survives
    EXPECT_EQ(ch.recv(), std::nullopt);
  });
#else
  GTEST_SKIP() << "needs exceptions to observe the panic in another goroutine";
#endif
}

TEST_P(Buffered, TryOpsKeepTheValue) {
  run([] {
    chan<counted> ch(1);
    counted a(1), b(2);
    EXPECT_EQ(ch.try_send(std::move(a)), chan_status::ok);
    EXPECT_EQ(a.v, -1);
    EXPECT_EQ(ch.try_send(std::move(b)), chan_status::not_ready);
    EXPECT_EQ(b.v, 2);  // not lost
    ch.close();
    EXPECT_EQ(ch.try_send(std::move(b)), chan_status::closed);
    EXPECT_EQ(b.v, 2);  // not lost
    auto r = ch.try_recv();
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value->v, 1);
    EXPECT_EQ(ch.try_recv().status, chan_status::closed);
  });
}

// A sender parked on a full buffer: the receiver takes the head and moves
// the sender's value to the tail (Go's recv on a full channel), keeping FIFO.
TEST_P(Buffered, ParkedSenderJoinsTheTail) {
  run([] {
    chan<int> ch(2);
    ch.send(1);
    ch.send(2);
    chan<bool> sent(1);
    weft::go([ch, sent]() mutable {
      ch.send(3);
      sent.send(true);
    });
    // Give the sender the chance to park on the full buffer (the result is
    // the same if it has not: then it finds room later).
    for (int i = 0; i < 10; ++i) weft::yield();
    EXPECT_EQ(ch.recv(), 1);
    EXPECT_EQ(ch.recv(), 2);
    EXPECT_EQ(ch.recv(), 3);
    EXPECT_EQ(sent.recv(), true);
  });
}

TEST_P(Buffered, Spsc) {
  run([] {
    constexpr int kN = 50000;
    chan<int> ch(16);
    weft::go([ch]() mutable {
      for (int i = 0; i < kN; ++i) ch.send(i);
      ch.close();
    });
    int expect = 0;
    for (int v : ch) EXPECT_EQ(v, expect++);
    EXPECT_EQ(expect, kN);
  });
}

TEST_P(Buffered, Mpmc) {
  run([] {
    constexpr int kThreads = 4, kPer = 10000;
    chan<int> ch(8);
    chan<std::vector<int>> seen(kThreads);
    for (int t = 0; t < kThreads; ++t)
      weft::go([ch, t]() mutable {
        for (int i = 0; i < kPer; ++i) ch.send(t * kPer + i);
      });
    for (int t = 0; t < kThreads; ++t)
      weft::go([ch, seen]() mutable {
        std::vector<int> mine;
        for (int i = 0; i < kPer; ++i) mine.push_back(*ch.recv());
        seen.send(std::move(mine));
      });
    std::vector<int> all;
    for (int t = 0; t < kThreads; ++t) {
      auto v = *seen.recv();
      all.insert(all.end(), v.begin(), v.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<int> want(kThreads * kPer);
    std::iota(want.begin(), want.end(), 0);
    EXPECT_EQ(all, want);
  });
}

TEST_P(Buffered, StressCloseWhileBusy) {
  run([] {
    // Senders race a close: every send either lands (and is received) or
    // panics; with exceptions we count both, and nothing is lost.
    for (int round = 0; round < 50; ++round) {
      chan<int> ch(4);
      chan<int> done(2);
      weft::go([ch, done]() mutable {
        int n = 0;
        while (ch.recv()) ++n;
        done.send(n);
      });
      for (int i = 0; i < 20; ++i) ch.send(i);
      ch.close();
      EXPECT_EQ(done.recv(), 20);
    }
  });
}

TEST_P(Buffered, DestructorsRunOnceForReceivedValues) {
  counted::reset();
  run([] {
    chan<counted> ch(4);
    weft::go([ch]() mutable {
      for (int i = 0; i < 1000; ++i) ch.send(counted(i));
      ch.close();
    });
    int n = 0;
    for (auto&& v : ch) EXPECT_EQ(v.v, n++);
  });
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 1000);
}

TEST_P(Buffered, DestructorsRunForValuesLeftInTheChannel) {
  counted::reset();
  run([] {
    chan<counted> ch(10);
    for (int i = 0; i < 7; ++i) ch.send(counted(i));
    EXPECT_EQ(ch.recv()->v, 0);
    // Wrap around the ring before the last handle goes.
    for (int i = 7; i < 10; ++i) ch.send(counted(i));
    chan<counted> copy = ch;
    ch = chan<counted>();
    EXPECT_EQ(counted::destroyed.load(), 1);  // the copy keeps the rest alive
    EXPECT_EQ(copy.size(), 9u);
  });
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 10);
}

TEST_P(Buffered, DestructorsAcrossGoroutinesLastHandleWins) {
  counted::reset();
  run([] {
    chan<int> done(4);
    {
      chan<counted> ch(64);
      for (int g = 0; g < 4; ++g)
        weft::go([ch, done, g]() mutable {
          for (int i = 0; i < 10; ++i) ch.send(counted(g * 10 + i));
          ch = chan<counted>();  // drop this handle before saying done
          done.send(1);
        });
    }  // our handle is gone; the goroutines' copies keep the channel alive
    for (int g = 0; g < 4; ++g) done.recv();
  });
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 40);
}

}  // namespace
