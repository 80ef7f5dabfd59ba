// solo_test.cpp: channel lock elision on one P (src/sched/solo.cpp). With
// procs = 1 the P's holder skips the locks of channels it claimed; plain
// threads and goroutines inside blocking() must wait out its tenure before
// touching such a channel. Under TSan an elided critical
// section that is not ordered before a breaker's is a reported race; the
// model checker's scenarios are in models/runtime/solo_test.cpp.
#include <memory>
#include <vector>

#include "sched/runtime.hpp"
#include "weft_test_util.hpp"

namespace {

using weft::chan;

class Solo : public weft_test::Procs {};
WEFT_PROCS_SUITE(Solo);

std::uint64_t my_tenure() {
  weft::detail::machine* m = weft::detail::current_m();
  return m != nullptr && m->p != nullptr ? m->p->solo_tenure : 0;
}

// The elision is on exactly with one P: a channel operation starts a tenure.
TEST_P(Solo, TenureRunsOnlyWithOneP) {
  run([&] {
    chan<int> ch(1);
    ch.send(1);
    EXPECT_EQ(*ch.recv(), 1);
    if (procs() == 1)
      EXPECT_NE(my_tenure(), 0u);
    else
      EXPECT_EQ(my_tenure(), 0u);
  });
}

// Goroutines stream through claimed channels while plain threads join in
// on the same channels: every value arrives exactly once.
TEST_P(Solo, PlainThreadsJoinClaimedChannels) {
  run([] {
    constexpr int kPerSender = 20000;
    constexpr int kThreads = 3;
    chan<int> data(64);
    chan<long> sums(kThreads + 1);
    // Claim the channel on the holder first.
    data.send(0);
    EXPECT_EQ(*data.recv(), 0);
    weft::go([data] {
      for (int i = 1; i <= kPerSender; ++i) data.send(i);
    });
    std::vector<std::unique_ptr<weft_test::plain_thread>> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.push_back(std::make_unique<weft_test::plain_thread>([data] {
        for (int i = 1; i <= kPerSender; ++i) data.send(i);
      }));
    long sum = 0;
    for (int i = 0; i < (kThreads + 1) * kPerSender; ++i) sum += *data.recv();
    EXPECT_EQ(sum, (kThreads + 1) * (long{kPerSender} * (kPerSender + 1) / 2));
    for (auto& t : threads) t->join();
  });
}

// A select that mixes a claimed channel with one a plain thread uses, many
// times over, with the thread also sending on the claimed one.
TEST_P(Solo, SelectOverClaimedAndSharedChannels) {
  run([] {
    constexpr int kRounds = 5000;
    chan<int> mine(4), shared(0);
    mine.send(0);
    EXPECT_EQ(*mine.recv(), 0);
    weft_test::plain_thread t([mine, shared] {
      for (int i = 0; i < kRounds; ++i) {
        shared.send(1);
        mine.send(2);
      }
    });
    long sum = 0;
    for (int i = 0; i < 2 * kRounds; ++i)
      weft::select(weft::on_recv(mine, [&](std::optional<int> v) { sum += *v; }),
                   weft::on_recv(shared, [&](std::optional<int> v) { sum += *v; }));
    EXPECT_EQ(sum, 3L * kRounds);
    t.join();
  });
}

// A ticker's channel while two goroutines keep the P busy: timer channels
// are never claimed, so the monitor's deliveries never wait for the busy
// tenure. Five ticks arrive.
TEST_P(Solo, TickerDeliversWhileThePIsBusy) {
  run([] {
    weft::ticker tk(std::chrono::microseconds(200));
    chan<int> ping(0), stop(1);
    weft::go([ping, stop] {
      for (bool done = false; !done;)
        weft::select(weft::on_recv(stop, [&](auto) { done = true; }), weft::on_send(ping, 1));
    });
    int ticks = 0;
    long pings = 0;
    while (ticks < 5)
      weft::select(weft::on_recv(tk.c(), [&](auto) { ++ticks; }),
                   weft::on_recv(ping, [&](std::optional<int> v) { pings += *v; }));
    tk.stop();
    stop.send(1);
    EXPECT_EQ(ticks, 5);
  });
}

}  // namespace
