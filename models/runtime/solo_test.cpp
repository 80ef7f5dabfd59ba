// solo_test.cpp: channel lock elision on one P (src/sched/solo.cpp) under
// the checker.
//
// With procs = 1 the P's holder skips the locks of the channels it has
// claimed; any other thread that meets such a channel asks the holder's
// tenure to end and waits. Every channel critical section, elided or not,
// writes a ghost cell (chan_core::try_lock_cs), so a breaker's section that
// is not ordered after the holder's elided ones is a data race here, even
// though no interleaving point falls inside an elided section.
//
// The breakers: a plain thread (on a claimed channel, and in a select that
// mixes claimed and shared channels) and a goroutine inside blocking()
// whose P was retaken. The monitor must never be one: timer channels are
// never claimed. Each test also fails if a value is lost, duplicated or
// reordered, or if a breaker waits for ever (the checker reports the
// deadlock).
#include <chrono>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "model_test.hpp"
#include "scenario.hpp"

namespace {

using weft::model_scenario::exhaustive;
using weft::model_scenario::procs;
using weft::model_scenario::scenario;
using namespace std::chrono_literals;

weft::config one_p() { return procs(1); }

// The main goroutine claims a buffered channel (its first operation takes
// the lock and claims it, the next ones skip it), then starts a plain
// thread that sends on it while main keeps using it. The thread must wait
// for main's tenure to end (main parks on the empty channel: its M goes
// idle, ending the tenure); then every value arrives once, in order.
void plain_thread_on_a_claimed_channel() {
  weft::chan<int> ch(2);
  weft::sys::thread t;
  auto st = weft::run(one_p(), [&] {
    ch.send(1);
    WEFT_MODEL_ASSERT(*ch.recv() == 1);
    t = weft::sys::thread([ch] {
      ch.send(2);
      ch.send(3);
    });
    WEFT_MODEL_ASSERT(*ch.recv() == 2);
    ch.send(4);  // before or after the thread's second send
    int a = *ch.recv(), b = *ch.recv();
    WEFT_MODEL_ASSERT((a == 3 && b == 4) || (a == 4 && b == 3));
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
  t.join();
}

TEST(Solo, PlainThreadWaitsOutTheTenureOnAClaimedChannel) {
  scenario(exhaustive(2), plain_thread_on_a_claimed_channel);
}

// As above, but the P never goes idle: two goroutines ping-pong on a
// claimed unbuffered channel while the plain thread sends on another
// claimed one, so only the holder's safe point in find_runnable (the
// request, kReq) ends the tenure.
void plain_thread_while_the_p_is_busy() {
  weft::chan<int> data(1);
  weft::sys::thread t;
  auto st = weft::run(one_p(), [&] {
    weft::chan<int> ping(0);
    data.send(0);
    WEFT_MODEL_ASSERT(*data.recv() == 0);
    weft::go([ping] {
      for (int i = 0; i < 3; ++i) ping.send(i);
    });
    t = weft::sys::thread([data] { data.send(7); });
    for (int i = 0; i < 3; ++i) WEFT_MODEL_ASSERT(*ping.recv() == i);
    WEFT_MODEL_ASSERT(*data.recv() == 7);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
  t.join();
}

TEST(Solo, PlainThreadEndsABusyTenureByRequest) {
  scenario(exhaustive(2), plain_thread_while_the_p_is_busy);
}

// A select over a claimed channel and one a plain thread also uses: the
// select skips one lock and takes the other, parks with a commit that
// releases only the taken one, and a plain thread's send on the claimed
// channel has to wait out the tenure and retry its select-free send. The
// value on each channel arrives exactly once.
void select_over_claimed_and_shared() {
  weft::chan<int> mine(1);
  weft::chan<int> shared(0);
  weft::sys::thread t;
  auto st = weft::run(one_p(), [&] {
    mine.send(0);
    WEFT_MODEL_ASSERT(*mine.recv() == 0);  // claimed
    t = weft::sys::thread([mine, shared] {
      shared.send(1);
      mine.send(2);
    });
    int seen = 0;
    for (int round = 0; round < 2; ++round) {
      weft::select(weft::on_recv(mine, [&](std::optional<int> v) { seen += 10 * *v; }),
                   weft::on_recv(shared, [&](std::optional<int> v) { seen += *v; }));
    }
    WEFT_MODEL_ASSERT(seen == 21);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
  t.join();
}

TEST(Solo, SelectMixesClaimedAndSharedChannels) {
  scenario(exhaustive(1), select_over_claimed_and_shared);
}

// blocking(): main claims a channel, then receives from it inside
// blocking(), where it is a breaker (blocking_enter ended its tenure).
// The monitor retakes the P for the sender goroutine, whose M starts a new
// tenure and finds the channel shared. One value, once.
void breaker_inside_blocking() {
  int got = 0;
  auto st = weft::run(one_p(), [&] {
    weft::chan<int> ch(1);
    ch.send(0);
    WEFT_MODEL_ASSERT(*ch.recv() == 0);  // claimed
    weft::go([ch] { ch.send(5); });
    weft::blocking([&] { got = *ch.recv(); });
    ch.send(6);
    WEFT_MODEL_ASSERT(*ch.recv() == 6);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
  WEFT_MODEL_ASSERT(got == 5);
}

TEST(Solo, GoroutineInsideBlockingIsABreaker) { scenario(exhaustive(2), breaker_inside_blocking); }

// Timer channels are never claimed (chan_never_claim): the goroutine that
// stops a timer may block its thread in timer_del() until the monitor's
// delivery in progress ends, so that delivery must not wait for the
// goroutine's tenure. Here a sleeper's timer and main's timer fall due at
// the same instant, the sleeper's first; it wakes main, which (in a new
// tenure) polls and stops its timer while the monitor may be delivering
// it. With timer channels claimable this deadlocks in some executions.
void timer_stop_races_its_delivery() {
  auto st = weft::run(one_p(), [&] {
    weft::chan<int> woke(1);
    weft::go([woke] {
      weft::sleep_for(20us);
      woke.send(1);
    });
    weft::yield();  // the sleeper arms its timer first
    weft::timer tm(20us);
    (void)tm.c().try_recv();
    WEFT_MODEL_ASSERT(*woke.recv() == 1);
    (void)tm.c().try_recv();
    tm.stop();
    WEFT_MODEL_ASSERT(tm.c().try_recv().status == weft::chan_status::not_ready);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

TEST(Solo, TimerStopRacesItsDelivery) { scenario(exhaustive(2), timer_stop_races_its_delivery); }

}  // namespace
