// timers.cpp: the process-wide timer heap (a binary min-heap on `when`).
//
// Serviced by the running runtime's monitor (sysmon.cpp) and, for timers
// armed by plain threads, by a standalone service thread that lives only
// while such timers exist. One servicer fires at a time (g_service_lock),
// each fire with no lock held.
//
// Invariants:
//   T1  t->heap_index >= 0 iff t is in the heap, at that index (g_tlock)
//   T2  g_firing is the timer whose fire() runs now, or null (g_tlock); a
//       fired node is never touched again by the servicer after fire()
//       returns (it may live on the stack of the goroutine fire() woke)
//   T3  g_pending counts armed timers plus the one firing, so the deadlock
//       detector never sees "no timer" while a fire is about to wake someone
#include <climits>
#include <vector>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {

sys::mutex g_tlock;
std::vector<timer_node*> g_heap;   // g_tlock
timer_node* g_firing = nullptr;    // g_tlock
void* g_firing_owner = nullptr;    // g_tlock: g_firing's owner (g_firing may die mid-fire)
std::uint32_t g_del_waiters = 0;   // g_tlock
std::uint32_t g_plain_timers = 0;  // g_tlock: armed with owner == null
bool g_standalone = false;         // g_tlock: the service thread runs
// relaxed counter; read by the deadlock detector (T3).
sys::atomic<std::uint32_t> g_pending{0};
// Futex words: bumped after each fire (timer_del waits on it) and when the
// earliest deadline moves earlier or the monitor must look again.
sys::atomic<std::uint32_t> g_fire_seq{0};
sys::atomic<std::uint32_t> g_service_word{0};
sys::mutex g_service_lock;

bool before(const timer_node* a, const timer_node* b) { return a->when < b->when; }

void heap_set(std::size_t i, timer_node* t) {
  g_heap[i] = t;
  t->heap_index = static_cast<std::int32_t>(i);
}

void sift_up(std::size_t i) {
  timer_node* t = g_heap[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(t, g_heap[parent])) break;
    heap_set(i, g_heap[parent]);
    i = parent;
  }
  heap_set(i, t);
}

void sift_down(std::size_t i) {
  std::size_t n = g_heap.size();
  timer_node* t = g_heap[i];
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(g_heap[c + 1], g_heap[c])) c++;
    if (!before(g_heap[c], t)) break;
    heap_set(i, g_heap[c]);
    i = c;
  }
  heap_set(i, t);
}

// g_tlock held.
void heap_remove(timer_node* t) {
  auto i = static_cast<std::size_t>(t->heap_index);
  timer_node* last = g_heap.back();
  g_heap.pop_back();
  t->heap_index = -1;
  if (t->owner == nullptr) g_plain_timers--;
  if (last != t) {
    heap_set(i, last);
    sift_down(i);
    sift_up(static_cast<std::size_t>(last->heap_index));
  }
}

void wake_servicers() {
  // (V1) release: pairs with the monitor's acquire load of the word
  // (timers_service_word_load), after which it reads its flags unlocked.
  g_service_word.fetch_add(1, std::memory_order_release);
  sys::futex_wake(g_service_word, INT_MAX);
}

// g_tlock held: waits, releasing it meanwhile, until `firing()` is false;
// it turns false only when a fire ends (T2).
template <class Pred>
void wait_fire_locked(Pred firing) {
  while (firing()) {
    g_del_waiters++;
    std::uint32_t seq = g_fire_seq.load(std::memory_order_relaxed);
    g_tlock.unlock();
    sys::futex_wait(g_fire_seq, seq);
    g_tlock.lock();
    g_del_waiters--;
  }
}

void standalone_main() {
  for (;;) {
    // relaxed (mutate showed acquire needless): unlike the monitor, which
    // reads its flags after the word without a lock (V1 there), this thread
    // reads the heap and the counts only under g_tlock; the word only makes
    // the futex wait below return if a wake came after this load.
    std::uint32_t seen = g_service_word.load(std::memory_order_relaxed);
    auto next = timers_run_due(sys::clock::now());
    g_tlock.lock();
    if (g_plain_timers == 0) {
      g_standalone = false;
      g_tlock.unlock();
      return;
    }
    g_tlock.unlock();
    if (next == sys::clock::time_point::max())
      sys::futex_wait(g_service_word, seen);
    else
      sys::futex_wait_until(g_service_word, seen, next);
  }
}

}  // namespace

void timer_add(timer_node* t) {
  machine* m = current_m();
  runtime* owner = m != nullptr ? m->rt : nullptr;
  g_tlock.lock();
  if (t->heap_index >= 0) {
    g_tlock.unlock();
    sys::fatal("weft: timer_add: timer already armed");
  }
  if (owner != nullptr && owner->stop_flag.load(std::memory_order_relaxed) != 0) {
    // The runtime is stopping: its goroutines are abandoned and
    // timers_purge() may already have run (R2 in run.cpp). Arming now would
    // leave a timer pointing into a goroutine that is about to be freed.
    // relaxed: stop_flag is set before run() takes g_tlock to purge, so
    // whoever takes g_tlock second sees the other's doing.
    g_tlock.unlock();
    return;
  }
  t->owner = owner;
  g_heap.push_back(t);
  sift_up(g_heap.size() - 1);
  bool earliest = g_heap[0] == t;
  g_pending.fetch_add(1, std::memory_order_relaxed);
  bool start = false;
  if (owner == nullptr) {
    g_plain_timers++;
    if (!g_standalone && current_runtime() == nullptr) {
      g_standalone = true;
      start = true;
    }
  }
  g_tlock.unlock();
  if (start) {
    sys::thread th([] { standalone_main(); });
    th.detach();
  } else if (earliest) {
    wake_servicers();
  }
}

bool timer_del(timer_node* t) {
  g_tlock.lock();
  if (t->heap_index >= 0) {
    heap_remove(t);
    g_pending.fetch_sub(1, std::memory_order_relaxed);
    g_tlock.unlock();
    return true;
  }
  // Not armed, or firing right now: wait for the fire to finish (T2).
  wait_fire_locked([t] { return g_firing == t; });
  g_tlock.unlock();
  return false;
}

sys::clock::time_point timers_run_due(sys::clock::time_point now, bool* fired) {
  g_service_lock.lock();
  sys::clock::time_point next = sys::clock::time_point::max();
  for (;;) {
    g_tlock.lock();
    if (g_heap.empty() || g_heap[0]->when > now) {
      if (!g_heap.empty()) next = g_heap[0]->when;
      g_tlock.unlock();
      break;
    }
    timer_node* t = g_heap[0];
    heap_remove(t);
    g_firing = t;
    g_firing_owner = t->owner;
    g_tlock.unlock();
    t->fire(t);  // T2: t is not touched after this
    g_tlock.lock();
    g_firing = nullptr;
    g_firing_owner = nullptr;
    bool waiters = g_del_waiters != 0;
    g_fire_seq.fetch_add(1, std::memory_order_relaxed);
    g_tlock.unlock();
    g_pending.fetch_sub(1, std::memory_order_relaxed);  // T3: after the fire
    if (waiters) sys::futex_wake(g_fire_seq, INT_MAX);
    if (fired != nullptr) *fired = true;
  }
  g_service_lock.unlock();
  return next;
}

#if defined(WEFT_MODEL)
// Between the checker's executions (sched.cpp, reset_globals).
void timers_reset_globals() {
  g_heap.clear();
  g_firing = nullptr;
  g_firing_owner = nullptr;
  g_del_waiters = 0;
  g_plain_timers = 0;
  g_standalone = false;
  g_pending.store(0, std::memory_order_relaxed);
  g_fire_seq.store(0, std::memory_order_relaxed);
  g_service_word.store(0, std::memory_order_relaxed);
}
#endif

std::uint32_t timers_pending() noexcept { return g_pending.load(std::memory_order_relaxed); }

// Removes every timer `rt` armed (R2 in run.cpp), waiting for one of them
// that is firing right now.
void timers_purge(runtime* rt) {
  g_tlock.lock();
  std::vector<timer_node*> keep;
  for (timer_node* t : g_heap) {
    if (t->owner == rt) {
      t->heap_index = -1;
      g_pending.fetch_sub(1, std::memory_order_relaxed);
    } else {
      keep.push_back(t);
    }
  }
  g_heap.clear();
  for (timer_node* t : keep) {
    g_heap.push_back(t);
    sift_up(g_heap.size() - 1);
  }
  wait_fire_locked([rt] { return g_firing != nullptr && g_firing_owner == rt; });
  bool plain = g_plain_timers != 0 && !g_standalone;
  if (plain) g_standalone = true;
  g_tlock.unlock();
  if (plain) {
    // Plain threads' timers were serviced by rt's monitor; hand them over.
    sys::thread th([] { standalone_main(); });
    th.detach();
  }
}

std::uint32_t timers_service_word_load() noexcept {
  return g_service_word.load(std::memory_order_acquire);  // (V1)
}
void timers_service_wait(std::uint32_t seen, sys::clock::time_point deadline) {
  if (deadline == sys::clock::time_point::max())
    sys::futex_wait(g_service_word, seen);
  else
    sys::futex_wait_until(g_service_word, seen, deadline);
}
void timers_service_wake() { wake_servicers(); }

}  // namespace weft::detail
