// timeout.cpp: timeouts and cancellation with select.
//
// 1. A request that answers in time, and one that does not (weft::after).
// 2. Cancellation: workers stop when a `done` channel is closed (Go's
//    context.Done() idiom), and a ticker drives periodic work until then.
#include <chrono>
#include <cstdio>

#include <weft/weft.hpp>

using namespace std::chrono_literals;

namespace {
// Answers after `delay`, unless cancelled first.
weft::chan<int> slow_request(int value, weft::clock::duration delay) {
  weft::chan<int> reply(1);  // buffered: the worker never blocks on a late reply
  weft::go([reply, value, delay]() mutable {
    weft::sleep_for(delay);
    reply.send(value);
  });
  return reply;
}
}  // namespace

int main() {
  return static_cast<int>(weft::run([] {
    for (auto delay : {5ms, 50ms}) {
      auto reply = slow_request(42, delay);
      weft::select(
          weft::on_recv(reply, [](std::optional<int> v) { std::printf("got reply %d\n", *v); }),
          weft::on_recv(weft::after(20ms), [] { std::printf("timed out after 20ms\n"); }));
    }

    weft::chan<int> done(0);
    weft::chan<int> stopped(0);
    weft::go([done, stopped]() mutable {
      weft::ticker tick(3ms);
      int ticks = 0;
      for (bool running = true; running;) {
        weft::select(weft::on_recv(tick.c(), [&] { ++ticks; }),
                     weft::on_recv(done, [&] { running = false; }));
      }
      std::printf("worker cancelled after %s ticks\n", ticks > 0 ? "some" : "no");
      stopped.send(ticks);
    });
    weft::sleep_for(20ms);
    done.close();  // cancel: every select on `done` fires from now on
    stopped.recv();
  }));
}
