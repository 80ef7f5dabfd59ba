// park.hpp: the runtime's internal blocking API, used by channels, select,
// timers and the sync package (src/chan, src/sync). Not a public header.
//
// A *task* is whoever blocks: a goroutine, or a plain OS thread that called a
// weft blocking operation (it gets a task record of its own, parked on a
// futex). Blocking follows Go's gopark/goready protocol:
//
//   1. lock the structure (channel, wait group, ...);
//   2. enqueue a waiter record naming current_task() (the record lives on the
//      blocking task's stack);
//   3. park(reason, where, commit, arg): the task stops running; then
//      commit(arg) runs *after* the task is off its stack (on the M's
//      scheduler context) and typically unlocks the structure. If commit
//      returns false the park is abandoned and park() returns at once;
//   4. a waker locks the structure, dequeues the waiter, unlocks, and only
//      then calls unpark(task) ("never wake while holding a channel lock").
//
// Because the waker can only find the waiter after commit() released the
// lock, unpark() never races with the parking task still being on its stack,
// and no wakeup is lost between enqueue and sleep.
//
// Invariants:
//   P1  every park() that does not abort is matched by exactly one unpark()
//   P2  unpark() touches only the task, never the structure it waited on, so
//       the structure may be destroyed as soon as the woken task returns
#pragma once

#include <cstdint>

#include <weft/runtime.hpp>
#include <weft/sys.hpp>

namespace weft::detail {

// Go's wait reasons, as printed in the deadlock report.
enum class wait_reason : std::uint8_t {
  none,
  chan_receive,      // "chan receive"
  chan_send,         // "chan send"
  chan_receive_nil,  // "chan receive (nil chan)"
  chan_send_nil,     // "chan send (nil chan)"
  select,            // "select"
  select_no_cases,   // "select (no cases)"
  sleep,             // "sleep"
  wait_group,        // "sync.WaitGroup.Wait"
  mutex_lock,        // "sync.Mutex.Lock"
  cond_wait,         // "sync.Cond.Wait"
  once,              // "sync.Once.Do"  (weft's; Go blocks on a mutex there)
};
const char* wait_reason_text(wait_reason r) noexcept;

struct task;

// The calling task: the running goroutine, or a task record for the calling
// plain OS thread (created on first use, freed when the thread exits).
task* current_task() noexcept;

// Park the calling task (see the protocol above). `commit` may be null.
void park(wait_reason reason, source_location where, bool (*commit)(void*), void* arg);
// park() without a commit, and current_task(), for a caller inside its
// lock-elision tenure (chan_op_begin() returned nonzero): that caller is the
// running goroutine of the solo P's holder, and its elided critical section
// has no lock for a commit to release (it ends as the goroutine switches
// away), so these skip the checks for a plain thread and go straight to the
// switch. tenure_task() is inline, in sched/runtime.hpp.
void park_in_tenure(wait_reason reason, source_location where);
// Make a parked task runnable again. Callable from any goroutine, plain
// thread, or a timer callback; never while holding the lock the task's
// waiter record is guarded by.
void unpark(task* t);

// A safe point, at the start of every channel operation and select: a
// goroutine that has passed kSlice of them since it was last switched in,
// without blocking, yields (to the back of the global queue) before going
// on. This stands in for Go's time-slice preemption: a goroutine looping on
// channel operations that are always ready cannot starve the goroutines
// queued behind it. No-op on a plain thread.
//
// Returns the caller's lock-elision tenure (solo.cpp): nonzero if it
// holds the only P of a runtime with procs == 1, which may then skip the
// locks of channels it has claimed (chan_core::try_lock_cs). Valid until
// the caller switches away; a critical section after a park (select's
// cleanup) asks chan_solo() again.
std::uint64_t chan_op_begin();
// What fast_safe_point() (sched/runtime.hpp) returns when the caller must
// call chan_op_begin() instead; never a tenure.
inline constexpr std::uint64_t kSlowSafePoint = ~std::uint64_t{0};
// The tenure alone, without the safe point (chan_close, chan_size, select's
// cleanup).
std::uint64_t chan_solo();
// For a critical section that found its channel claimed by `tenure`, not
// the caller's: asks that tenure to end and waits until it has. The caller
// must hold no channel lock.
void solo_wait(std::uint64_t tenure);
// Whether `tenure` runs now; false orders its critical sections before the
// caller's (acquire).
bool solo_running(std::uint64_t tenure);

// An intrusive record of a parked task, for wait lists. Structures are free
// to use their own richer records; this one suits simple FIFO lists.
struct waiter {
  task* who = nullptr;
  waiter* next = nullptr;
};

// ---- timers ---------------------------------------------------------------
// A one-shot timer. `fire(t)` runs on a scheduler thread (or the monitor)
// when the deadline has passed, with no runtime lock held; it must not block
// (it may unpark tasks and do non-blocking channel operations). A pending
// timer keeps the deadlock detector quiet, as in Go.
struct timer_node {
  sys::clock::time_point when{};
  void (*fire)(timer_node* self) = nullptr;
  void* arg = nullptr;
  // Owned by the timer heap:
  std::int32_t heap_index = -1;  // -1: not in the heap
  void* owner = nullptr;         // the runtime that armed it (null: a plain thread)
};
// Arm `t` (not already armed). Without a running runtime (plain threads
// only) a helper thread services the timers.
void timer_add(timer_node* t);
// Disarm `t`. Returns true if it was removed before firing; false if it had
// already fired or was not armed. When it returns, fire(t) is not running
// and will not run.
bool timer_del(timer_node* t);

}  // namespace weft::detail
