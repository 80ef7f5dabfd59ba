// timer.cpp: Go's time.After, time.Timer and time.Ticker, on the runtime's
// timer heap (park.hpp: timer_node, timer_add, timer_del). After Go 1.23's
// runtime/time.go semantics for timer channels.
//
// A timer's fire step runs on a scheduler thread with no runtime lock held
// and must not block, so it delivers with a non-blocking send into a
// one-value buffer. Go 1.23's guarantee "no stale value after stop/reset
// returns" then comes from the user side: stop() and reset() first make sure
// fire is neither pending nor running (timer_del), then drain the buffer.
//
// Invariants:
//   T1  user calls (stop, reset, destruction) on one timer are serialized by
//       timer_impl::mu; fire never takes mu (timer_del may wait for a
//       running fire while mu is held)
//   T2  a one-shot fire never re-arms its node; a ticker's fire re-arms only
//       while `active` is set, so after `active` is cleared two timer_del
//       calls leave the node disarmed and fire not running: the first waits
//       out a fire that may have re-armed, the second removes that re-arm,
//       and any fire that starts after the first returns sees !active
//   T3  after(): the node owns itself and a channel handle; fire runs once
//       and frees both (nobody can timer_del it); until then it is on the
//       pending list (g_after_pending)
#include <new>

#include <weft/panic.hpp>
#include <weft/time.hpp>

#include "chan/chan_core.hpp"
#include "sched/park.hpp"

namespace weft {
namespace detail {

struct timer_impl {
  timer_node node;
  chan<clock::time_point> ch{1};
  clock::duration period{0};  // ticker only; written under mu while disarmed
  // Ticker only: fire re-arms while set. All accesses relaxed (A1, A2): a
  // value flag ordered by g_tlock, see ticker_fire.
  sys::atomic<bool> active{false};
  sys::mutex mu;  // T1
};

namespace {

void timer_fire(timer_node* n) {
  auto* t = static_cast<timer_impl*>(n->arg);
  // Cannot be full: stop/reset drain it before re-arming (T2), and a
  // one-shot fires once per arming.
  (void)t->ch.try_send(clock::now());
}

void ticker_fire(timer_node* n) {
  auto* t = static_cast<timer_impl*>(n->arg);
  // (A2) relaxed (mutate showed acquire needless): a fire that starts after
  // disarm's first timer_del returned must see false (T2), and it does by
  // coherence: A1's store is sequenced before that timer_del takes g_tlock,
  // and the fire started by taking g_tlock after it, so A1 happens before
  // this load. Nothing is read on A1's behalf: a fire that sees false
  // returns at once, and one that sees true reads only what arm()
  // published through g_tlock.
  if (!t->active.load(std::memory_order_relaxed)) return;
  clock::time_point now = clock::now();
  (void)t->ch.try_send(now);  // dropped if the receiver is behind, as in Go
  // Next tick on the period grid, skipping ticks already missed.
  clock::time_point next = n->when + t->period;
  if (next <= now) next += t->period * (1 + (now - next) / t->period);
  n->when = next;
  timer_add(n);
}

// Disarms `t` (T2); returns true if it was pending.
bool disarm(timer_impl* t) {
  // (A1) relaxed: see ticker_fire.
  t->active.store(false, std::memory_order_relaxed);
  bool pending = timer_del(&t->node);
  if (timer_del(&t->node)) pending = true;  // a re-arm by a fire we waited out
  return pending;
}

// Takes any undelivered value out of the buffer; true if there was one.
bool drain(timer_impl* t) { return t->ch.try_recv().status == chan_status::ok; }

void arm(timer_impl* t, clock::duration d, bool periodic) {
  t->node.when = clock::now() + d;
  if (periodic) {
    t->period = d;
    // (A1') relaxed: timer_add publishes period and `active` to the first
    // fire (both take g_tlock: the insert here, the fire's removal there).
    t->active.store(true, std::memory_order_relaxed);
  }
  timer_add(&t->node);
}

timer_impl* make(void (*fire)(timer_node*)) {
  auto* t = new timer_impl;
  chan_never_claim(t->ch.core());
  t->node.fire = fire;
  t->node.arg = t;
  return t;
}

void destroy(timer_impl* t) {
  if (!t) return;
  disarm(t);
  delete t;
}

struct after_node {
  timer_node node;
  chan<clock::time_point> ch;
  after_node* prev = nullptr;  // g_after_lock: the pending list
  after_node* next = nullptr;
};

// Every after() node not yet fired. A run() that returns drops its pending
// timers from the heap (timers_purge) without firing them; listing the
// nodes here keeps them (and their channels) reachable, so leak checkers
// do not report them. The nodes of abandoned timers live until exit, as
// a goroutine abandoned by run() does.
sys::mutex g_after_lock;
after_node* g_after_pending = nullptr;  // g_after_lock

void after_fire(timer_node* n) {
  auto* a = static_cast<after_node*>(n->arg);
  (void)a->ch.try_send(clock::now());
  g_after_lock.lock();
  if (a->prev)
    a->prev->next = a->next;
  else
    g_after_pending = a->next;
  if (a->next) a->next->prev = a->prev;
  g_after_lock.unlock();
  delete a;  // T3
}

}  // namespace

#if defined(WEFT_MODEL)
// Between the checker's executions (src/sched/sched.cpp, reset_globals): the
// nodes of an abandoned execution's after() timers are dropped, not fired.
void after_reset_globals() { g_after_pending = nullptr; }
#endif

}  // namespace detail

chan<clock::time_point> after(clock::duration d) {
  chan<clock::time_point> ch(1);
  detail::chan_never_claim(ch.core());
  if (d <= clock::duration::zero()) {
    (void)ch.try_send(clock::now());
    return ch;
  }
  auto* a = new detail::after_node{detail::timer_node{}, ch};
  a->node.when = clock::now() + d;
  a->node.fire = &detail::after_fire;
  a->node.arg = a;
  detail::g_after_lock.lock();
  a->next = detail::g_after_pending;
  if (a->next) a->next->prev = a;
  detail::g_after_pending = a;
  detail::g_after_lock.unlock();
  detail::timer_add(&a->node);
  return ch;
}

// ---- timer ------------------------------------------------------------------

timer::timer(clock::duration d) : impl_(detail::make(&detail::timer_fire)) {
  detail::arm(impl_, d, false);
}
timer::timer(timer&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
timer& timer::operator=(timer&& o) noexcept {
  if (this != &o) {
    detail::destroy(impl_);
    impl_ = std::exchange(o.impl_, nullptr);
  }
  return *this;
}
timer::~timer() { detail::destroy(impl_); }

const chan<clock::time_point>& timer::c() const noexcept { return impl_->ch; }

bool timer::stop() {
  std::lock_guard<sys::mutex> g(impl_->mu);
  bool pending = detail::timer_del(&impl_->node);
  bool drained = detail::drain(impl_);
  return pending || drained;
}

bool timer::reset(clock::duration d) {
  std::lock_guard<sys::mutex> g(impl_->mu);
  bool pending = detail::timer_del(&impl_->node);
  bool drained = detail::drain(impl_);
  detail::arm(impl_, d, false);
  return pending || drained;
}

// ---- ticker -----------------------------------------------------------------

ticker::ticker(clock::duration period) : impl_(nullptr) {
  if (period <= clock::duration::zero()) detail::panic("non-positive interval for NewTicker");
  impl_ = detail::make(&detail::ticker_fire);
  detail::arm(impl_, period, true);
}
ticker::ticker(ticker&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
ticker& ticker::operator=(ticker&& o) noexcept {
  if (this != &o) {
    detail::destroy(impl_);
    impl_ = std::exchange(o.impl_, nullptr);
  }
  return *this;
}
ticker::~ticker() { detail::destroy(impl_); }

const chan<clock::time_point>& ticker::c() const noexcept { return impl_->ch; }

void ticker::stop() {
  std::lock_guard<sys::mutex> g(impl_->mu);
  detail::disarm(impl_);
  detail::drain(impl_);
}

void ticker::reset(clock::duration period) {
  if (period <= clock::duration::zero()) detail::panic("non-positive interval for Ticker.Reset");
  std::lock_guard<sys::mutex> g(impl_->mu);
  detail::disarm(impl_);
  detail::drain(impl_);
  detail::arm(impl_, period, true);
}

}  // namespace weft
