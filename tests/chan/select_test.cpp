// select_test.cpp: weft::select and weft::select_set: smoke, default,
// duplicates, nil cases, close, fairness, value ownership, parked selects,
// stress, and the dynamic form.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_default;
using weft::on_recv;
using weft::on_send;
using weft_test::counted;

class Select : public weft_test::Procs {};
WEFT_PROCS_SUITE(Select);

TEST_P(Select, Smoke) {
  run([] {
    chan<int> a(1), b(1);
    b.send(2);
    int got = 0;
    int i = weft::select(on_recv(a, [&](std::optional<int> v) { got = *v; }),
                         on_recv(b, [&](std::optional<int> v) { got = 10 * *v; }));
    EXPECT_EQ(i, 1);
    EXPECT_EQ(got, 20);
  });
}

TEST_P(Select, DefaultWhenNothingReady) {
  run([] {
    chan<int> a(0), b(1);
    b.send(0);  // full
    bool def = false;
    int i = weft::select(on_recv(a, [](std::optional<int>) { ADD_FAILURE(); }),
                         on_send(b, 1, [] { ADD_FAILURE(); }), on_default([&] { def = true; }));
    EXPECT_EQ(i, 2);
    EXPECT_TRUE(def);
    // Only a default.
    EXPECT_EQ(weft::select(on_default()), 0);
  });
}

TEST_P(Select, DefaultPositionCounts) {
  run([] {
    chan<int> a(1);
    a.send(1);
    EXPECT_EQ(weft::select(on_default([] { ADD_FAILURE(); }), on_recv(a)), 1);
    EXPECT_EQ(weft::select(on_default(), on_recv(a)), 0);
  });
}

TEST_P(Select, HandlerWithoutArguments) {
  run([] {
    chan<int> a(1);
    a.send(1);
    bool fired = false;
    EXPECT_EQ(weft::select(on_recv(a, [&] { fired = true; })), 0);
    EXPECT_TRUE(fired);
    EXPECT_EQ(a.size(), 0u);  // the value was taken (and dropped)
  });
}

TEST_P(Select, RecvOnClosedGetsNullopt) {
  run([] {
    chan<int> a(0);
    a.close();
    bool closed = false;
    EXPECT_EQ(weft::select(on_recv(a, [&](std::optional<int> v) { closed = !v; })), 0);
    EXPECT_TRUE(closed);
  });
}

TEST_P(Select, CloseWakesAParkedSelect) {
  run([] {
    chan<int> a(0), b(0);
    chan<int> result(1);
    weft::go([a, b, result]() mutable {
      int r = weft::select(on_recv(a, [](std::optional<int> v) { EXPECT_FALSE(v); }),
                           on_recv(b, [](std::optional<int>) { ADD_FAILURE(); }));
      result.send(r);
    });
    a.close();
    EXPECT_EQ(result.recv(), 0);
  });
}

TEST_P(Select, ParkedSelectIsWokenBySendAndRecv) {
  run([] {
    chan<int> in(0), out(0);
    chan<int> result(4);
    // Receive side.
    weft::go([in, out, result]() mutable {
      int got = 0;
      int r = weft::select(on_recv(in, [&](std::optional<int> v) { got = *v; }),
                           on_send(out, 5, [] { ADD_FAILURE(); }));
      result.send(r * 100 + got);
    });
    in.send(7);
    EXPECT_EQ(result.recv(), 7);
    // Send side.
    weft::go([in, out, result]() mutable {
      int r = weft::select(on_recv(in, [](std::optional<int>) { ADD_FAILURE(); }),
                           on_send(out, 5, [] {}));
      result.send(r);
    });
    EXPECT_EQ(out.recv(), 5);
    EXPECT_EQ(result.recv(), 1);
  });
}

TEST_P(Select, DuplicateChannels) {
  run([] {
    chan<int> a(4);
    std::array<int, 3> hits{};
    for (int k = 0; k < 300; ++k) {
      a.send(k);
      int i = weft::select(on_recv(a, [&](std::optional<int> v) { EXPECT_EQ(*v, k); }),
                           on_recv(a, [&](std::optional<int> v) { EXPECT_EQ(*v, k); }),
                           on_recv(a, [&](std::optional<int> v) { EXPECT_EQ(*v, k); }));
      ++hits[static_cast<std::size_t>(i)];
    }
    for (int h : hits) EXPECT_GT(h, 30);  // each duplicate gets its share
  });
}

TEST_P(Select, DuplicateChannelsParked) {
  run([] {
    chan<int> a(0);
    chan<int> result(1);
    weft::go([a, result]() mutable {
      int r = weft::select(on_recv(a), on_recv(a), on_send(a, 1));
      result.send(r);
    });
    a.send(3);
    int r = *result.recv();
    EXPECT_TRUE(r == 0 || r == 1) << r;
  });
}

TEST_P(Select, UniformAmongReadyCases) {
  run([] {
    constexpr int kTrials = 4000;
    chan<int> a(1), b(1), c(1), d(1);
    std::array<int, 4> hits{};
    for (int k = 0; k < kTrials; ++k) {
      for (auto* ch : {&a, &b, &c, &d})
        if (ch->size() == 0) ch->send(0);
      ++hits[static_cast<std::size_t>(
          weft::select(on_recv(a), on_recv(b), on_recv(c), on_recv(d)))];
    }
    // Expected 1000 each; sigma ~27. 8 sigma bounds.
    for (int h : hits) {
      EXPECT_GT(h, 780);
      EXPECT_LT(h, 1220);
    }
  });
}

TEST_P(Select, LosingSendCaseKeepsItsValue) {
  counted::reset();
  run([] {
    chan<counted> full(1), ready(1);
    full.send(counted(0));
    counted v(9);
    auto lose = on_send(full, std::move(v));
    int i = weft::select(lose, on_send(ready, counted(1)));
    EXPECT_EQ(i, 1);
    EXPECT_EQ(lose.value().v, 9);  // not moved from: the case lost
    EXPECT_EQ(ready.recv()->v, 1);
    // Now let it win.
    EXPECT_EQ(full.recv()->v, 0);
    EXPECT_EQ(weft::select(lose), 0);
    EXPECT_EQ(lose.value().v, -1);  // moved into the channel
    EXPECT_EQ(full.recv()->v, 9);
  });
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 3);
}

TEST_P(Select, ExactlyOneCaseOfAParkedSelectFires) {
  run([] {
    // Two senders race to complete one parked select; exactly one wins,
    // the other stays blocked until we receive its value directly.
    for (int round = 0; round < 200; ++round) {
      chan<int> a(0), b(0);
      chan<int> fired(2);
      weft::go([a, b, fired]() mutable {
        int r = weft::select(on_recv(a), on_recv(b));
        fired.send(r);
      });
      weft::go([a]() mutable { a.send(1); });
      weft::go([b]() mutable { b.send(2); });
      int r = *fired.recv();
      // The loser is still parked on its channel: take its value.
      if (r == 0)
        EXPECT_EQ(b.recv(), 2);
      else
        EXPECT_EQ(a.recv(), 1);
      EXPECT_EQ(fired.try_recv().status, weft::chan_status::not_ready);
    }
  });
}

TEST_P(Select, TwoSelectsRendezvous) {
  run([] {
    // A parked select woken by another select (Go's self-select shape on two
    // goroutines), both directions on one unbuffered channel.
    chan<int> c(0);
    chan<int> done(2);
    for (int p = 0; p < 2; ++p)
      weft::go([c, done, p]() mutable {
        int sent = 0, recvd = 0;
        for (int i = 0; i < 500; ++i)
          weft::select(on_send(c, p, [&] { ++sent; }), on_recv(c, [&](std::optional<int> v) {
                         EXPECT_NE(*v, p);  // never our own value
                         ++recvd;
                       }));
        done.send(sent - recvd);
      });
    int a = *done.recv(), b = *done.recv();
    EXPECT_EQ(a + b, 0);
  });
}

TEST_P(Select, StressFanIn) {
  run([] {
    constexpr int kProducers = 6, kPer = 2000;
    std::vector<chan<int>> ins;
    for (int p = 0; p < kProducers; ++p) ins.emplace_back(p % 2);  // mixed flavors
    for (int p = 0; p < kProducers; ++p)
      weft::go([ch = ins[static_cast<std::size_t>(p)]]() mutable {
        for (int i = 0; i < kPer; ++i) ch.send(1);
        ch.close();
      });
    weft::select_set s;
    long sum = 0;
    int open = kProducers;
    for (int p = 0; p < kProducers; ++p)
      s.add(on_recv(ins[static_cast<std::size_t>(p)], [&, p](std::optional<int> v) {
        if (v)
          sum += *v;
        else {
          s.disable(p);
          --open;
        }
      }));
    while (open > 0) s.select();
    EXPECT_EQ(sum, kProducers * kPer);
  });
}

TEST_P(Select, DynamicSetWithSendsAndDefault) {
  run([] {
    chan<int> a(1), b(0);
    weft::select_set s;
    EXPECT_EQ(s.add(on_recv(b)), 0);
    EXPECT_EQ(s.add(on_send(a, 4)), 1);
    EXPECT_EQ(s.add(on_default()), 2);
    EXPECT_EQ(weft::select(s), 1);  // a has room
    EXPECT_EQ(weft::select(s), 2);  // a is full now: default
    EXPECT_EQ(a.recv(), 4);
    s.disable(1);  // its value was sent; never again
    s.disable(2);  // no default any more: blocks until b
    weft::go([b]() mutable { b.send(1); });
    EXPECT_EQ(s.select(), 0);
    EXPECT_EQ(a.size(), 0u);
  });
}

TEST_P(Select, ManySelectorsManySenders) {
  run([] {
    // More cases than the inline scratch (8) to take the heap path too.
    constexpr int kChans = 12, kSelectors = 4, kPer = 300;
    std::vector<chan<int>> cs;
    for (int i = 0; i < kChans; ++i) cs.emplace_back(i % 3);
    chan<long> sums(kSelectors);
    for (int s = 0; s < kSelectors; ++s)
      weft::go([cs, sums]() mutable {
        weft::select_set set;
        long sum = 0;
        for (auto& c : cs) set.add(on_recv(c, [&](std::optional<int> v) { sum += *v; }));
        for (int i = 0; i < kChans * kPer / kSelectors; ++i) set.select();
        sums.send(sum);
      });
    for (int i = 0; i < kChans; ++i)
      weft::go([c = cs[static_cast<std::size_t>(i)]]() mutable {
        for (int k = 0; k < kPer; ++k) c.send(1);
      });
    long total = 0;
    for (int s = 0; s < kSelectors; ++s) total += *sums.recv();
    EXPECT_EQ(total, kChans * kPer);
  });
}

TEST_P(Select, TimeoutThroughAfter) {
  run([] {
    using namespace std::chrono_literals;
    chan<int> never(0);
    int i = weft::select(on_recv(never), on_recv(weft::after(2ms)));
    EXPECT_EQ(i, 1);
  });
}

}  // namespace
