// select.cpp: the select engine. After Go's runtime/select.go (selectgo).
//
// One select, in four passes:
//   1. order: shuffle the non-nil cases into a poll order (uniform over
//      permutations, so every ready case is equally likely to win), and sort
//      their channels into a deduplicated lock order (chan_lock_before:
//      by address; by creation number under the checker);
//   1b. with two or more cases, poll them in poll order, locking one
//      channel at a time; the first that can complete does so, done (see
//      select_run for why this is still Go's select);
//   2. lock every channel in lock order (a global order, so two selects and
//      any number of single-channel operations cannot deadlock), then poll
//      the cases in poll order; the first that can complete does so, we
//      unlock all, wake its partner, done. With a default case and nothing
//      ready: unlock all, return the default;
//   3. enqueue one waiter record per case, all pointing at one select_state,
//      and park; the commit unlocks every channel once we are off our stack;
//   4. woken: the waker that won select_state::done (see wait_queue::dequeue)
//      recorded its waiter as the winner and completed its transfer. Lock
//      all again, take our other records off their queues, unlock all.
//
// Invariants:
//   S1  exactly one waker completes a parked select: every waker dequeues
//       through wait_queue::dequeue(), whose CAS on `done` (D1) admits one
//   S2  a send case's value is moved only by the completion of that case
//   S3  between enqueue (3) and cleanup (4) the records stay on this stack
//       frame; a waker touches one only under its channel's lock (Q5), and
//       cleanup takes every lock, so no waker is inside a record when
//       select_run returns
//   S4  the park commit reads the lock-order array only while at least one
//       of its channels is still locked (after the last unlock the select
//       may already have returned; Go's selparkcommit has the same rule)
//   S5  pass 4 writes elided[i] only once it is inside order[i]'s section
//       again, so the woken select, which may run on another M while the
//       commit still runs there, never overwrites a flag the commit has yet
//       to read: the commit reads elided[i] before it releases order[i]'s
//       lock, or, for a skipped lock (one P), on the only M, before that M
//       can run the select again. The flags are cells: the checker reports
//       a write that breaks this as a data race
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>

#include <weft/panic.hpp>
#include <weft/select.hpp>

#include "chan/chan_core.hpp"

namespace weft::detail {
namespace {

// Per-thread generator state for the poll order, kept in a seam TLS slot
// (the slot holds the state itself, not a pointer). A goroutine that
// migrates simply continues another thread's sequence, which is fine for
// a shuffle. Under the checker random_below is a choice it explores.
constexpr sys::tls_slot kSelectRandomSlot = sys::tls_slot::user0;

// One select's draws: the state is read from the slot once and written
// back once.
class poll_random {
 public:
  poll_random() noexcept
      : state_(static_cast<std::uint64_t>(
            reinterpret_cast<std::uintptr_t>(sys::tls_get(kSelectRandomSlot)))) {
    if (state_ == 0) state_ = sys::random_seed() | 1;
  }
  ~poll_random() {
    sys::tls_set(kSelectRandomSlot, reinterpret_cast<void*>(static_cast<std::uintptr_t>(state_)));
  }
  poll_random(const poll_random&) = delete;
  poll_random& operator=(const poll_random&) = delete;
  std::uint32_t below(std::uint32_t n) noexcept { return sys::random_below(state_, n); }

 private:
  std::uint64_t state_;
};

// Small arrays on the stack, large selects spill to the heap. The storage
// is left uninitialized (T is trivially destructible): select writes each
// element before reading it, and a polling select that succeeds never
// touches its waiter records at all.
template <class T, int kInline = 8>
class scratch {
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  explicit scratch(int n)
      : p_(n <= kInline ? reinterpret_cast<T*>(inline_)
                        : static_cast<T*>(::operator new(sizeof(T) * static_cast<std::size_t>(n)))),
        heap_(n > kInline) {}
  ~scratch() {
    if (heap_) ::operator delete(p_);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  T& operator[](int i) noexcept { return p_[i]; }
  T* data() noexcept { return p_; }

 private:
  alignas(T) unsigned char inline_[sizeof(T) * kInline];
  T* p_;
  bool heap_;
};

// Per order[i]: whether its lock was skipped (solo.cpp). A cell, so that
// the checker sees the race S5 rules out.
using elided_flag = sys::cell<bool>;

struct commit_arg {
  chan_core* const* order;    // deduplicated lock order
  const elided_flag* elided;  // per order[i]
  int last_locked;            // the last i whose lock is held
};

// The park commit: unlock every channel whose lock is held (S4). Reads the
// arrays only up to the last held lock: an elided channel's waker is the
// P's holder, which runs this commit, so none can wake us through one.
bool unlock_all_commit(void* p) {
  const auto* a = static_cast<const commit_arg*>(p);
  chan_core* const* order = a->order;  // copied while every lock is still held
  const elided_flag* elided = a->elided;
  const int last = a->last_locked;
  for (int i = 0; i <= last; ++i)  // order[i] and elided[i] are read before order[last]'s unlock
    if (!elided[i].get()) order[i]->lock.unlock();
  return true;
}

// Enters the critical sections of order[0, n) in that order as tenure t,
// recording which locks were skipped; when one is claimed by a running
// tenure, leaves the others, waits it out and starts over. elided[i] is
// written only inside order[i]'s section (S5).
void lock_all(chan_core* const* order, int n, std::uint64_t t, elided_flag* elided) {
  for (;;) {
    int i = 0;
    std::uint64_t busy = 0;
    bool skipped = false;
    while (i < n && order[i]->try_lock_cs(t, &skipped, &busy)) elided[i++].set(skipped);
    if (i == n) return;
    while (i-- > 0) order[i]->unlock_cs(elided[i].get());
    solo_wait(busy);
  }
}

enum class poll_result { not_ready, done, send_on_closed };

// Tries to complete case k now. REQUIRES(k.c->lock). On `done`, *wake is
// the partner to unpark once the caller has unlocked (or null) and *ok
// whether a value moved (false: a receive from a closed channel).
poll_result poll_case(select_case_raw& k, task** wake, bool* ok) {
  chan_core* c = k.c;
  *wake = nullptr;
  *ok = true;
  if (k.is_send) {
    if (c->closed) return poll_result::send_on_closed;
    if (chan_waiter* r = c->recvq.dequeue()) {
      *wake = c->hand_to_receiver(r, k.elem);
      return poll_result::done;
    }
    if (c->count < c->cap) {
      c->buf_put(k.elem);
      return poll_result::done;
    }
    return poll_result::not_ready;
  }
  if (chan_waiter* s = c->sendq.dequeue()) {
    *wake = c->take_from_sender(s, k.elem);
    return poll_result::done;
  }
  if (c->count > 0) {
    c->buf_take(k.elem);
    return poll_result::done;
  }
  if (c->closed) {
    *ok = false;
    return poll_result::done;
  }
  return poll_result::not_ready;
}

// Pass 1b's poll of one case as the holder of the solo P on a claimed
// channel of words whose buffer alone completes it (chan.cpp's fast
// paths, without the lock and the general poll); returns whether it did.
bool poll_claimed(select_case_raw& k, std::uint64_t tenure) {
  chan_core* c = k.c;
  if (!c->enter_claimed(tenure) || !c->word) return false;
  if (k.is_send) {
    if (!c->can_buffer()) return false;
    c->buf_put(k.elem);
  } else {
    if (!c->can_unbuffer()) return false;
    c->buf_take(k.elem);
  }
  return true;
}

}  // namespace

void select_block_forever(source_location where) {
  park(wait_reason::select_no_cases, where, nullptr, nullptr);
  sys::fatal("weft: select with no cases was woken");
}

select_outcome select_run(select_case_raw* cases, int n, bool has_default, source_location where) {
  std::uint64_t tenure = fast_safe_point();
  if (tenure == kSlowSafePoint) tenure = chan_op_begin();
  // Pass 1: poll order over the non-nil cases (inside-out Fisher-Yates),
  // and the deduplicated lock order.
  scratch<int> poll(n);
  scratch<chan_core*> order(n);
  int live = 0;
  {
    poll_random rnd;
    for (int i = 0; i < n; ++i) {
      if (!cases[i].c) continue;
      int j = live == 0 ? 0 : static_cast<int>(rnd.below(static_cast<std::uint32_t>(live + 1)));
      if (j != live) poll[live] = poll[j];
      poll[j] = i;
      order[live] = cases[i].c;
      ++live;
    }
  }
  if (live == 0 && has_default) return {-1, false};
  task* wake = nullptr;
  bool ok = true;

  // Pass 1b, with two or more cases: poll them in poll order, one channel
  // lock at a time; the first that completes wins. Each lock is a moment at
  // which that case was ready, and the first ready case of a uniform
  // permutation is uniform over the ready ones, so this is a select Go
  // could have made. A select that polls nothing ready goes on to pass 2,
  // which looks at every case under every lock at once before it returns
  // the default or parks: "nothing ready" needs that single moment. This
  // saves the locks of the other channels when a case is ready (select_2:
  // one lock pair instead of two) and costs a blocking select one more
  // lock pair per case.
  if (live > 1) {
    for (int p = 0; p < live; ++p) {
      select_case_raw& k = cases[poll[p]];
      if (poll_claimed(k, tenure)) return {poll[p], true};
      const bool elided = k.c->lock_cs(tenure);
      poll_result r = poll_case(k, &wake, &ok);
      k.c->unlock_cs(elided);
      if (r == poll_result::send_on_closed) panic("send on closed channel");
      if (r == poll_result::done) {
        if (wake != nullptr) unpark(wake);
        return {poll[p], ok};
      }
    }
  }
  std::sort(order.data(), order.data() + live, chan_lock_before);
  const int locks = static_cast<int>(std::unique(order.data(), order.data() + live) - order.data());

  // Pass 2: lock all, poll.
  scratch<elided_flag> elided(locks);
  for (int i = 0; i < locks; ++i) ::new (&elided[i]) elided_flag(false);
  lock_all(order.data(), locks, tenure, elided.data());
  auto unlock_all = [&] {
    for (int i = 0; i < locks; ++i) order[i]->unlock_cs(elided[i].get());
  };
  for (int p = 0; p < live; ++p) {
    const int i = poll[p];
    poll_result r = poll_case(cases[i], &wake, &ok);
    if (r == poll_result::not_ready) continue;
    unlock_all();
    if (r == poll_result::send_on_closed) panic("send on closed channel");
    if (wake != nullptr) unpark(wake);
    return {i, ok};
  }
  if (has_default) {
    unlock_all();
    return {-1, false};
  }

  // Pass 3: enqueue on every channel, park. (A select whose cases are all
  // nil enqueues nothing and is never woken, as in Go.) Enqueue in poll
  // order: several cases on one channel then sit in its queue in random
  // order, so a partner that arrives later picks among them uniformly too
  // (Go: "start with the pollorder to permute cases on the same channel").
  select_state st;
  scratch<chan_waiter> w(n);
  task* self = current_task();
  for (int p = 0; p < live; ++p) {
    const int i = poll[p];
    ::new (&w[i]) chan_waiter();
    w[i].who = self;
    w[i].elem = cases[i].elem;
    w[i].sel = &st;
    (cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq).push_back(&w[i]);
  }
  int last_locked = locks - 1;
  while (last_locked >= 0 && elided[last_locked].get()) --last_locked;
  commit_arg arg{order.data(), elided.data(), last_locked};
  if (last_locked < 0)
    park(wait_reason::select, where, nullptr, nullptr);  // every lock skipped
  else
    park(wait_reason::select, where, &unlock_all_commit, &arg);

  // Pass 4: the winner's transfer is done (S1); unhook the losers (S3). New
  // critical sections, in a tenure that may have changed while we slept.
  chan_waiter* winner = st.winner;
  lock_all(order.data(), locks, chan_solo(), elided.data());
  for (int i = 0; i < n; ++i) {
    if (!cases[i].c || &w[i] == winner) continue;
    (cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq).remove(&w[i]);
  }
  unlock_all();
  const int k = static_cast<int>(winner - w.data());
  if (cases[k].is_send && !winner->success) panic("send on closed channel");
  return {k, winner->success};
}

}  // namespace weft::detail
