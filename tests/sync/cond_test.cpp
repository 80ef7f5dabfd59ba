// cond_test.cpp: weft::cond (Go's sync.Cond) over a weft::mutex.
#include <deque>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class Cond : public weft_test::Procs {};
WEFT_PROCS_SUITE(Cond);

TEST_P(Cond, SignalWakesOneWaiter) {
  run([] {
    weft::mutex m;
    weft::cond c(m);
    bool ready = false;
    chan<int> done(1);
    weft::go([&, done]() mutable {
      m.lock();
      while (!ready) c.wait();
      m.unlock();
      done.send(1);
    });
    m.lock();
    ready = true;
    c.signal();
    m.unlock();
    EXPECT_EQ(done.recv(), 1);
  });
}

TEST_P(Cond, BroadcastWakesAll) {
  run([] {
    constexpr int kG = 10;
    weft::mutex m;
    weft::cond c(m);
    int generation = 0;
    int waiting = 0;
    chan<int> done(kG);
    for (int g = 0; g < kG; ++g)
      weft::go([&, done]() mutable {
        m.lock();
        ++waiting;
        c.wait([&] { return generation == 1; });
        m.unlock();
        done.send(1);
      });
    // Wait until all are waiting (they signal nothing; poll under the lock).
    for (;;) {
      m.lock();
      bool all = waiting == kG;
      if (all) {
        generation = 1;
        c.broadcast();
      }
      m.unlock();
      if (all) break;
      weft::yield();
    }
    for (int g = 0; g < kG; ++g) done.recv();
  });
}

// A bounded queue with two conditions: the classic producer/consumer.
TEST_P(Cond, BoundedQueue) {
  run([] {
    constexpr int kItems = 5000, kCap = 4;
    weft::mutex m;
    weft::cond not_full(m), not_empty(m);
    std::deque<int> q;
    chan<long> result(1);
    weft::go([&, result]() mutable {
      long sum = 0;
      for (int i = 0; i < kItems; ++i) {
        std::unique_lock<weft::mutex> l(m);
        not_empty.wait([&] { return !q.empty(); });
        sum += q.front();
        q.pop_front();
        not_full.signal();
      }
      result.send(sum);
    });
    for (int i = 0; i < kItems; ++i) {
      std::unique_lock<weft::mutex> l(m);
      not_full.wait([&] { return q.size() < kCap; });
      q.push_back(i);
      not_empty.signal();
    }
    EXPECT_EQ(result.recv(), static_cast<long>(kItems) * (kItems - 1) / 2);
  });
}

TEST(CondWithoutRuntime, PlainThreads) {
  weft::mutex m;
  weft::cond c(m);
  int stage = 0;
  weft::sys::thread t([&] {
    m.lock();
    c.wait([&] { return stage == 1; });
    stage = 2;
    c.signal();
    m.unlock();
  });
  m.lock();
  stage = 1;
  c.signal();
  c.wait([&] { return stage == 2; });
  m.unlock();
  t.join();
  EXPECT_EQ(stage, 2);
}

}  // namespace
