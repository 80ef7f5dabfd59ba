// fuzz_schedule: coverage-guided search of interleavings. The input bytes are
// the choices of weft::model's fuzz strategy (options::fuzz_input: each
// scheduling decision and each reads-from choice takes the next byte modulo
// the number of options) over production runtime scenarios: weft::run with
// procs = 2 inside check(), so the runtime's Ms, its monitor, the run queues,
// the channel and timer code all run on model threads. libFuzzer's coverage
// of the runtime and the checker steers the bytes towards new interleavings.
//
// Input: [scenario] [parameter] [schedule choices...]. Any result other than
// ok (an assertion, a deadlock, a data race, a livelock, ...) is a finding:
// the checker's report (with its WEFT_MODEL_REPLAY token and trace) is
// printed and the process aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <weft/model.hpp>
#include <weft/weft.hpp>

#include "fuzz_common.hpp"

namespace {

namespace m = weft::model;

weft::config two_procs() {
  weft::config c;
  c.procs = 2;
  c.on_deadlock = weft::deadlock_policy::report;
  return c;
}

// Ping-pong on two unbuffered channels, 1 to 3 rounds.
void ping_pong(unsigned p) {
  const int rounds = 1 + static_cast<int>(p % 3);
  auto st = weft::run(two_procs(), [rounds] {
    weft::chan<int> ping(0), pong(0);
    weft::go([=] {
      for (int i = 0; i < rounds; ++i) pong.send(*ping.recv() + 1);
    });
    for (int i = 0; i < rounds; ++i) {
      ping.send(2 * i);
      auto v = pong.recv();
      WEFT_MODEL_ASSERT(v && *v == 2 * i + 1);
    }
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

// A producer sends 1..n on a channel of capacity 0 to 2 and closes it; main
// ranges over it. Nothing lost, nothing twice, in order.
void producer_consumer(unsigned p) {
  const std::size_t cap = p % 3;
  const int n = 1 + static_cast<int>((p >> 2) % 4);
  auto st = weft::run(two_procs(), [cap, n] {
    weft::chan<int> ch(cap);
    weft::go([=] {
      for (int i = 1; i <= n; ++i) ch.send(i);
      ch.close();
    });
    int expect = 1;
    for (int v : ch) {
      WEFT_MODEL_ASSERT(v == expect);
      ++expect;
    }
    WEFT_MODEL_ASSERT(expect == n + 1);
    WEFT_MODEL_ASSERT(!ch.recv().has_value());
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

// select { case v := <-ch: ...; case <-after(d): ... } against a sender that
// may sleep first; on a timeout the value is still delivered afterwards.
void select_timeout(unsigned p) {
  const std::size_t cap = p & 1;
  const bool sender_sleeps = (p >> 1) & 1;
  const auto timeout = std::chrono::milliseconds(1 + (p >> 2) % 3);
  auto st = weft::run(two_procs(), [=] {
    weft::chan<int> ch(cap);
    weft::go([=] {
      if (sender_sleeps) weft::sleep_for(std::chrono::milliseconds(2));
      ch.send(42);
    });
    std::optional<int> got;
    bool timed_out = false;
    auto tick = weft::after(timeout);
    int i = weft::select(weft::on_recv(ch, [&](std::optional<int> v) { got = v; }),
                         weft::on_recv(tick, [&] { timed_out = true; }));
    WEFT_MODEL_ASSERT((i == 0) == !timed_out);
    if (timed_out) got = ch.recv();
    WEFT_MODEL_ASSERT(got && *got == 42);
    // Let the timer fire: under the checker an after() timer still pending
    // when the execution ends is dropped without being freed (a leak that
    // LeakSanitizer would report on every such input).
    if (!timed_out) WEFT_MODEL_ASSERT(tick.recv().has_value());
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

// 1 to 3 goroutines add to a counter under a weft::mutex; main waits on a
// wait_group.
void wait_group_mutex(unsigned p) {
  const int k = 1 + static_cast<int>(p % 3);
  auto st = weft::run(two_procs(), [k] {
    weft::wait_group wg;
    weft::mutex mu;
    int count = 0;
    wg.add(k);
    for (int g = 0; g < k; ++g)
      weft::go([&] {
        mu.lock();
        ++count;
        mu.unlock();
        wg.done();
      });
    wg.wait();
    mu.lock();
    WEFT_MODEL_ASSERT(count == k);
    mu.unlock();
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

// Two producers on two channels (capacities from p), each closes its own;
// main selects over both until both are closed (a closed one set to nil).
void fan_in_select(unsigned p) {
  const std::size_t ca = p % 2, cb = (p >> 1) % 2;
  const int n = 1 + static_cast<int>((p >> 2) % 2);
  auto st = weft::run(two_procs(), [=] {
    weft::chan<int> a(ca), b(cb);
    weft::go([=] {
      for (int i = 1; i <= n; ++i) a.send(i);
      a.close();
    });
    weft::go([=] {
      for (int i = 1; i <= n; ++i) b.send(100 + i);
      b.close();
    });
    weft::chan<int> ra = a, rb = b;
    int next_a = 1, next_b = 101;
    while (ra || rb) {
      weft::select(weft::on_recv(ra,
                                 [&](std::optional<int> v) {
                                   if (!v) {
                                     ra = weft::chan<int>();
                                     return;
                                   }
                                   WEFT_MODEL_ASSERT(*v == next_a);
                                   ++next_a;
                                 }),
                   weft::on_recv(rb, [&](std::optional<int> v) {
                     if (!v) {
                       rb = weft::chan<int>();
                       return;
                     }
                     WEFT_MODEL_ASSERT(*v == next_b);
                     ++next_b;
                   }));
    }
    WEFT_MODEL_ASSERT(next_a == n + 1 && next_b == 101 + n);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

// Three goroutines over two unbuffered channels: a producer, a relay, main.
void relay(unsigned p) {
  const int n = 1 + static_cast<int>(p % 2);
  auto st = weft::run(two_procs(), [n] {
    weft::chan<int> a(0), b(0);
    weft::go([&] {
      for (int i = 1; i <= n; ++i) a.send(i);
    });
    weft::go([&] {
      for (int i = 0; i < n; ++i) b.send(*a.recv() * 10);
    });
    int sum = 0;
    for (int i = 0; i < n; ++i) sum += *b.recv();
    WEFT_MODEL_ASSERT(sum == 10 * n * (n + 1) / 2);
  });
  WEFT_MODEL_ASSERT(st == weft::exit_status::ok);
}

using scenario = void (*)(unsigned);
constexpr scenario kScenarios[] = {ping_pong,        producer_consumer, select_timeout,
                                   wait_group_mutex, fan_in_select,     relay};
constexpr const char* kNames[] = {"ping_pong",        "producer_consumer", "select_timeout",
                                  "wait_group_mutex", "fan_in_select",     "relay"};
constexpr unsigned kCount = sizeof kScenarios / sizeof kScenarios[0];

}  // namespace

// LeakSanitizer's check at exit is off for this target: the checker's
// context switches (src/model/context.cpp) carry no sanitizer fiber
// annotations while the runtime's goroutine switches inside them do, so after
// check() has run ASan's idea of the main thread's stack can be a model
// thread's, and the exit-time scan then misses libFuzzer's own objects on
// the real stack (a 10-minute run ended with such a report). libFuzzer's
// check after each input stays on.
extern "C" const char* __lsan_default_options() { return "leak_check_at_exit=0"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft_fuzz::reader in(data, size);
  const unsigned which = in.below(kCount);
  const unsigned param = in.byte();
  m::options o;
  o.search = m::strategy::fuzz;
  o.fuzz_input.assign(reinterpret_cast<const char*>(in.pos()), in.left());
  o.progress = false;
  o.environment = false;
  const scenario s = kScenarios[which];
  m::result r = m::check(o, [s, param] { s(param); });
  if (!r.ok || std::getenv("WEFT_FUZZ_VERBOSE"))
    std::fprintf(stderr, "fuzz_schedule: scenario %s, parameter %u, %zu choice bytes\n%s\n",
                 kNames[which], param, o.fuzz_input.size(), m::describe(r).c_str());
  if (!r.ok) weft_fuzz::finding("weft::model::check failed (%s)", r.failure.c_str());
  return 0;
}
