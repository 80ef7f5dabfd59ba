// runq.hpp: a P's bounded run queue. The owner pushes and pops; any P may
// steal half. After Go's runqput/runqget/runqgrab (runtime/proc.go), written
// for C11 atomics through the seam.
//
// Invariants:
//   I1  tail_ - head_ <= N          (the owner never overwrites an unclaimed slot)
//   I2  only the owner writes tail_ and the slots at or past tail_
//   I3  head_ only moves forward, by CAS (owner pop, thief grab, overflow)
//   I4  a G is in at most one of: a slot in [head_, tail_), runnext_, a batch
//       taken by a successful head_ CAS
//
// Orderings (each label is named at its site):
//   (R1) owner: tail_ release store     ->  (A1) thief: tail_ acquire load
//        publishes the slot written just before it
//   (R2) head_ CAS release (thief/owner) ->  (A2) push, steal_from: head_
//        acquire load; orders a thief's slot reads before the owner reuses
//        those slots (excludes load buffering: needed in ISO C++, not in
//        RC11; the checker sees it through ghosts_); the owner's other head_
//        loads write no slot and are relaxed
//   (R3) owner: runnext_ exchange release  ->  thief: runnext_ CAS acquire
//        hands a G and everything written before it was readied to the
//        thief; the owner reads back only its own stores (thieves store null)
#pragma once

#include <cstddef>
#include <cstdint>

#include <weft/sys.hpp>

namespace weft::detail {

// Starts fetching every cache line of *p (a hint: no effect on what the
// program computes; p may be anything, null included).
template <class T>
inline void prefetch_object(const T* p) {
  const auto* b = reinterpret_cast<const char*>(p);
  for (std::size_t off = 0; off < sizeof(T); off += 64) __builtin_prefetch(b + off);
}

template <class G, std::uint32_t N>
class run_queue {
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  static constexpr std::uint32_t kSize = N;
  static constexpr int kRunnextDelayHints = 100;  // before a thief takes runnext_

  run_queue() {
    for (auto& s : slots_) s.store(nullptr, std::memory_order_relaxed);
  }

  // Owner, when no thief can exist (a runtime with one P): runnext_ without
  // read-modify-writes. Thieves are the only other writers of runnext_.
  G* put_next_unshared(G* g) {
    G* old = runnext_.load(std::memory_order_relaxed);
    runnext_.store(g, std::memory_order_relaxed);
    return old;
  }
  G* pop_next_unshared() {
    G* next = runnext_.load(std::memory_order_relaxed);
    if (next != nullptr) runnext_.store(nullptr, std::memory_order_relaxed);
    return next;
  }

  // Owner: puts g in runnext_ and returns the G it displaced (or null).
  // `is_new`: g was just spawned, not readied (a hint for thieves, grab()).
  G* put_next(G* g, bool is_new = false) {
    if constexpr (!sys::kModel) runnext_new_.store(is_new, std::memory_order_relaxed);
    // (R3) release: publishes g to a thief's CAS in grab(). No acquire
    // (acq_rel was needless): the displaced G we may read back was stored by
    // our own earlier put (thieves only ever store null), so program order
    // already orders what was written before it.
    return runnext_.exchange(g, std::memory_order_release);
  }

  // Owner: appends g at the tail. Returns false if the ring is full (the
  // caller then moves half of it out with take_half()).
  bool push(G* g) {
    // (A2) acquire: pairs with (R2); a slot freed by a thief's CAS is only
    // reused after the thief's reads of it. Relaxed, the thief's slot read
    // and our reuse of the slot could form load buffering (ISO C++ allows
    // it; RC11, the model of both checkers, does not): the ghost write below
    // reports the missing happens-before instead. (Go's runqput uses LoadAcq
    // too.)
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);  // I2: ours
    if (t - h >= N) return false;
    ghosts_[t % N].write();  // checks (A2): claimed reads of the slot happen before
    slots_[t % N].store(g, std::memory_order_relaxed);
    // (R1) release: publishes the slot to thieves. Pairs with (A1) in grab().
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Owner, on overflow: claims the older half of the ring into out[0, n)
  // (room for N / 2) and returns n, oldest first; 0 if thieves emptied
  // enough of the ring meanwhile (then push() again). out is filled from
  // the slots before the claim, but its Gs are ours only once the claim
  // succeeds.
  std::uint32_t take_half(G** out) {
    for (;;) {
      // Relaxed (mutation showed acquire needless): unlike push(), we write
      // no slot here; the slots we read are our own writes (I2), and the
      // push() that reuses them loads head_ with (A2) again: it reads our
      // CAS or a later one, and a CAS continues the release sequence of the
      // thieves' CASes before it.
      std::uint32_t h = head_.load(std::memory_order_relaxed);
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (t - h < N) return 0;  // no longer full
      std::uint32_t n = (t - h) / 2;
      for (std::uint32_t i = 0; i < n; i++)
        out[i] = slots_[(h + i) % N].load(std::memory_order_relaxed);
      // (R2) release: our slot reads happen before the slots are reused.
      if (head_.compare_exchange_strong(h, h + n, std::memory_order_release,
                                        std::memory_order_relaxed))
        return n;
    }
  }

  // Owner: runnext_ first, then the head of the ring.
  G* pop() {
    G* g = pop_next();
    return g != nullptr ? g : pop_ring();
  }

  // Owner: takes runnext_, or null.
  G* pop_next() {
    G* next = runnext_.load(std::memory_order_relaxed);
    // Relaxed (mutate: equivalent): a non-null value here was stored by our
    // own put_next() (thieves only store null), so it is ordered by program
    // order; the CAS only decides between us and a thief, which it does at
    // any order. It fails if a thief took the G first.
    if (next != nullptr && runnext_.compare_exchange_strong(
                               next, nullptr, std::memory_order_relaxed, std::memory_order_relaxed))
      return next;
    return nullptr;
  }

  // Owner: takes the head of the ring, or null.
  G* pop_ring() {
    for (;;) {
      // Relaxed (mutation showed acquire needless): as in take_half(), no
      // slot is written here and the one we read is our own write (I2).
      std::uint32_t h = head_.load(std::memory_order_relaxed);
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (t == h) return nullptr;
      G* g = slots_[h % N].load(std::memory_order_relaxed);
      // (R2) release: a thief racing for the same slot loses the CAS; the
      // winner's claim is ordered before our reuse of the slot.
      if (head_.compare_exchange_strong(h, h + 1, std::memory_order_release,
                                        std::memory_order_relaxed)) {
        if constexpr (!sys::kModel) {
          // The G after it is likely the next to run: start fetching its
          // record, which has often gone cold in the queue. A hint only:
          // the slot is below tail_, so written (I2), and a thief may take
          // the G meanwhile, which costs nothing but the fetch.
          if (h + 1 != t) prefetch_object(slots_[(h + 1) % N].load(std::memory_order_relaxed));
        }
        return g;
      }
    }
  }

  // Thief: moves half of victim's Gs into this (empty-ish) queue, returning
  // one of them to run at once, or null. `take_next` allows taking the
  // victim's runnext_ when its ring is empty (the last pass of a steal).
  G* steal_from(run_queue& victim, bool take_next) {
    std::uint32_t t = tail_.load(std::memory_order_relaxed);  // I2: ours
    // (A2) acquire, as in push(): grab() writes our slots from t on, and a
    // thief of ours may have claimed their last Gs; pairs with its (R2), so
    // its reads of those slots happen before our writes. Our pops' relaxed
    // loads and release CASes order nothing in that direction.
    (void)head_.load(std::memory_order_acquire);
    std::uint32_t n = victim.grab(this, t, take_next);
    if (n == 0) return nullptr;
    n--;
    G* g = slots_[(t + n) % N].load(std::memory_order_relaxed);
    if (n == 0) return g;
    // (R1) release: publishes the grabbed slots to thieves of *this*.
    tail_.store(t + n, std::memory_order_release);
    return g;
  }

  // Any thread: a snapshot; exact only when the caller is the owner and no
  // thief runs. Relaxed (mutate: equivalent): the answer only steers a
  // decision (spin on, start an M, report a deadlock under rt->lock); the Gs
  // themselves are taken only by pop() and grab(), which acquire on their
  // own. A caller that needs StoreLoad order puts a fence before the call
  // (S4 in sched.cpp).
  bool empty() const {
    std::uint32_t h = head_.load(std::memory_order_relaxed);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    return t == h && runnext_.load(std::memory_order_relaxed) == nullptr;
  }
  std::uint32_t size() const {
    std::uint32_t h = head_.load(std::memory_order_relaxed);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    return t - h + (runnext_.load(std::memory_order_relaxed) != nullptr ? 1 : 0);
  }

 private:
  // Copies up to half of our Gs into dst's slots from dst_tail on; returns
  // how many were claimed.
  std::uint32_t grab(run_queue* dst, std::uint32_t dst_tail, bool take_next) {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);  // (A2)
      // (A1) acquire: pairs with (R1); the slots below t are written.
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n = n - n / 2;
      if (n == 0) {
        if (!take_next) return 0;
        // Relaxed (mutation showed acquire needless): only a guess at the G;
        // the CAS below takes it, and its acquire is what publishes the G to
        // us.
        G* next = runnext_.load(std::memory_order_relaxed);
        if (next == nullptr) return 0;
        if constexpr (!sys::kModel) {
          // Give the owner a moment first when runnext holds a readied G:
          // the G that readied it (a channel hand-off) usually blocks next
          // and the owner runs it; taken now, the pair moves to two cores
          // and every message crosses between them. Go's runqgrab sleeps
          // 3 us here; 100 hints are ~3 us at 28 ns a hint. A new G (a
          // spawn) is taken at once: its spawner goes on running. None
          // under the checkers: timing only, no interleaving to explore.
          if (!runnext_new_.load(std::memory_order_relaxed)) {  // a hint
            for (int i = 0; i < kRunnextDelayHints; i++) sys::spin_hint();
            next = runnext_.load(std::memory_order_relaxed);  // a guess, as above
            if (next == nullptr) return 0;
          }
        }
        // (R3) acquire: takes the G published by the owner's put_next().
        // No release (mutation showed acq_rel needless): the null we store
        // publishes nothing; the owner that reads it back takes no G.
        if (!runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acquire,
                                              std::memory_order_relaxed))
          continue;
        dst->ghosts_[dst_tail % N].write();
        dst->slots_[dst_tail % N].store(next, std::memory_order_relaxed);
        return 1;
      }
      if (n > N / 2) continue;  // h and t read inconsistently; retry
      for (std::uint32_t i = 0; i < n; i++) {
        G* g = slots_[(h + i) % N].load(std::memory_order_relaxed);
        dst->ghosts_[(dst_tail + i) % N].write();
        dst->slots_[(dst_tail + i) % N].store(g, std::memory_order_relaxed);
      }
      sys::read_mark read = sys::mark_read();  // after the slot reads
      // (R2) release: our slot reads happen before the owner reuses them.
      if (head_.compare_exchange_strong(h, h + n, std::memory_order_release,
                                        std::memory_order_relaxed)) {
        // The reads count now that the slots are ours: the owner's next
        // write of each (push, steal_from) must happen after them.
        for (std::uint32_t i = 0; i < n; i++) ghosts_[(h + i) % N].commit_read(read);
        return n;
      }
    }
  }

  sys::atomic<std::uint32_t> head_{0};    // CAS by owner and thieves
  sys::atomic<std::uint32_t> tail_{0};    // written by the owner only; read by thieves
  sys::atomic<G*> runnext_{nullptr};      // exchanged by the owner, CAS by thieves
  sys::atomic<bool> runnext_new_{false};  // hint: runnext_'s G is new (not under the checkers)
  sys::atomic<G*> slots_[N];              // relaxed; ordered by head_/tail_
  // The checker's view of each slot as plain data (sys::ghost_cell): the
  // owner's writes and the thieves' claimed reads, so that a slot reused
  // before a claimed read of it happens before is reported as a race.
  // Empty outside weft::model.
  sys::ghost_cell ghosts_[N];
};

}  // namespace weft::detail
