// threads_test.cpp: channels used from plain OS threads (weft::sys::thread),
// alone and mixed with goroutines. A blocked thread parks on a futex. Inside
// a runtime the threads are weft_test::plain_thread (a keeper goroutine in
// blocking() tells the deadlock detector the thread may still wake others).
#include <vector>

#include "weft_test_util.hpp"

namespace {

using weft::chan;

class Threads : public weft_test::Procs {};
WEFT_PROCS_SUITE(Threads);

TEST_P(Threads, ThreadSendsToGoroutine) {
  run([] {
    chan<int> ch(0);
    weft_test::plain_thread t([ch]() mutable {
      for (int i = 0; i < 1000; ++i) ch.send(i);
      ch.close();
    });
    int n = 0;
    for (int v : ch) EXPECT_EQ(v, n++);
    EXPECT_EQ(n, 1000);
    t.join();
  });
}

TEST_P(Threads, GoroutineSendsToThread) {
  run([] {
    chan<int> ch(2);
    chan<long> result(1);
    weft_test::plain_thread t([ch, result]() mutable {
      long sum = 0;
      for (int v : ch) sum += v;
      result.send(sum);
    });
    for (int i = 0; i < 1000; ++i) ch.send(i);
    ch.close();
    EXPECT_EQ(result.recv(), 999L * 1000 / 2);
    t.join();
  });
}

TEST_P(Threads, SelectFromAThread) {
  run([] {
    chan<int> a(0), b(0);
    chan<int> sum(1);
    weft_test::plain_thread t([a, b, sum]() mutable {
      int s = 0;
      for (int i = 0; i < 200; ++i)
        weft::select(weft::on_recv(a, [&](std::optional<int> v) { s += *v; }),
                     weft::on_recv(b, [&](std::optional<int> v) { s += *v; }));
      sum.send(s);
    });
    for (int i = 0; i < 100; ++i) {
      a.send(1);
      b.send(2);
    }
    EXPECT_EQ(sum.recv(), 300);
    t.join();
  });
}

// No runtime at all: only plain threads.
TEST(ThreadsWithoutRuntime, PingPong) {
  chan<int> ping(0), pong(0);
  weft::sys::thread t([ping, pong]() mutable {
    for (int v : ping) pong.send(v + 1);
    pong.close();
  });
  int x = 0;
  for (int i = 0; i < 1000; ++i) {
    ping.send(x);
    x = *pong.recv();
  }
  ping.close();
  EXPECT_EQ(pong.recv(), std::nullopt);
  EXPECT_EQ(x, 1000);
  t.join();
}

TEST(ThreadsWithoutRuntime, ManyProducers) {
  chan<int> ch(4);
  std::vector<weft::sys::thread> ts;
  for (int k = 0; k < 4; ++k)
    ts.emplace_back([ch]() mutable {
      for (int i = 0; i < 1000; ++i) ch.send(1);
    });
  int n = 0;
  for (int i = 0; i < 4000; ++i) n += *ch.recv();
  for (auto& t : ts) t.join();
  EXPECT_EQ(n, 4000);
}

}  // namespace
