// goroutines.cpp: goroutine records, their stacks and their ids; spawning.
//
// A G record, once allocated, is never freed while its runtime lives: it is
// linked on rt->allgs (for the deadlock report and the dumps) and recycled
// through free lists, per P first, then global. A G holds no stack until it
// is first scheduled (g_take_stack), so a million spawned-but-not-started
// goroutines cost a million small records, not a million stacks; a dead G
// gives its stack back to its P's cache at once.
//
// Invariants:
//   G1  g->stk is empty iff g has not started or has died
//   G2  a G on a free list has status idle and no callable
//   G3  ids are unique within a run; goroutine 1 is run()'s
//   G4  p->gfree_count is the length of p->gfree
//   G5  rt->gfree_global is a stack of batches: each is a chain through
//       G::next of free_batch_n records, ending in null; the batches are
//       linked through their first records' free_batch_next
#include <cstring>
#include <new>

#include "sched/runtime.hpp"

namespace weft::detail {

namespace {
constexpr std::uint32_t kGfreeLocalMax = 64;
constexpr std::uint32_t kGBatch = 32;
constexpr std::uint64_t kIdBatch = 256;

goroutine* new_g_batch_locked(runtime* rt, std::uint32_t n) {
  goroutine* head = nullptr;
  for (std::uint32_t i = 0; i < n; i++) {
    auto* g = new goroutine;
    g->all_next = rt->allgs;
    rt->allgs = g;
    g->next = head;
    head = g;
  }
  return head;
}
}  // namespace

goroutine* g_alloc(runtime* rt, processor* p) {
  goroutine* g = nullptr;
  if (p != nullptr) {
    if (p->gfree == nullptr) {
      // Refill from the global free list, else allocate a batch.
      // The global list is a stack of batches (G5): taking one reads one
      // record, not a chain of cold ones.
      rt->glock.lock();
      std::uint32_t n = kGBatch;
      if (goroutine* b = rt->gfree_global) {
        rt->gfree_global = b->free_batch_next;
        b->free_batch_next = nullptr;
        n = b->free_batch_n;
        p->gfree = b;
      } else {
        p->gfree = new_g_batch_locked(rt, kGBatch);
      }
      rt->glock.unlock();
      p->gfree_count += n;
    }
    g = p->gfree;
    p->gfree = g->next;
    p->gfree_count--;
    // Spawns come in bursts: the next record (cold on the free list) is
    // likely wanted soon.
    if constexpr (!sys::kModel) prefetch_object(p->gfree);
    if (p->id_next == p->id_end) {
      rt->glock.lock();
      p->id_next = rt->next_id;
      rt->next_id += kIdBatch;
      rt->glock.unlock();
      p->id_end = p->id_next + kIdBatch;
    }
    g->id = p->id_next++;
  } else {
    rt->glock.lock();
    if (goroutine* b = rt->gfree_global) {
      // The head of the first batch; the rest of it stays a batch.
      g = b;
      rt->gfree_global = b->free_batch_next;
      if (b->free_batch_n > 1) {
        goroutine* rest = b->next;
        rest->free_batch_n = b->free_batch_n - 1;
        rest->free_batch_next = rt->gfree_global;
        rt->gfree_global = rest;
      }
      b->free_batch_next = nullptr;
    } else {
      g = new_g_batch_locked(rt, 1);
    }
    g->id = rt->next_id++;
    rt->glock.unlock();
  }
  g->rt = rt;
  g->next = nullptr;
  g->started = false;
  g->reason = wait_reason::none;
  g->where = {nullptr, 0};
  return g;
}

void g_take_stack(runtime* rt, processor* p, goroutine* g) {
  if (p->nstacks > 0) {
    g->stk = p->stacks[--p->nstacks];
    return;
  }
  g->stk = sys::stack_alloc(rt->cfg.stack_size);
}

static void g_drop_fn(goroutine* g) {
  if (g->heap_fn) ::operator delete(g->fn);
  g->heap_fn = false;
  g->fn = nullptr;
}

// g has died (it ran to the end); p is the current M's P.
void g_free(runtime* rt, processor* p, goroutine* g) {
  g->status.store(gstatus::idle, std::memory_order_relaxed);
  g_drop_fn(g);
  sys::fiber_recycle(&g->ctx);
  if (g->stk) {
    if (p->nstacks < processor::kStackCache)
      p->stacks[p->nstacks++] = g->stk;
    else
      sys::stack_free(g->stk);
    g->stk = sys::stack{};
  }
  p_count_goroutines(p, -1);
  g->next = p->gfree;
  p->gfree = g;
  if (++p->gfree_count > kGfreeLocalMax) {
    // Give a batch back so that a spawning P and an exiting P balance out:
    // the kGBatch records most recently freed (warm), cut off as one chain.
    goroutine* first = p->gfree;
    goroutine* last = first;
    for (std::uint32_t i = 1; i < kGBatch; i++) last = last->next;
    p->gfree = last->next;
    p->gfree_count -= kGBatch;
    last->next = nullptr;
    first->free_batch_n = kGBatch;
    rt->glock.lock();
    first->free_batch_next = rt->gfree_global;
    rt->gfree_global = first;
    rt->glock.unlock();
  }
}

// The runtime is being destroyed: no M runs any more.
void g_release_all(runtime* rt) {
  goroutine* g = rt->allgs;
  while (g != nullptr) {
    goroutine* next = g->all_next;
    gstatus s = g->status.load(std::memory_order_relaxed);
    if (s == gstatus::runnable && !g->started && g->ops != nullptr) {
      g->ops->destroy(g->fn);  // never ran: destroy its callable
    }
    if (s != gstatus::idle) g_drop_fn(g);
    // Abandoned goroutines' stacks are returned; what their frames owned is
    // lost, as when Go's main returns.
    if (g->stk) sys::stack_free(g->stk);
    sys::fiber_release(&g->ctx);
    delete g;
    g = next;
  }
  rt->allgs = nullptr;
}

void* spawn_prepare(std::size_t size, std::size_t align, goroutine** out) {
  runtime* rt = current_runtime();
  if (rt == nullptr) sys::fatal("weft::go: called outside weft::run");
  machine* m = current_m();
  processor* p = (m != nullptr && m->curg != nullptr && !m->in_blocking) ? m->p : nullptr;
  goroutine* g = g_alloc(rt, p);
  if (size <= goroutine::kInlineFn && align <= alignof(std::max_align_t)) {
    g->fn = g->inline_fn;
    g->heap_fn = false;
  } else {
    if (align > alignof(std::max_align_t))
      sys::fatal("weft::go: callable over-aligned (%zu bytes)", align);
    g->fn = ::operator new(size);
    g->heap_fn = true;
  }
  *out = g;
  return g->fn;
}

void spawn_commit(goroutine* g, const closure_ops* ops, source_location where) {
  g->ops = ops;
  g->where = where;
  runtime* rt = current_runtime();
  machine* m = current_m();
  if (m != nullptr && m->curg != nullptr && !m->in_blocking && m->p != nullptr) {
    p_count_goroutines(m->p, 1);
    // As Go's newproc: the new G runs next on this P.
    g->status.store(gstatus::runnable, std::memory_order_relaxed);
    bool spilled = runq_put(rt, m->p, g, true, true);
    if (rt->nprocs.get() > 1) wakep(rt);
    // Back-pressure: a goroutine that spawns faster than the Ps drain
    // (its ring spilled) lets the queued goroutines run first. Without
    // preemption this is what keeps a spawning loop from holding a million
    // records (and their stacks, once started) at once.
    if (spilled) switch_to_scheduler(m, m->curg, switch_action::yield);
    return;
  }
  rt->ngoroutines.fetch_add(1, std::memory_order_relaxed);
  ready(g);
}

}  // namespace weft::detail
