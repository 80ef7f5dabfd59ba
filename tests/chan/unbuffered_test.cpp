// unbuffered_test.cpp: chan<T>(0), the rendezvous flavor, in crossbeam's
// order: smoke, capacity, close, try ops, spsc, mpmc, stress, destructors.
#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "weft_test_util.hpp"

namespace {

using weft::chan;
using weft::chan_status;
using weft_test::counted;

class Unbuffered : public weft_test::Procs {};
WEFT_PROCS_SUITE(Unbuffered);

TEST_P(Unbuffered, Smoke) {
  run([] {
    chan<int> ch(0);
    weft::go([ch]() mutable { ch.send(7); });
    EXPECT_EQ(ch.recv(), 7);
  });
}

TEST_P(Unbuffered, SmokeReverse) {
  run([] {
    chan<int> ch(0);
    chan<int> got(1);
    weft::go([ch, got]() mutable { got.send(*ch.recv()); });
    ch.send(9);
    EXPECT_EQ(got.recv(), 9);
  });
}

TEST_P(Unbuffered, Capacity) {
  run([] {
    chan<int> ch(0);
    EXPECT_EQ(ch.capacity(), 0u);
    EXPECT_EQ(ch.size(), 0u);
    weft::go([ch]() mutable { ch.send(1); });
    EXPECT_EQ(ch.recv(), 1);
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST_P(Unbuffered, CloseThenRecv) {
  run([] {
    chan<int> ch(0);
    ch.close();
    EXPECT_EQ(ch.recv(), std::nullopt);
    EXPECT_EQ(ch.recv(), std::nullopt);  // forever
    EXPECT_EQ(ch.try_recv().status, chan_status::closed);
    EXPECT_EQ(ch.try_send(1), chan_status::closed);
  });
}

TEST_P(Unbuffered, CloseWakesEveryReceiver) {
  run([] {
    chan<int> ch(0);
    chan<int> results(8);
    for (int i = 0; i < 8; ++i)
      weft::go([ch, results]() mutable { results.send(ch.recv().has_value() ? 1 : 0); });
    ch.close();
    int got = 0;
    for (int i = 0; i < 8; ++i) got += *results.recv();
    EXPECT_EQ(got, 0);
  });
}

TEST_P(Unbuffered, CloseWakesBlockedSenderWithPanic) {
#if defined(__cpp_exceptions)
  run([] {
    chan<int> ch(0);
    chan<std::string> result(1);
    weft::go([ch, result]() mutable {
      try {
        ch.send(1);
        result.send("sent");
      } catch (const weft::panic_error& e) {
        result.send(e.what());
      }
    });
    // Whether the sender parked first or arrives after close, it panics.
    ch.close();
    EXPECT_EQ(result.recv(), "send on closed channel");
  });
#else
  GTEST_SKIP() << "needs exceptions to observe the panic in another goroutine";
#endif
}

TEST_P(Unbuffered, TryOps) {
  run([] {
    chan<counted> ch(0);
    counted v(5);
    // No receiver: not ready, and the value is still ours.
    EXPECT_EQ(ch.try_send(std::move(v)), chan_status::not_ready);
    EXPECT_EQ(v.v, 5);
    auto r = ch.try_recv();
    EXPECT_EQ(r.status, chan_status::not_ready);
    EXPECT_FALSE(r.value.has_value());
    EXPECT_FALSE(r);

    chan<int> got(1);
    weft::go([ch, got]() mutable { got.send(ch.recv()->v); });
    // Once the receiver is parked, try_send hands the value over.
    while (ch.try_send(std::move(v)) != chan_status::ok) {
      EXPECT_EQ(v.v, 5);
      weft::yield();
    }
    EXPECT_EQ(v.v, -1);  // moved out
    EXPECT_EQ(got.recv(), 5);

    // And try_recv takes from a parked sender.
    weft::go([ch]() mutable { ch.send(counted(6)); });
    for (;;) {
      auto t = ch.try_recv();
      if (t) {
        EXPECT_EQ(t.value->v, 6);
        break;
      }
      EXPECT_EQ(t.status, chan_status::not_ready);
      weft::yield();
    }
  });
}

TEST_P(Unbuffered, Spsc) {
  run([] {
    constexpr int kN = 20000;
    chan<int> ch(0);
    weft::go([ch]() mutable {
      for (int i = 0; i < kN; ++i) ch.send(i);
      ch.close();
    });
    int expect = 0;
    for (int v : ch) EXPECT_EQ(v, expect++);
    EXPECT_EQ(expect, kN);
  });
}

TEST_P(Unbuffered, Mpmc) {
  run([] {
    constexpr int kThreads = 4, kPer = 5000;
    chan<int> ch(0);
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
    EXPECT_EQ(all, want);  // each value exactly once
  });
}

TEST_P(Unbuffered, PerSenderOrder) {
  run([] {
    constexpr int kSenders = 3, kPer = 3000;
    chan<std::pair<int, int>> ch(0);
    for (int s = 0; s < kSenders; ++s)
      weft::go([ch, s]() mutable {
        for (int i = 0; i < kPer; ++i) ch.send({s, i});
      });
    std::vector<int> next(kSenders, 0);
    for (int i = 0; i < kSenders * kPer; ++i) {
      auto [s, v] = *ch.recv();
      EXPECT_EQ(v, next[s]++);
    }
  });
}

TEST_P(Unbuffered, StressPingPong) {
  run([] {
    constexpr int kPairs = 8, kRounds = 2000;
    chan<int> done(kPairs);
    for (int p = 0; p < kPairs; ++p) {
      chan<int> ping(0), pong(0);
      weft::go([ping, pong]() mutable {
        for (int i = 0; i < kRounds; ++i) pong.send(*ping.recv() + 1);
      });
      weft::go([ping, pong, done]() mutable {
        int x = 0;
        for (int i = 0; i < kRounds; ++i) {
          ping.send(x);
          x = *pong.recv();
        }
        done.send(x);
      });
    }
    for (int p = 0; p < kPairs; ++p) EXPECT_EQ(done.recv(), kRounds);
  });
}

TEST_P(Unbuffered, Destructors) {
  counted::reset();
  run([] {
    constexpr int kN = 1000;
    chan<counted> ch(0);
    weft::go([ch]() mutable {
      for (int i = 0; i < kN; ++i) ch.send(counted(i));
      ch.close();
    });
    int n = 0;
    for (auto&& v : ch) {
      EXPECT_EQ(v.v, n);
      ++n;
    }
    EXPECT_EQ(n, kN);
  });
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 1000);
}

TEST_P(Unbuffered, RangeForMoveOnly) {
  run([] {
    chan<std::unique_ptr<int>> ch(0);
    weft::go([ch]() mutable {
      for (int i = 0; i < 10; ++i) ch.send(std::make_unique<int>(i));
      ch.close();
    });
    int sum = 0;
    for (std::unique_ptr<int> p : ch) sum += *p;
    EXPECT_EQ(sum, 45);
  });
}

TEST_P(Unbuffered, HandlesAreShared) {
  run([] {
    chan<int> a(0);
    chan<int> b = a;
    chan<int> c(0);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == c);
    EXPECT_TRUE(a != c);
    chan<int> m = std::move(b);
    EXPECT_TRUE(m == a);
    EXPECT_TRUE(b == chan<int>());  // moved-from is nil
    weft::go([m]() mutable { m.send(3); });
    EXPECT_EQ(a.recv(), 3);
  });
}

}  // namespace
