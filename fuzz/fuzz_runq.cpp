// fuzz_runq: the per-P run queue (src/sched/runq.hpp, weft::detail::run_queue)
// against a sequential model.
//
// Input: [mode] [ops...]. Mode bit 0 picks
//   0  sequential: two queues of 8 slots, each with a model (a std::deque for
//      the ring and an optional runnext); every operation of the owner and
//      of a thief stealing between them, in the order the bytes say, each
//      result compared with the model, size() and empty() after every step.
//      Outside check() the checker's atomics act as plain ones.
//   1  concurrent: an owner and a thief under weft::model::check with
//      strategy::fuzz. The owner runs the decoded operations on its queue;
//      the thief steals into its own queue and drains it; afterwards every G
//      that was queued must have come out exactly once. The bytes after the
//      operations are the checker's schedule choices.
//
// How the runtime uses the queue is kept: a G displaced from runnext goes to
// the ring (runq_put), a full ring gives half of itself away (take_half), a
// thief steals only into a ring with room for what it may take.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include <weft/model.hpp>

#include "fuzz_common.hpp"
#include "sched/runq.hpp"

namespace {

constexpr std::uint32_t kN = 8;
constexpr int kPool = 48;

struct G {
  int id = 0;
};
using queue = weft::detail::run_queue<G, kN>;

// ---- sequential ---------------------------------------------------------------

struct model {
  std::deque<G*> ring;
  G* runnext = nullptr;
  std::uint32_t size() const {
    return static_cast<std::uint32_t>(ring.size()) + (runnext != nullptr ? 1 : 0);
  }
};

class sequential {
 public:
  sequential() {
    for (int i = 0; i < kPool; ++i) {
      gs_[i].id = i + 1;
      free_.push_back(&gs_[i]);
    }
  }

  void step(std::uint8_t b, weft_fuzz::reader& in) {
    const int i = (b >> 7) & 1;
    queue& q = q_[i];
    model& m = m_[i];
    switch (b % 10) {
      case 0: {  // push
        G* g = take_free();
        if (g == nullptr) break;
        bool room = m.ring.size() < kN;
        bool ok = q.push(g);
        WEFT_FUZZ_CHECK(ok == room, "push on a ring of %zu returned %d", m.ring.size(), ok);
        if (ok)
          m.ring.push_back(g);
        else
          free_.push_back(g);
        break;
      }
      case 1: {  // put_next, then the displaced G to the ring (runq_put)
        G* g = take_free();
        if (g == nullptr) break;
        G* old = (b & 0x10) ? q.put_next_unshared(g) : q.put_next(g);
        WEFT_FUZZ_CHECK(old == m.runnext, "put_next displaced %d, expected %d", id(old),
                        id(m.runnext));
        m.runnext = g;
        if (old != nullptr) put_ring(i, old);
        break;
      }
      case 2: {  // pop
        G* g = q.pop();
        G* want = m.runnext;
        if (want != nullptr) {
          m.runnext = nullptr;
        } else if (!m.ring.empty()) {
          want = m.ring.front();
          m.ring.pop_front();
        }
        WEFT_FUZZ_CHECK(g == want, "pop gave %d, expected %d", id(g), id(want));
        give_back(g);
        break;
      }
      case 3: {  // pop_next
        G* g = (b & 0x10) ? q.pop_next_unshared() : q.pop_next();
        WEFT_FUZZ_CHECK(g == m.runnext, "pop_next gave %d, expected %d", id(g), id(m.runnext));
        m.runnext = nullptr;
        give_back(g);
        break;
      }
      case 4: {  // pop_ring
        G* g = q.pop_ring();
        G* want = nullptr;
        if (!m.ring.empty()) {
          want = m.ring.front();
          m.ring.pop_front();
        }
        WEFT_FUZZ_CHECK(g == want, "pop_ring gave %d, expected %d", id(g), id(want));
        give_back(g);
        break;
      }
      case 5: {  // take_half
        G* batch[kN / 2] = {};
        std::uint32_t n = q.take_half(batch);
        std::uint32_t want = m.ring.size() < kN ? 0 : static_cast<std::uint32_t>(m.ring.size()) / 2;
        WEFT_FUZZ_CHECK(n == want, "take_half took %u of %zu, expected %u", n, m.ring.size(), want);
        check_batch(m, n, batch);
        break;
      }
      case 6: {  // steal: q_[i] steals from q_[1 - i]
        model& v = m_[1 - i];
        const bool take_next = (b >> 4) & 1;
        std::uint32_t n = static_cast<std::uint32_t>(v.ring.size());
        n = n - n / 2;
        // The thief's ring needs room for what grab() writes (the runtime
        // steals only into an empty ring).
        if (m.ring.size() + (n > 0 ? n : 1) > kN) break;
        G* g = q.steal_from(q_[1 - i], take_next);
        G* want = nullptr;
        if (n == 0) {
          if (take_next && v.runnext != nullptr) {
            want = v.runnext;
            v.runnext = nullptr;
          }
        } else {
          for (std::uint32_t k = 0; k + 1 < n; ++k) {
            m.ring.push_back(v.ring.front());
            v.ring.pop_front();
          }
          want = v.ring.front();
          v.ring.pop_front();
        }
        WEFT_FUZZ_CHECK(g == want, "steal_from gave %d, expected %d (victim ring %zu)", id(g),
                        id(want), v.ring.size());
        give_back(g);
        break;
      }
      case 7: {  // runq_put of several Gs: overflow moves half out
        unsigned k = 1 + in.below(kN + 2);
        for (unsigned j = 0; j < k; ++j) {
          G* g = take_free();
          if (g == nullptr) break;
          put_ring(i, g);
        }
        break;
      }
      case 8:
      case 9:
        break;  // size/empty only (checked after every step)
    }
    for (int j = 0; j < 2; ++j) {
      WEFT_FUZZ_CHECK(q_[j].size() == m_[j].size(), "queue %d: size() %u, model %u", j,
                      q_[j].size(), m_[j].size());
      WEFT_FUZZ_CHECK(q_[j].empty() == (m_[j].size() == 0), "queue %d: empty() %d, model size %u",
                      j, q_[j].empty(), m_[j].size());
    }
  }

 private:
  static int id(const G* g) { return g != nullptr ? g->id : 0; }

  G* take_free() {
    if (free_.empty()) return nullptr;
    G* g = free_.back();
    free_.pop_back();
    return g;
  }
  void give_back(G* g) {
    if (g != nullptr) free_.push_back(g);
  }

  // The runtime's runq_put for the ring: push; when full, move half out.
  void put_ring(int i, G* g) {
    for (;;) {
      bool room = m_[i].ring.size() < kN;
      bool ok = q_[i].push(g);
      WEFT_FUZZ_CHECK(ok == room, "push on a ring of %zu returned %d", m_[i].ring.size(), ok);
      if (ok) {
        m_[i].ring.push_back(g);
        return;
      }
      G* batch[kN / 2] = {};
      std::uint32_t n = q_[i].take_half(batch);
      WEFT_FUZZ_CHECK(n == kN / 2, "take_half on a full ring took %u", n);
      check_batch(m_[i], n, batch);
    }
  }

  // batch[0, n) are the n oldest of the ring, in order.
  void check_batch(model& m, std::uint32_t n, G* const* batch) {
    for (std::uint32_t k = 0; k < n; ++k) {
      G* g = batch[k];
      WEFT_FUZZ_CHECK(g == m.ring.front(), "take_half batch #%u is %d, expected %d", k, id(g),
                      id(m.ring.front()));
      m.ring.pop_front();
      give_back(g);
    }
  }

  queue q_[2];
  model m_[2];
  G gs_[kPool];
  std::vector<G*> free_;
};

// ---- concurrent (under the checker) --------------------------------------------

int run_concurrent(weft_fuzz::reader& in) {
  // Owner operations, then thief steals, then the schedule.
  const int nops = 1 + static_cast<int>(in.below(12));
  std::vector<std::uint8_t> ops;
  for (int k = 0; k < nops; ++k) ops.push_back(in.byte());
  const int nsteals = 1 + static_cast<int>(in.below(3));
  std::vector<std::uint8_t> steals;
  for (int k = 0; k < nsteals; ++k) steals.push_back(in.byte());

  weft::model::options o;
  o.search = weft::model::strategy::fuzz;
  o.fuzz_input.assign(reinterpret_cast<const char*>(in.pos()), in.left());
  o.progress = false;
  o.environment = false;
  weft::model::result r = weft::model::check(o, [&ops, &steals] {
    constexpr int kGs = 16;
    G gs[kGs];
    for (int k = 0; k < kGs; ++k) gs[k].id = k + 1;
    int next_g = 0;
    int out_count[kGs + 1] = {};  // times each G came out (owner side)
    int thief_out[kGs + 1] = {};  // (thief side)
    int queued = 0;
    queue q, t;
    auto put_ring = [&](G* g) {  // runq_put's ring part
      while (!q.push(g)) {
        G* batch[kN / 2] = {};
        std::uint32_t n = q.take_half(batch);
        for (std::uint32_t k = 0; k < n; ++k) {
          WEFT_MODEL_ASSERT(batch[k] != nullptr);
          ++out_count[batch[k]->id];
        }
      }
    };
    weft::sys::thread thief([&] {
      for (std::uint8_t s : steals) {
        G* g = t.steal_from(q, (s & 1) != 0);
        if (g != nullptr) ++thief_out[g->id];
        while (G* x = t.pop()) ++thief_out[x->id];
      }
    });
    for (std::uint8_t b : ops) {
      switch (b % 5) {
        case 0:
        case 1:
          if (next_g < kGs) {
            ++queued;
            put_ring(&gs[next_g++]);
          }
          break;
        case 2:
          if (next_g < kGs) {
            ++queued;
            if (G* old = q.put_next(&gs[next_g++])) put_ring(old);
          }
          break;
        case 3:
          if (G* g = (b & 8) ? q.pop_ring() : q.pop()) ++out_count[g->id];
          break;
        case 4:
          if (G* g = q.pop_next()) ++out_count[g->id];
          break;
      }
    }
    thief.join();
    while (G* g = q.pop()) ++out_count[g->id];
    int total = 0;
    for (int k = 1; k <= kGs; ++k) {
      WEFT_MODEL_ASSERT(out_count[k] + thief_out[k] <= 1);  // never twice
      total += out_count[k] + thief_out[k];
    }
    WEFT_MODEL_ASSERT(total == queued);  // never lost
    WEFT_MODEL_ASSERT(q.empty() && t.empty());
  });
  if (!r.ok) {
    std::fprintf(stderr, "fuzz_runq (concurrent): %s\n", weft::model::describe(r).c_str());
    weft_fuzz::finding("run_queue under the checker: %s", r.failure.c_str());
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft_fuzz::reader in(data, size);
  const std::uint8_t mode = in.byte();
  if (mode & 1) return run_concurrent(in);
  sequential s;
  int steps = 0;
  while (!in.empty() && steps++ < 256) {
    std::uint8_t b = in.byte();
    s.step(b, in);
  }
  return 0;
}
