// chan.cpp: send, receive and close on the type-erased channel core
// (chan_core.hpp, which states the invariants Q1-Q5). After Go's
// runtime/chan.go: chansend, chanrecv, closechan.
//
// Each blocking operation follows park.hpp's protocol: lock; try to complete
// against the other side's queue or the buffer; otherwise enqueue a waiter
// record on our own stack and park() with a commit that unlocks the channel
// once we are off our stack. A waker completes the transfer under the lock
// (moving the value straight into or out of the parked task's record, never
// through the buffer when the buffer is bypassable), unlocks, then unparks.
#include <new>

#include <weft/chan.hpp>
#include <weft/panic.hpp>

#include "chan/chan_core.hpp"

namespace weft::detail {
namespace {

// The park commit: runs after the parking task is off its stack.
bool unlock_channel(void* arg) {
  static_cast<chan_core*>(arg)->lock.unlock();
  return true;
}

[[noreturn]] void park_forever(wait_reason r, source_location where) {
  park(r, where, nullptr, nullptr);
  // Nothing ever unparks a task blocked on the nil channel.
  sys::fatal("weft: a task blocked on the nil channel was woken");
}

std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

}  // namespace

chan_core* chan_make(const elem_ops* ops, std::size_t capacity) {
  std::size_t align = ops->align > alignof(chan_core) ? ops->align : alignof(chan_core);
  std::size_t head = round_up(sizeof(chan_core), ops->align);
  if (capacity > (~std::size_t{0} - head) / ops->size) panic("makechan: size out of range");
  std::size_t bytes = head + capacity * ops->size;
  void* mem = ::operator new (bytes, std::align_val_t{align});
  auto* c = ::new (mem) chan_core();
  c->ops = ops;
  if (ops->trivial && ops->size <= 8 && (ops->size & (ops->size - 1)) == 0) {
    c->word = true;
    c->word_shift = static_cast<std::uint8_t>(ops->size == 8 ? 3 : ops->size / 2);
  }
  c->cap = capacity;
  c->buf = capacity ? static_cast<unsigned char*>(mem) + head : nullptr;
#if defined(WEFT_MODEL)
  c->lock_rank = chan_next_lock_rank();
#endif
  return c;
}

void chan_retain(chan_core* c) noexcept {
  // Relaxed: a new handle is made from an existing one, which keeps the
  // count above zero meanwhile (as shared_ptr's copy).
  c->refs.fetch_add(1, std::memory_order_relaxed);
}

void chan_release(chan_core* c) noexcept {
  // (RC1) acq_rel: the release half publishes this handle's uses of the
  // channel to whoever frees it; the acquire half, taken by the last
  // releaser, sees every other handle's uses before the buffer is destroyed.
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // No waiter can remain: a parked task holds a handle to the channel it
  // waits on. Values left in the buffer are destroyed exactly once (C1);
  // trivially destructible ones need no walk over the buffer.
  if (!c->ops->trivial) {
    while (c->count > 0) {
      destroy_elem(c->ops, c->slot(c->recvx));
      if (++c->recvx == c->cap) c->recvx = 0;
      --c->count;
    }
  }
  std::size_t align = c->ops->align > alignof(chan_core) ? c->ops->align : alignof(chan_core);
  c->~chan_core();
  ::operator delete (static_cast<void*>(c), std::align_val_t{align});
}

namespace {

// The last case of send and receive: nothing completes the operation now,
// so the caller queues a waiter record on its stack (in q, elem: the value
// to send or the storage to receive into) and parks in c's critical
// section, which the park leaves: by the commit that unlocks c, or, in a
// section whose lock was elided, by the switch itself, which ends it
// (solo.cpp; the caller is then the tenure's goroutine: park.hpp).
// Returns whether a partner completed the operation (false: woken by
// close()).
template <bool Elided>
[[gnu::always_inline]] inline bool wait_for_partner(chan_core* c, wait_queue& q, void* elem,
                                                    wait_reason r, source_location where) {
  chan_waiter w;
  w.who = Elided ? tenure_task() : current_task();
  w.elem = elem;
  q.push_back(&w);
  if (Elided)
    park_in_tenure(r, where);
  else
    park(r, where, &unlock_channel, c);
  return w.success;
}

template <bool Elided>
[[gnu::noinline]] void wait_to_send(chan_core* c, void* value, source_location where) {
  // A receiver moved *value, or close() woke us.
  if (!wait_for_partner<Elided>(c, c->sendq, value, wait_reason::chan_send, where))
    panic("send on closed channel");
}

template <bool Elided>
[[gnu::noinline]] bool wait_to_recv(chan_core* c, void* out, source_location where) {
  // A sender filled *out, or close() woke us.
  return wait_for_partner<Elided>(c, c->recvq, out, wait_reason::chan_receive, where);
}

// How a fast path left the caller when it passed on to the general path:
// outside the critical section, inside it without the lock (a channel its
// tenure claimed), or inside it holding the lock (send_locked, recv_locked).
enum class entered : unsigned char { no, elided, locked };

// A send past its fast path (chan_send), which passed on the tenure that
// fast_safe_point() returned and how far it entered. Out of line, so that
// the fast path needs no stack frame.
[[gnu::noinline]] void send_slow(chan_core* c, void* value, source_location where,
                                 std::uint64_t tenure, entered e) {
  if (tenure == kSlowSafePoint) tenure = chan_op_begin();
  if (c == nullptr) park_forever(wait_reason::chan_send_nil, where);
  const bool elided = e == entered::no ? c->lock_cs(tenure) : e == entered::elided;
  if (c->closed) {
    c->unlock_cs(elided);
    panic("send on closed channel");
  }
  if (chan_waiter* r = c->recvq.dequeue()) {
    task* t = c->hand_to_receiver(r, value);
    c->unlock_cs(elided);
    unpark(t);
    return;
  }
  if (c->count < c->cap) {
    c->buf_put(value);
    c->unlock_cs(elided);
    return;
  }
  if (elided)
    wait_to_send<true>(c, value, where);
  else
    wait_to_send<false>(c, value, where);
}

// A receive past its fast path; see send_slow().
[[gnu::noinline]] bool recv_slow(chan_core* c, void* out, source_location where,
                                 std::uint64_t tenure, entered e) {
  if (tenure == kSlowSafePoint) tenure = chan_op_begin();
  if (c == nullptr) park_forever(wait_reason::chan_receive_nil, where);
  const bool elided = e == entered::no ? c->lock_cs(tenure) : e == entered::elided;
  if (chan_waiter* s = c->sendq.dequeue()) {
    task* t = c->take_from_sender(s, out);
    c->unlock_cs(elided);
    unpark(t);
    return true;
  }
  if (c->count > 0) {
    c->buf_take(out);
    c->unlock_cs(elided);
    return true;
  }
  if (c->closed) {
    c->unlock_cs(elided);
    return false;
  }
  return elided ? wait_to_recv<true>(c, out, where) : wait_to_recv<false>(c, out, where);
}

// The fast paths' cases on a channel of words, inside c's critical section
// (Elided: entered without the lock, by the tenure that claimed c): the
// buffer, or a plain (non-select) waiter of the other side, completes the
// operation, or nothing is ready and the caller parks; else the general
// path takes over inside the section. Inline into both fast paths, so that
// the solo one keeps its tail calls and needs no frame.
template <bool Elided>
[[gnu::always_inline]] inline void send_word(chan_core* c, void* value, source_location where) {
  if (c->can_buffer()) {
    c->buf_put(value);
    return c->unlock_cs(Elided);
  }
  // Closed implies no receiver waits (close wakes them all), so this send
  // cannot be one that must panic.
  if (chan_waiter* r = chan_core::plain_first(c->recvq)) {
    c->recvq.remove(r);
    task* t = c->hand_to_receiver(r, value);
    c->unlock_cs(Elided);
    return unpark(t);
  }
  if (c->count == c->cap && c->recvq.empty() && !c->closed)
    return wait_to_send<Elided>(c, value, where);
  // Inside the section, the general path needs no tenure.
  send_slow(c, value, where, 0, Elided ? entered::elided : entered::locked);
}

template <bool Elided>
[[gnu::always_inline]] inline bool recv_word(chan_core* c, void* out, source_location where) {
  if (c->can_unbuffer()) {
    c->buf_take(out);
    c->unlock_cs(Elided);
    return true;
  }
  // A waiting sender: its value (unbuffered), or the buffer's head and its
  // value to the tail (buffered, hence full; under the lock only: the
  // refill's registers would give the solo path a frame).
  chan_waiter* s = chan_core::plain_first(c->sendq);
  if (s != nullptr && (!Elided || c->cap == 0)) {
    c->sendq.remove(s);
    task* t = c->take_from_sender(s, out);
    c->unlock_cs(Elided);
    unpark(t);
    return true;
  }
  if (c->count == 0 && c->sendq.empty() && !c->closed) return wait_to_recv<Elided>(c, out, where);
  return recv_slow(c, out, where, 0, Elided ? entered::elided : entered::locked);
}

// The fast paths of a caller with no tenure (several Ps, or a plain
// thread): the same cases under the lock, once a tenure that claimed the
// channel and still runs has been waited out. Out of line, as the general
// path, so that the solo fast paths stay without a frame.
[[gnu::noinline]] void send_locked(chan_core* c, void* value, source_location where) {
  std::uint64_t busy;
  if (!c->try_lock_shared(&busy)) {
    solo_wait(busy);
    return send_slow(c, value, where, 0, entered::no);
  }
  send_word<false>(c, value, where);
}

[[gnu::noinline]] bool recv_locked(chan_core* c, void* out, source_location where) {
  std::uint64_t busy;
  if (!c->try_lock_shared(&busy)) {
    solo_wait(busy);
    return recv_slow(c, out, where, 0, entered::no);
  }
  return recv_word<false>(c, out, where);
}

}  // namespace

// Both entry points count their safe point inline (fast_safe_point; the
// general path calls chan_op_begin() only when that cannot), then, on a
// channel of words, take the fast paths' cases (send_word, recv_word):
// - without the lock and with no call but the waiter's unpark(), for a
//   goroutine in the tenure of the only P's holder (procs == 1) on a
//   channel it claimed;
// - under the lock, for a caller with no tenure (send_locked, recv_locked).
// Anything else goes the general way.
void chan_send(chan_core* c, void* value, source_location where) {
  const std::uint64_t tenure = fast_safe_point();
  if (c != nullptr && c->word) {
    if (c->enter_claimed(tenure)) return send_word<true>(c, value, where);
    if (tenure == 0) return send_locked(c, value, where);
  }
  send_slow(c, value, where, tenure, entered::no);
}

bool chan_recv(chan_core* c, void* out, source_location where) {
  const std::uint64_t tenure = fast_safe_point();
  if (c != nullptr && c->word) {
    if (c->enter_claimed(tenure)) return recv_word<true>(c, out, where);
    if (tenure == 0) return recv_locked(c, out, where);
  }
  return recv_slow(c, out, where, tenure, entered::no);
}

void chan_close(chan_core* c) {
  if (!c) panic("close of nil channel");

  const bool elided = c->lock_cs(chan_solo());
  if (c->closed) {
    c->unlock_cs(elided);
    panic("close of closed channel");
  }
  c->closed = true;
  // Collect every waiter (success = false: receivers get nullopt, senders
  // panic), then unlock, then wake. The records are chained through `next`,
  // which must be read before waking: a woken task's record dies with its
  // stack frame.
  chan_waiter* woken = nullptr;
  chan_waiter** tail = &woken;
  for (wait_queue* q : {&c->recvq, &c->sendq}) {
    while (chan_waiter* w = q->dequeue()) {
      w->success = false;
      *tail = w;
      tail = &w->next;
    }
  }
  *tail = nullptr;
  c->unlock_cs(elided);
  while (woken) {
    chan_waiter* next = woken->next;
    unpark(woken->who);
    woken = next;
  }
}

chan_status chan_try_send(chan_core* c, void* value) {
  const std::uint64_t tenure = chan_op_begin();
  if (!c) return chan_status::not_ready;
  const bool elided = c->lock_cs(tenure);
  if (c->closed) {
    c->unlock_cs(elided);
    return chan_status::closed;
  }
  if (chan_waiter* r = c->recvq.dequeue()) {
    task* t = c->hand_to_receiver(r, value);
    c->unlock_cs(elided);
    unpark(t);
    return chan_status::ok;
  }
  if (c->count < c->cap) {
    c->buf_put(value);
    c->unlock_cs(elided);
    return chan_status::ok;
  }
  c->unlock_cs(elided);
  return chan_status::not_ready;
}

chan_status chan_try_recv(chan_core* c, void* out) {
  const std::uint64_t tenure = chan_op_begin();
  if (!c) return chan_status::not_ready;
  const bool elided = c->lock_cs(tenure);
  if (chan_waiter* s = c->sendq.dequeue()) {
    task* t = c->take_from_sender(s, out);
    c->unlock_cs(elided);
    unpark(t);
    return chan_status::ok;
  }
  if (c->count > 0) {
    c->buf_take(out);
    c->unlock_cs(elided);
    return chan_status::ok;
  }
  bool closed = c->closed;
  c->unlock_cs(elided);
  return closed ? chan_status::closed : chan_status::not_ready;
}

std::size_t chan_size(chan_core* c) noexcept {
  const bool elided = c->lock_cs(chan_solo());
  std::size_t n = c->count;
  c->unlock_cs(elided);
  return n;
}

std::size_t chan_capacity(chan_core* c) noexcept { return c->cap; }

#if defined(WEFT_MODEL)
namespace {
std::uint64_t g_next_lock_rank = 0;  // model threads run one at a time
}
std::uint64_t chan_next_lock_rank() noexcept { return ++g_next_lock_rank; }
void chan_reset_globals() { g_next_lock_rank = 0; }
#endif

}  // namespace weft::detail
