// timer_test.cpp: weft::timer and weft::ticker (src/chan/timer.cpp,
// src/sched/timers.cpp) under the checker, on virtual time. Sleeping until
// the very instant a timer is due makes the timer's fire and the user's
// stop()/reset() due together: the checker explores both orders (on a
// plain thread the sleep is a futex deadline; in a runtime it is a timer on
// the same heap, see race_in_runtime). Coverage counters demand that both
// orders occur.
//
// Conservation (Go 1.23 timer channels): after stop() or reset() returns,
// no value from before the call is ever received; stop() returns false
// exactly when the value was already received; a reset timer delivers
// exactly one value, no earlier than its new duration.
//
// Strategy: on a plain thread (timers serviced by the standalone service
// thread) an exhaustive search with preemption bound 2 completes; inside
// weft::run with procs = 2 (serviced by the monitor) PCT (d = 3) with the
// stated iterations, the space being too large for a complete bounded
// search within a minute.
#include <chrono>
#include <vector>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "model_test.hpp"
#include "scenario.hpp"

namespace {

namespace m = weft::model;
using weft::model_scenario::last_search_whole;
using weft::model_scenario::on;
namespace sys = weft::sys;
using weft::model_scenario::exhaustive;
using weft::model_scenario::sampled;
using weft::model_scenario::scenario;
using namespace std::chrono_literals;
using tp = weft::clock::time_point;

// Both outcomes of a race must occur over the search (coverage): counted
// across executions, checked after the search.
struct both {
  int yes = 0, no = 0;
  void saw(bool b) { ++(b ? yes : no); }
};
#define EXPECT_BOTH(c)         \
  do {                         \
    if (last_search_whole()) { \
      EXPECT_GT((c).yes, 0);   \
      EXPECT_GT((c).no, 0);    \
    }                          \
  } while (0)

// stop() at the fire instant: nobody receives, so stop() reports true
// whether the fire was still pending or its value sat unreceived in the
// buffer (then discarded); no value appears afterwards.
void stop_races_fire(both* fired_first) {
  on(false, [fired_first] {
    weft::timer t(1ms);
    weft::sleep_for(1ms);
    fired_first->saw(t.c().size() == 1);
    WEFT_MODEL_ASSERT(t.stop());
    WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);
    weft::sleep_for(5ms);
    WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);  // not later either
    WEFT_MODEL_ASSERT(!t.stop());                                                // already stopped
  });
}

TEST(Timer, StopRacesFire) {
  both c;
  scenario(exhaustive(2), [&] { stop_races_fire(&c); });
  EXPECT_BOTH(c);
}
// In a runtime, a goroutine's sleep is a timer on the same heap: timers due
// at the same instant fire in heap order, so a goroutine that armed its
// sleep after the timer always wakes after the fire. The racing goroutine
// therefore arms its sleep first (it signals `ready` just before sleeping;
// main makes the timer once it has the signal), and then its stop()/reset()
// runs while the monitor goes on to fire the timer.
template <class Racer>
void race_in_runtime(Racer racer) {
  on(true, [racer] {
    sys::atomic<weft::timer*> timer_of{nullptr};
    weft::chan<int> ready(1), done(1);
    weft::go([&] {
      ready.send(1);
      weft::sleep_for(1ms);
      racer(*timer_of.load(std::memory_order_seq_cst));
      done.send(1);
    });
    WEFT_MODEL_ASSERT(*ready.recv() == 1);
    weft::timer t(1ms);
    timer_of.store(&t, std::memory_order_seq_cst);
    WEFT_MODEL_ASSERT(*done.recv() == 1);
    weft::sleep_for(5ms);
    WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);  // nothing stale
  });
}

TEST(Timer, StopRacesFireGoroutine) {
  both c;
  // PCT, 10000 executions (see the file comment).
  scenario(sampled(m::strategy::pct, 10000), [&] {
    race_in_runtime([&](weft::timer& t) {
      c.saw(t.c().size() == 1);
      WEFT_MODEL_ASSERT(t.stop());  // nobody received
      WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);
      WEFT_MODEL_ASSERT(!t.stop());
    });
  });
  EXPECT_BOTH(c);
}

// reset() at the fire instant: the old value is never received; exactly
// one value comes, from the new arming.
void reset_races_fire(both* fired_first) {
  on(false, [fired_first] {
    weft::timer t(1ms);
    weft::sleep_for(1ms);
    fired_first->saw(t.c().size() == 1);
    tp before = weft::clock::now();
    WEFT_MODEL_ASSERT(t.reset(2ms));  // nobody received the first value
    auto v = t.c().recv();
    WEFT_MODEL_ASSERT(v.has_value() && *v >= before + 2ms);  // not the stale value
    weft::sleep_for(5ms);
    WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);  // only one
    WEFT_MODEL_ASSERT(!t.stop());  // its value was received
  });
}

TEST(Timer, ResetRacesFire) {
  both c;
  scenario(exhaustive(2), [&] { reset_races_fire(&c); });
  EXPECT_BOTH(c);
}
TEST(Timer, ResetRacesFireGoroutine) {
  both c;
  // PCT, 10000 executions (see the file comment).
  scenario(sampled(m::strategy::pct, 10000), [&] {
    race_in_runtime([&](weft::timer& t) {
      c.saw(t.c().size() == 1);
      tp before = weft::clock::now();
      WEFT_MODEL_ASSERT(t.reset(2ms));
      auto v = t.c().recv();
      WEFT_MODEL_ASSERT(v.has_value() && *v >= before + 2ms);  // not the stale value
      WEFT_MODEL_ASSERT(!t.stop());
    });
  });
  EXPECT_BOTH(c);
}

// A receiver parked in select { recv t.c(), recv quit } races stop() at the
// fire instant: the receiver got the value exactly when stop() returned
// false.
void stop_races_receiver(both* received) {
  on(false, [received] {
    weft::timer t(1ms);
    weft::chan<tp> quit(1);
    int got = 0;
    weft::chan<int> done(1);
    auto receiver = [&] {
      weft::select(weft::on_recv(t.c(), [&](std::optional<tp> v) { got += v ? 1 : 100; }),
                   weft::on_recv(quit));
      done.send(1);
    };
    sys::thread th(receiver);
    weft::sleep_for(1ms);
    bool stopped = t.stop();
    quit.close();
    WEFT_MODEL_ASSERT(*done.recv() == 1);
    th.join();
    WEFT_MODEL_ASSERT(got == (stopped ? 0 : 1));
    received->saw(got == 1);
    WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);
  });
}

TEST(Timer, StopRacesReceiver) {
  both c;
  scenario(exhaustive(2), [&] { stop_races_receiver(&c); });
  EXPECT_BOTH(c);
}
TEST(Timer, StopRacesReceiverGoroutine) {
  both c;
  // PCT, 10000 executions (see the file comment). The stopper goroutine arms
  // its sleep before the timer exists (see race_in_runtime); a receiver
  // goroutine parks in select { recv t.c(), recv quit }; the fire, which
  // may hand the value straight to the parked select, races stop().
  scenario(sampled(m::strategy::pct, 10000), [&] {
    on(true, [&] {
      struct shared {
        sys::atomic<weft::timer*> timer{nullptr};
        sys::atomic<weft::chan<tp>*> quit{nullptr};
      } sh;
      weft::chan<int> ready(1), done(1), result(1);
      weft::go([&] {
        ready.send(1);
        weft::sleep_for(1ms);
        weft::timer& t = *sh.timer.load(std::memory_order_seq_cst);
        bool stopped = t.stop();
        sh.quit.load(std::memory_order_seq_cst)->close();
        int got = *result.recv();
        WEFT_MODEL_ASSERT(got == (stopped ? 0 : 1));
        WEFT_MODEL_ASSERT(t.c().try_recv().status == weft::chan_status::not_ready);
        c.saw(got == 1);
        done.send(1);
      });
      WEFT_MODEL_ASSERT(*ready.recv() == 1);
      weft::timer t(1ms);
      weft::chan<tp> quit(1);
      sh.quit.store(&quit, std::memory_order_seq_cst);
      sh.timer.store(&t, std::memory_order_seq_cst);
      weft::go([&] {
        int got = 0;
        weft::select(weft::on_recv(t.c(), [&](std::optional<tp> v) { got += v ? 1 : 100; }),
                     weft::on_recv(quit));
        result.send(got);
      });
      WEFT_MODEL_ASSERT(*done.recv() == 1);
    });
  });
  EXPECT_BOTH(c);
}

// A ticker: receive two ticks, stop at the instant the third is due; no
// tick arrives after stop() returns.
void ticker_stop_races_tick(bool goroutine) {
  on(goroutine, [] {
    weft::ticker tk(1ms);
    tp last{};
    for (int i = 0; i < 2; ++i) {
      auto v = tk.c().recv();
      WEFT_MODEL_ASSERT(v.has_value() && *v > last);  // in order
      last = *v;
    }
    weft::sleep_until(last + 1ms);
    tk.stop();
    weft::sleep_for(5ms);
    WEFT_MODEL_ASSERT(tk.c().try_recv().status == weft::chan_status::not_ready);
  });
}

TEST(Ticker, StopRacesTick) {
  scenario(exhaustive(2), [] { ticker_stop_races_tick(false); });
}
TEST(Ticker, StopRacesTickGoroutine) {
  // PCT, 10000 executions (see the file comment).
  scenario(sampled(m::strategy::pct, 10000), [] { ticker_stop_races_tick(true); });
}

}  // namespace
