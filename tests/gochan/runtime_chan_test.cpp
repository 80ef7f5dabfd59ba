// runtime_chan_test.cpp: ports of tests from Go's runtime/chan_test.go,
// written fresh against weft's API: TestSelectFairness, TestSelfSelect,
// TestMultiConsumer, TestPseudoRandomSend. Iteration counts are trimmed so
// that each case stays well under a second under sanitizers.
#include <cstdlib>
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_recv;
using weft::on_send;

class GoRuntimeChan : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoRuntimeChan);

// TestSelectFairness: a select over two always-ready buffered channels (and
// two never-ready ones) must pick each ready one about half of the time.
TEST_P(GoRuntimeChan, SelectFairness) {
  run([] {
    constexpr int kTrials = 10000;
    chan<std::uint8_t> c1(kTrials + 1), c2(kTrials + 1);
    for (int i = 0; i < kTrials + 1; ++i) {
      c1.send(1);
      c2.send(2);
    }
    chan<std::uint8_t> c3(0), c4(0), out(0);
    chan<std::uint8_t> done(0);
    weft::go([=]() mutable {
      for (;;) {
        std::uint8_t b = 0;
        auto take = [&](std::optional<std::uint8_t> v) { b = *v; };
        weft::select(on_recv(c3, take), on_recv(c4, take), on_recv(c1, take), on_recv(c2, take));
        bool stop = false;
        weft::select(on_send(out, b), on_recv(done, [&] { stop = true; }));
        if (stop) return;
      }
    });
    int cnt1 = 0, cnt2 = 0;
    for (int i = 0; i < kTrials; ++i) {
      switch (*out.recv()) {
        case 1:
          ++cnt1;
          break;
        case 2:
          ++cnt2;
          break;
        default:
          ADD_FAILURE() << "unexpected value";
      }
    }
    done.close();
    // Binomial(kTrials, 1/2): sigma = 50; Go allows about 10 sigma.
    EXPECT_LT(std::abs(cnt1 - kTrials / 2), 500) << cnt1 << " vs " << cnt2;
    EXPECT_EQ(cnt1 + cnt2, kTrials);
  });
}

// TestSelfSelect: two goroutines run selects that both send on and receive
// from the same channel; with an unbuffered channel a select must never
// receive its own value.
TEST_P(GoRuntimeChan, SelfSelect) {
  run([] {
    for (std::size_t cap : {0u, 10u}) {
      chan<int> c(cap);
      chan<int> done(2);
      for (int p = 0; p < 2; ++p)
        weft::go([c, done, p, cap]() mutable {
          auto check = [&](std::optional<int> v) {
            if (cap == 0) {
              EXPECT_NE(*v, p) << "self receive";
            }
          };
          for (int i = 0; i < 1000; ++i) {
            if (p == 0 || i % 2 == 0) {
              weft::select(on_send(c, p), on_recv(c, check));
            } else {
              weft::select(on_recv(c, check), on_send(c, p));
            }
          }
          done.send(1);
        });
      done.recv();
      done.recv();
    }
  });
}

// TestMultiConsumer: many consumers ranging over one channel, with yields
// to disturb the FIFO-ish hand-off; every value arrives exactly once.
TEST_P(GoRuntimeChan, MultiConsumer) {
  run([] {
    constexpr int kWork = 23, kIter = 27182;
    const std::vector<int> pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
    chan<int> q(kWork * 3), r(kWork * 3);
    weft::wait_group wg;
    for (int i = 0; i < kWork; ++i) {
      wg.add(1);
      weft::go([&, q, r, i]() mutable {
        for (int v : q) {
          if (pn[static_cast<std::size_t>(i) % pn.size()] == v) weft::yield();
          r.send(v);
        }
        wg.done();
      });
    }
    long expect = 0;
    weft::go([&, q, r]() mutable {
      for (int i = 0; i < kIter; ++i) {
        int v = pn[static_cast<std::size_t>(i) % pn.size()];
        expect += v;
        q.send(v);
      }
      q.close();
      wg.wait();
      r.close();
    });
    long n = 0, s = 0;
    for (int v : r) {
      ++n;
      s += v;
    }
    EXPECT_EQ(n, kIter);
    EXPECT_EQ(s, expect);
  });
}

// TestPseudoRandomSend: a select with two send cases on one channel picks
// both over time, for unbuffered and buffered channels.
TEST_P(GoRuntimeChan, PseudoRandomSend) {
  run([] {
    constexpr int kN = 100;
    for (std::size_t cap : {std::size_t{0}, std::size_t{kN}}) {
      chan<int> c(cap);
      std::vector<int> l(kN);
      weft::mutex m;
      m.lock();
      weft::go([&, c]() mutable {
        for (int i = 0; i < kN; ++i) {
          weft::yield();
          l[static_cast<std::size_t>(i)] = *c.recv();
        }
        m.unlock();
      });
      for (int i = 0; i < kN; ++i) weft::select(on_send(c, 1), on_send(c, 0));
      m.lock();  // wait for the receiver
      int n0 = 0, n1 = 0;
      for (int v : l) {
        n0 += (v + 1) % 2;
        n1 += v;
      }
      EXPECT_GT(n0, kN / 10) << "want pseudorandom (chan cap " << cap << ")";
      EXPECT_GT(n1, kN / 10) << "want pseudorandom (chan cap " << cap << ")";
      m.unlock();
    }
  });
}

}  // namespace
