// time.hpp: the clock, sleeping, and Go's time package (after, timer, ticker).
#pragma once

#include <chrono>

#include <weft/chan.hpp>
#include <weft/runtime.hpp>
#include <weft/sys.hpp>

namespace weft {

// A steady clock with steady_clock's duration and time_point types (and,
// outside the checker, its epoch); virtual time under the checker.
using clock = sys::clock;

// Blocks the calling goroutine (or plain thread) until `deadline`. A
// sleeping goroutine holds no OS thread.
void sleep_until(clock::time_point deadline,
                 detail::source_location where = detail::source_location::current());

template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d,
               detail::source_location where = detail::source_location::current()) {
  if (d <= d.zero()) return;
  sleep_until(clock::now() + std::chrono::ceil<clock::duration>(d), where);
}

// ---- Go's time package: After, Timer, Ticker (src/chan/timer.cpp) --------
//
// Timer channels follow Go 1.23: once stop() or reset() has returned, no
// value from before the call is received. (The channel has a one-value
// buffer, so capacity() is 1 where Go 1.23 reports 0.) A timer's fire step
// runs on a scheduler thread and never blocks: it delivers with try_send.

namespace detail {
struct timer_impl;
}

// time.After: a channel that receives the time once, `d` from now. The
// channel has capacity 1, so the timer never waits for a receiver.
chan<clock::time_point> after(clock::duration d);

// time.Timer: sends the time on c() once its duration has elapsed. Not
// copyable; movable. Destroying a timer stops it.
class timer {
 public:
  // time.NewTimer(d).
  explicit timer(clock::duration d);
  timer(timer&& o) noexcept;
  timer& operator=(timer&& o) noexcept;
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer();

  // t.C.
  const chan<clock::time_point>& c() const noexcept;
  // Stops the timer. Returns true if this call stopped it before its value
  // was received (it was pending, or had fired but nobody received yet: that
  // value is discarded); false if it had already been received or stopped.
  bool stop();
  // Stops the timer (as stop(), whose result it returns) and starts it anew
  // with duration d.
  bool reset(clock::duration d);

 private:
  detail::timer_impl* impl_;
};

// time.Ticker: sends the time on c() every `period`; ticks are dropped when
// the receiver is behind (the channel holds one). Not copyable; movable.
// Destroying a ticker stops it.
class ticker {
 public:
  // time.NewTicker(period); panics "non-positive interval for NewTicker"
  // unless period > 0.
  explicit ticker(clock::duration period);
  ticker(ticker&& o) noexcept;
  ticker& operator=(ticker&& o) noexcept;
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;
  ~ticker();

  const chan<clock::time_point>& c() const noexcept;
  // No tick is sent after stop() returns (and none from before is received).
  void stop();
  // Stops the ticker and restarts it with a new period; panics
  // "non-positive interval for Ticker.Reset" unless period > 0.
  void reset(clock::duration period);

 private:
  detail::timer_impl* impl_;
};

}  // namespace weft
