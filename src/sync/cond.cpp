// cond.cpp: weft::cond, Go's sync.Cond (sync/cond.go) over a weft::mutex.
//
// Go hands out tickets (runtime notifyList) so that Wait can unlock L
// before it queues. We instead queue first and unlock L while still holding
// the queue lock, which gives the same guarantee, "a signal() made after
// wait() released the mutex finds this waiter", with a plain FIFO. Lock
// order: q_lock_, then the mutex's internal lock (mutex::unlock may take
// it); nothing takes them the other way round.
//
// Invariants:
//   K1  a waiter is queued before the mutex is released, and stays queued
//       until a signal/broadcast dequeues it (exactly one unpark, P1)
//   K2  signal/broadcast unpark only after releasing q_lock_
#include <weft/sync.hpp>

#include "sched/park.hpp"

namespace weft {
namespace {
bool unlock_queue(void* q) {
  static_cast<sys::mutex*>(q)->unlock();
  return true;
}
}  // namespace

void cond::wait(detail::source_location where) {
  detail::waiter w;
  w.who = detail::current_task();
  q_lock_.lock();
  w.next = nullptr;
  if (q_tail_)
    q_tail_->next = &w;
  else
    q_head_ = &w;
  q_tail_ = &w;
  m_->unlock();  // K1
  detail::park(detail::wait_reason::cond_wait, where, &unlock_queue, &q_lock_);
  m_->lock(where);
}

void cond::signal() {
  q_lock_.lock();
  detail::waiter* w = q_head_;
  detail::task* t = nullptr;
  if (w) {
    q_head_ = w->next;
    if (!q_head_) q_tail_ = nullptr;
    t = w->who;
  }
  q_lock_.unlock();
  if (t) detail::unpark(t);  // K2
}

void cond::broadcast() {
  q_lock_.lock();
  detail::waiter* w = q_head_;
  q_head_ = q_tail_ = nullptr;
  q_lock_.unlock();
  while (w) {  // K2; read next before waking: the record dies with its task's frame
    detail::waiter* next = w->next;
    detail::unpark(w->who);
    w = next;
  }
}

}  // namespace weft
