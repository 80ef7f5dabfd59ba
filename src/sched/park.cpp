// park.cpp: tasks, park/unpark (see park.hpp for the protocol) and sleep.
#include <weft/time.hpp>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {

// Every thread_task ever made, so that they stay reachable (they are never
// freed: a late futex_wake on one must stay harmless).
sys::mutex g_thread_tasks_lock;
thread_task* g_thread_tasks = nullptr;

thread_task* thread_self() {
  auto* t = static_cast<thread_task*>(sys::tls_get(sys::tls_slot::thread_task));
  if (t != nullptr) return t;
  t = new thread_task;
  g_thread_tasks_lock.lock();
  t->all_next = g_thread_tasks;
  g_thread_tasks = t;
  g_thread_tasks_lock.unlock();
  sys::tls_set(sys::tls_slot::thread_task, t);
  return t;
}

// The running goroutine, unless the caller is a plain thread or inside
// blocking() (where it behaves as a plain thread: its M is its own).
goroutine* running_g(machine* m) {
  if (m == nullptr || m->curg == nullptr || m->in_blocking) return nullptr;
  return m->curg;
}

}  // namespace

const char* wait_reason_text(wait_reason r) noexcept {
  switch (r) {
    case wait_reason::none:
      return "running";
    case wait_reason::chan_receive:
      return "chan receive";
    case wait_reason::chan_send:
      return "chan send";
    case wait_reason::chan_receive_nil:
      return "chan receive (nil chan)";
    case wait_reason::chan_send_nil:
      return "chan send (nil chan)";
    case wait_reason::select:
      return "select";
    case wait_reason::select_no_cases:
      return "select (no cases)";
    case wait_reason::sleep:
      return "sleep";
    case wait_reason::wait_group:
      return "sync.WaitGroup.Wait";
    case wait_reason::mutex_lock:
      return "sync.Mutex.Lock";
    case wait_reason::cond_wait:
      return "sync.Cond.Wait";
    case wait_reason::once:
      return "sync.Once.Do";
  }
  return "unknown";
}

task* current_task() noexcept {
  goroutine* g = running_g(current_m());
  if (g != nullptr) return g;
  return thread_self();
}

void park(wait_reason reason, source_location where, bool (*commit)(void*), void* arg) {
  machine* m = current_m();
  goroutine* g = running_g(m);
  if (g != nullptr) return park_goroutine(m, g, reason, where, commit, arg);
  thread_task* t = thread_self();
  t->reason = reason;
  t->where = where;
  // Reset before commit: no waker can reach t until commit released the
  // structure's lock (park.hpp), so this store cannot erase a wake.
  t->word.store(0, std::memory_order_relaxed);
  if (commit != nullptr && !commit(arg)) return;
  // (T2) acquire: pairs with (T1) in unpark(); the waker's writes (a value
  // handed over) are visible once we see 1.
  while (t->word.load(std::memory_order_acquire) == 0) sys::futex_wait(t->word, 0);
  t->reason = wait_reason::none;
}

void unpark(task* t) {
  if (t->is_goroutine) {
    ready(static_cast<goroutine*>(t));
    return;
  }
  auto* tt = static_cast<thread_task*>(t);
  // (T1) release: publishes what the waker wrote for the parked thread.
  tt->word.store(1, std::memory_order_release);
  sys::futex_wake(tt->word, 1);
}

}  // namespace weft::detail

namespace weft {

void sleep_until(clock::time_point deadline, detail::source_location where) {
  using namespace detail;
  if (clock::now() >= deadline) return;
  goroutine* g = running_g(current_m());
  if (g == nullptr) {
    // A plain thread: sleep on a private futex word with a deadline.
    sys::atomic<std::uint32_t> word{0};
    while (sys::futex_wait_until(word, 0, deadline)) {
    }
    return;
  }
  struct sleeper {
    timer_node t;
    goroutine* g;
  } s;
  s.g = g;
  s.t.when = deadline;
  s.t.arg = &s;
  s.t.fire = [](timer_node* t) { unpark(static_cast<sleeper*>(t->arg)->g); };
  // Arm the timer only once we are off our stack: the fire may come at once.
  park(
      wait_reason::sleep, where,
      [](void* a) {
        timer_add(&static_cast<sleeper*>(a)->t);
        return true;
      },
      &s);
}

}  // namespace weft
