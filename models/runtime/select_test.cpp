// select_test.cpp: select (src/chan/select.cpp) under the checker.
//
// A parked select is enqueued on every case's channel; the first waker to
// claim it (under its channel's lock, against the select's claim word) wins
// and the others must skip it. Fairness among ready cases is not required;
// exactly-once is: one case fires, its handler runs once, the losing
// waker's value is neither lost nor delivered twice.
//
// Strategy: as in chan_test.cpp, the core races run on model threads with
// an exhaustive search, preemption bound 2 (complete in well under a
// minute); the goroutine variants run in weft::run with procs = 2 under
// PCT (d = 3) with the stated iterations, their space being too large for
// a complete bounded search.
#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "model_test.hpp"
#include "scenario.hpp"

namespace {

namespace m = weft::model;
namespace sys = weft::sys;
using weft::model_scenario::exhaustive;
using weft::model_scenario::sampled;
using weft::model_scenario::scenario;

// main parks in select { recv a, recv b }; one thread closes a while
// another sends 5 into b (capacity 1, so the send never waits). Exactly one
// case fires; 5 is received exactly once (by the select, or afterwards from
// b's buffer).
void close_races_parked_select() {
  {
    weft::chan<int> a(1), b(1);  // a is only closed: capacity 1 behaves as 0
    sys::thread closer([a] { a.close(); });
    sys::thread sender([b] { b.send(5); });
    int fired = 0, fives = 0;
    int which = weft::select(weft::on_recv(a,
                                           [&](std::optional<int> v) {
                                             WEFT_MODEL_ASSERT(!v.has_value());  // only a close
                                             ++fired;
                                           }),
                             weft::on_recv(b, [&](std::optional<int> v) {
                               WEFT_MODEL_ASSERT(v && *v == 5);
                               ++fired;
                               ++fives;
                             }));
    WEFT_MODEL_ASSERT(fired == 1 && (which == 0 || which == 1));
    closer.join();
    sender.join();
    if (auto r = b.try_recv()) {
      WEFT_MODEL_ASSERT(*r.value == 5);
      ++fives;
    }
    WEFT_MODEL_ASSERT(fives == 1);  // not lost, not twice
    WEFT_MODEL_ASSERT(b.try_recv().status == weft::chan_status::not_ready);
  }
}

TEST(Select, CloseRacesParkedSelect) { scenario(exhaustive(2), close_races_parked_select); }
// The plain-thread select scenarios are small enough for the unbounded
// search as well (complete for the modelled semantics).
TEST(Select, CloseRacesParkedSelectUnbounded) {
  scenario(exhaustive(-1), close_races_parked_select);
}

// Two senders race to wake one parked select { recv a, recv b } (both
// unbuffered): one wins the select, the loser stays parked until main
// receives from its channel afterwards. Each value exactly once.
void two_wakers(bool goroutines) {
  auto body = [](auto start) {
    weft::chan<int> a(0), b(0);
    start([a] { a.send(1); }, [b] { b.send(2); });
    int got[3] = {0, 0, 0}, fired = 0;
    int which = weft::select(weft::on_recv(a,
                                           [&](std::optional<int> v) {
                                             WEFT_MODEL_ASSERT(v && *v == 1);
                                             ++got[1];
                                             ++fired;
                                           }),
                             weft::on_recv(b, [&](std::optional<int> v) {
                               WEFT_MODEL_ASSERT(v && *v == 2);
                               ++got[2];
                               ++fired;
                             }));
    WEFT_MODEL_ASSERT(fired == 1);  // exactly one case
    if (which == 0)
      ++got[*b.recv()];
    else
      ++got[*a.recv()];
    WEFT_MODEL_ASSERT(got[1] == 1 && got[2] == 1);
  };
  if (!goroutines) {
    sys::thread* ts[2] = {nullptr, nullptr};
    body([&](auto f, auto g) {
      ts[0] = new sys::thread(f);
      ts[1] = new sys::thread(g);
    });
    for (auto* t : ts) {
      t->join();
      delete t;
    }
  } else {
    weft::config c;
    c.procs = 2;
    c.on_deadlock = weft::deadlock_policy::report;
    int finished = 0;
    auto st = weft::run(c, [&] {
      weft::chan<int> done(2);
      body([&](auto f, auto g) {
        weft::go([f, done] {
          f();
          done.send(0);
        });
        weft::go([g, done] {
          g();
          done.send(0);
        });
      });
      for (int i = 0; i < 2; ++i) finished += 1 + *done.recv();
    });
    WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
    WEFT_MODEL_ASSERT(finished == 2);  // both wakers finished
  }
}

TEST(Select, TwoWakersRaceForOneSelect) {
  scenario(exhaustive(2), [] { two_wakers(false); });
}

TEST(Select, TwoWakersRaceForOneSelectUnbounded) {
  scenario(exhaustive(-1), [] { two_wakers(false); });
}

TEST(Select, TwoWakersRaceForOneSelectGoroutines) {
  // PCT, 10000 executions (see the file comment).
  scenario(sampled(m::strategy::pct, 10000), [] { two_wakers(true); });
}

// The mirror image: main parks in select { send 1 on a, send 2 on b } and
// two receivers race for it. Exactly one send case fires; main then sends
// the other value; each receiver gets exactly its value.
void two_receivers() {
  {
    weft::chan<int> a(0), b(0);
    int ra = 0, rb = 0;
    sys::thread x([&] { ra = *a.recv(); });
    sys::thread y([&] { rb = *b.recv(); });
    int fired = 0;
    int which =
        weft::select(weft::on_send(a, 1, [&] { ++fired; }), weft::on_send(b, 2, [&] { ++fired; }));
    WEFT_MODEL_ASSERT(fired == 1);
    if (which == 0)
      b.send(2);
    else
      a.send(1);
    x.join();
    y.join();
    WEFT_MODEL_ASSERT(ra == 1 && rb == 2);
  }
}

TEST(Select, TwoReceiversRaceForOneSelectSend) { scenario(exhaustive(2), two_receivers); }
TEST(Select, TwoReceiversRaceForOneSelectSendUnbounded) { scenario(exhaustive(-1), two_receivers); }

// A select with a default case never parks: against a concurrent sender on
// a buffered channel it either takes the value or falls to default; the
// value is then received exactly once.
TEST(Select, DefaultRacesSender) {
  scenario(exhaustive(2), [] {
    weft::chan<int> a(1);
    sys::thread s([a] { a.send(3); });
    int got = 0;
    weft::select(weft::on_recv(a, [&](std::optional<int> v) { got += v ? *v : 100; }),
                 weft::on_default());
    s.join();
    if (got == 0) got = *a.recv();
    WEFT_MODEL_ASSERT(got == 3);
    WEFT_MODEL_ASSERT(a.try_recv().status == weft::chan_status::not_ready);
  });
}

}  // namespace
