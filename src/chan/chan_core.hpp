// chan_core.hpp: the type-erased channel shared by chan.cpp and select.cpp.
// After Go's runtime/chan.go (hchan, sudog, waitq).
//
// A channel is one lock, a ring buffer of `cap` slots of ops->size bytes,
// and two FIFO queues of parked tasks: recvq (receivers waiting for a value)
// and sendq (senders waiting for a receiver or for room). A waiter record
// (chan_waiter, Go's sudog) lives on the parked task's stack; for a select
// there is one per case, all sharing that select's `done` word.
//
// Invariants (all under `lock`):
//   Q1  at least one of sendq and recvq is empty, except transiently for a
//       parked select that waits to send and to receive on the same channel
//       (Go's exception, too)
//   Q2  cap > 0:  sendq non-empty  =>  count == cap   (senders wait only when full)
//                 recvq non-empty  =>  count == 0     (receivers wait only when empty)
//   Q3  closed  =>  sendq is empty  (close() wakes every sender; new ones panic)
//   Q4  a waiter is on a queue iff its `queued` flag is set; only the holder
//       of the channel lock reads or writes that flag and the links
//   Q5  a waiter record is touched by a waker only under its channel's lock,
//       and only while its task is parked: the waker reads `who`, unlocks,
//       then calls unpark(who) and never touches the record again
//
// The lock protects every field below it. Never wake a task while holding a
// channel lock: collect, unlock, then wake (the woken task may return and
// drop its stack, and with it the waiter record, at once). "Under the lock"
// means inside a critical section entered with try_lock_cs(), which skips
// the lock itself for the only P's holder on a channel it claimed
// (sched/solo.cpp); the rules above hold for those sections all the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include <weft/chan.hpp>
#include <weft/sys.hpp>

#include "sched/park.hpp"
#if defined(WEFT_RELACY)
// models/relacy builds chan.cpp over a stub of park.hpp, without the
// scheduler: every thread is a plain thread, outside any tenure, with no
// safe point to count.
namespace weft::detail {
inline std::uint64_t fast_safe_point() { return 0; }
inline task* tenure_task() noexcept { return current_task(); }  // never called: no tenure
}  // namespace weft::detail
#else
#include "sched/runtime.hpp"  // fast_safe_point()
#endif

namespace weft::detail {

// One parked select: shared by the waiter records of all its cases.
struct select_state {
  // 0 until a waker claims this select; exactly one CAS 0 -> 1 succeeds
  // (Go's g.selectDone). (D1) in wait_queue::dequeue() is its only writer.
  sys::atomic<std::uint32_t> done{0};
  struct chan_waiter* winner = nullptr;  // written by the claiming waker, read after unpark
};

struct chan_waiter {
  task* who = nullptr;
  // Send: the value to move from. Receive: storage to construct into.
  void* elem = nullptr;
  chan_waiter* prev = nullptr;
  chan_waiter* next = nullptr;
  select_state* sel = nullptr;  // non-null for a select case
  bool queued = false;          // Q4
  // Set by the waker: true if a value moved, false if woken by close().
  bool success = false;
};

// A FIFO of waiter records (Go's waitq). Guarded by the channel lock.
struct wait_queue {
  chan_waiter* first = nullptr;
  chan_waiter* last = nullptr;

  bool empty() const noexcept { return first == nullptr; }

  void push_back(chan_waiter* w) noexcept {
    w->next = nullptr;
    w->prev = last;
    if (last)
      last->next = w;
    else
      first = w;
    last = w;
    w->queued = true;
  }

  void remove(chan_waiter* w) noexcept {
    if (!w->queued) return;
    if (w->prev)
      w->prev->next = w->next;
    else
      first = w->next;
    if (w->next)
      w->next->prev = w->prev;
    else
      last = w->prev;
    w->prev = w->next = nullptr;
    w->queued = false;
  }

  // Pops the first waiter this caller may complete. A select's record is
  // taken only by winning its `done` CAS; a record whose select was already
  // claimed by a waker on another channel is dropped from the queue (its
  // select will find it unqueued when it cleans up).
  chan_waiter* dequeue() noexcept {
    for (;;) {
      chan_waiter* w = first;
      if (!w) return nullptr;
      remove(w);
      if (w->sel) {
        std::uint32_t expected = 0;
        // (D1) relaxed CAS (mutate showed acq_rel needless): it only
        // arbitrates between wakers that hold different channel locks, and
        // coherence on `done` alone lets exactly one succeed. Nothing is
        // published through it: the winner's writes to the record reach the
        // select through unpark()/park(); a loser reads nothing of the
        // winner's, and its own dequeue happens before the select's cleanup
        // through the channel lock it holds (pass 4 takes every lock, S3).
        if (!w->sel->done.compare_exchange_strong(expected, 1, std::memory_order_relaxed,
                                                  std::memory_order_relaxed))
          continue;
        w->sel->winner = w;
      }
      return w;
    }
  }
};

// Moves a T from src into raw storage at dst; destroys one. A trivially
// copyable T is copied inline (a word for the common case), with no call.
inline void move_elem(const elem_ops* ops, void* dst, void* src) noexcept {
  if (ops->trivial) {
    std::memcpy(dst, src, ops->size);
    return;
  }
  ops->move_construct(dst, src);
}
inline void destroy_elem(const elem_ops* ops, void* p) noexcept {
  if (!ops->trivial) ops->destroy(p);
}

// Go's hchan. Allocated by chan_make with the ring buffer right after it.
struct chan_core {
  // Handles (chan<T> values) alive. (RC1) in chan_release().
  sys::atomic<std::size_t> refs{1};
  const elem_ops* ops;
  std::size_t cap;
  unsigned char* buf;  // cap slots of ops->size bytes (nullptr when cap == 0)
  // T is trivially copyable and 1, 2, 4 or 8 bytes (int, long, a pointer,
  // ...): a "word", which the fast paths in chan.cpp copy without a call.
  // word_shift is log2 of its size.
  bool word = false;
  std::uint8_t word_shift = 0;
#if defined(WEFT_MODEL)
  std::uint64_t lock_rank = 0;  // see chan_lock_before()
  // Written at the start of every critical section, elided or not: two
  // sections not ordered by happens-before are a data race (solo.cpp).
  sys::ghost_cell cs_ghost;
#endif

  // Protects every field below. Held only for short, non-blocking sections
  // (the park commit releases it once the parking task is off its stack).
  // Never call unpark() while holding it. Skipped while one P runs
  // everything (solo.cpp): see try_lock_cs().
  sys::mutex lock;
  // Lock elision (solo.cpp): the tenure that claimed the channel (0: none),
  // written under the lock by the solo P's holder only, which also reads it
  // without the lock; and whether any other thread ever locked it.
  std::uint64_t solo_owner = 0;
  bool solo_shared = false;
  std::size_t count = 0;  // values in buf
  std::size_t sendx = 0;  // next slot to fill
  std::size_t recvx = 0;  // next slot to drain
  bool closed = false;
  wait_queue recvq;
  wait_queue sendq;

  unsigned char* slot(std::size_t i) const noexcept {
    return buf + (word ? i << word_shift : i * ops->size);
  }

  // Enters a critical section as the caller of tenure t (chan_op_begin;
  // 0: not the solo P's holder) and returns true with *elided set if it
  // skipped the lock (leave with unlock_cs(*elided)). Returns false, holding
  // nothing, if another tenure claimed the channel and still runs: the
  // caller must release any other channel lock it holds, solo_wait(*busy),
  // and try again. See solo.cpp.
  bool try_lock_cs(std::uint64_t t, bool* elided, std::uint64_t* busy) {
    if (enter_claimed(t)) {
      *elided = true;
      return true;
    }
    // *elided is written only on success (select's lock_all copies it into
    // its flag for the channel then: select.cpp, S5).
    if (t == 0) {
      if (!try_lock_shared(busy)) return false;
      *elided = false;
      return true;
    }
    lock.lock();
    *elided = false;
    // The holder: claim the channel, unless someone else used it.
    if (!solo_shared) solo_owner = t;
#if defined(WEFT_MODEL)
    cs_ghost.write();
#endif
    return true;
  }
  // try_lock_cs() for a caller with no tenure (t == 0): takes the lock,
  // unless a tenure that claimed the channel still runs (then as above).
  bool try_lock_shared(std::uint64_t* busy) {
    lock.lock();
    solo_shared = true;  // the holder must not claim it again
    if (solo_owner != 0 && solo_running(solo_owner)) {
      *busy = solo_owner;
      lock.unlock();
      return false;
    }
#if defined(WEFT_MODEL)
    cs_ghost.write();
#endif
    return true;
  }
  // try_lock_cs()'s lock-free case alone, for the fast paths: enters the
  // section and returns true if the caller's tenure t claimed the channel;
  // else does nothing.
  bool enter_claimed(std::uint64_t t) {
    if (t == 0 || solo_owner != t) return false;
#if defined(WEFT_MODEL)
    cs_ghost.write();
#endif
    return true;
  }
  // Whether a send could complete at once into the buffer (no receiver
  // waits, room left, not closed): send's common case. REQUIRES(lock).
  bool can_buffer() const noexcept { return count < cap && recvq.empty() && !closed; }
  // Whether a receive could take the buffer's head at once (no sender
  // waits, so no refill): receive's common case. REQUIRES(lock).
  bool can_unbuffer() const noexcept { return count > 0 && sendq.empty(); }
  // The first waiter of q if it is a plain operation (no select, which
  // needs the `done` CAS of dequeue()): the handoff fast paths' partner.
  // REQUIRES(lock).
  static chan_waiter* plain_first(const wait_queue& q) noexcept {
    chan_waiter* w = q.first;
    return w != nullptr && w->sel == nullptr ? w : nullptr;
  }
  // try_lock_cs() for a caller holding no other channel lock: waits out a
  // running tenure. Returns whether the lock was skipped.
  bool lock_cs(std::uint64_t t) {
    bool elided;
    std::uint64_t busy;
    while (!try_lock_cs(t, &elided, &busy)) solo_wait(busy);
    return elided;
  }
  void unlock_cs(bool elided) {
    if (!elided) lock.unlock();
  }

  // Copies one word (REQUIRES(word)).
  void copy_word(void* dst, const void* src) const noexcept {
    if (__builtin_expect(word_shift == 3, 1)) {
      std::memcpy(dst, src, 8);
    } else if (word_shift == 2) {
      std::memcpy(dst, src, 4);
    } else if (word_shift == 1) {
      std::memcpy(dst, src, 2);
    } else {
      std::memcpy(dst, src, 1);
    }
  }
  // Moves one element from src into raw storage at dst: a word inline,
  // anything else through move_elem().
  void copy_elem(void* dst, void* src) const noexcept {
    if (word)
      copy_word(dst, src);
    else
      move_elem(ops, dst, src);
  }

  // Buffer operations; REQUIRES(lock). Each reads `word` once, before its
  // copy (a store through a char pointer, after which it would be re-read).
  void buf_put(void* src) noexcept {
    copy_elem(slot(sendx), src);
    if (++sendx == cap) sendx = 0;
    ++count;
  }
  void buf_take(void* dst) noexcept {
    void* s = slot(recvx);
    if (word) {
      copy_word(dst, s);
    } else {
      move_elem(ops, dst, s);
      destroy_elem(ops, s);
    }
    if (++recvx == cap) recvx = 0;
    --count;
  }

  // The matching halves of send and receive, shared by chan.cpp and
  // select.cpp. REQUIRES(lock). Each returns the task to wake (after the
  // caller unlocks), or fills/takes the buffer and returns nullptr.

  // A sender found a parked receiver `w`: hand the value straight over.
  __attribute__((always_inline)) task* hand_to_receiver(chan_waiter* w, void* src) noexcept {
    copy_elem(w->elem, src);
    w->success = true;
    return w->who;
  }
  // A receiver found a parked sender `w`. Unbuffered: take its value. Buffered
  // (hence full, by Q2): take the head of the buffer and put the sender's
  // value at the tail, keeping FIFO order.
  __attribute__((always_inline)) task* take_from_sender(chan_waiter* w, void* dst) noexcept {
    if (cap == 0) {
      copy_elem(dst, w->elem);
    } else {
      buf_take(dst);
      buf_put(w->elem);
    }
    w->success = true;
    return w->who;
  }
};

// Marks a new channel, not yet seen by another thread, as never to be
// claimed by the solo P's holder (sched/solo.cpp): every operation on it
// takes its lock. For the channels of timers, tickers and after(): the
// monitor delivers into them, and the goroutine that calls stop() or reset()
// may block its thread in timer_del() until a delivery in progress ends, so
// a delivery must never wait for that goroutine's tenure to end.
inline void chan_never_claim(chan_core* c) noexcept { c->solo_shared = true; }

// select's global lock order. In production the channel's address. Under
// the checker, its creation number within the execution: the heap is laid
// out differently each time the checker re-runs a schedule prefix, and an
// address order would make the same prefix take its locks in another order
// (reported as "nondeterminism").
#if defined(WEFT_MODEL)
std::uint64_t chan_next_lock_rank() noexcept;
void chan_reset_globals();
#endif
inline bool chan_lock_before(const chan_core* a, const chan_core* b) noexcept {
#if defined(WEFT_MODEL)
  return a->lock_rank < b->lock_rank;
#else
  return std::less<const chan_core*>()(a, b);
#endif
}

}  // namespace weft::detail
