// graph.hpp: strategy::graph, exhaustive search over execution graphs.
//
// An execution graph is what an execution did, without the order it did it
// in: per thread its events in program order (po), for every read the write
// it reads from (rf), per location the modification order of its writes
// (co). Two interleavings with the same graph are the same execution, so a
// search that visits each consistent graph once does no redundant work,
// however many interleavings and reads-from choices lead to it.
//
// The search is TruSt's (Kokologiannakis, Marmanis, Gladstein, Vafeiadis,
// "Truly Stateless, Optimal Dynamic Partial Order Reduction", POPL 2022),
// written here from the paper's description:
//   - Events are added one at a time, always the next event of the lowest
//     enabled thread. Every event has a stamp: the order it was added in.
//   - A new read branches on every write it may read from (each choice a
//     graph of its own, pushed on a stack); a new write on every coherence
//     position it may take.
//   - A new write w may also be read by a read r added before it: a
//     *backward revisit* keeps the events added up to r and w's porf-prefix
//     (po u rf, transitively, with spawn and join), drops the rest, and lets
//     r read w. It is done only when every dropped event (and r) was added
//     "maximally" (a read reading, a write placed, co-last), so that each
//     graph is reached by one sequence of choices only.
//   - A graph is kept only if it is RC11-consistent (Lahav, Vafeiadis, Kang,
//     Hur, Dreyer, PLDI 2017): coherence (irreflexive hb;eco?), RMW
//     atomicity, and acyclic psc; no thin air holds by construction (a read
//     reads only writes already in the graph, and a revisit only a write
//     whose prefix does not contain the read).
//
// The body runs for real, as in every strategy: an execution replays the
// popped graph's events in stamp order (each read returns the value of its
// rf write, recorded in the graph; an RMW's write that a revisit added
// after other events is replayed with its read), then extends it. It supports atomics
// (every order), fences, and thread spawn/join; sys::cell, mutexes, futexes,
// condition variables, spin_hint, random_below and timed waits fail the
// execution with a clear message (use strategy::exhaustive for those), and
// compare_exchange_weak fails spuriously as under the other strategies (once
// per thread and execution, a choice of its own).
//
// Invariants:
//   G1  a graph on the stack is consistent, and each thread's events in it
//       form a po-prefix of what that thread does given the values read
//   G2  every event's stamp is larger than its po-predecessor's; replaying
//       in stamp order runs each thread's events in po order
//   G3  a read's rf is a write in the graph or the initial value (kNone)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/engine.hpp"

namespace weft::model::detail {

inline constexpr unsigned kGraphMaxEvents = 256;
inline constexpr std::uint8_t kGraphCas = 0x80, kGraphLoad = 0x81;  // gev::rop

struct gbits {
  std::uint64_t w[kGraphMaxEvents / 64] = {};
  void set(unsigned i) { w[i >> 6] |= std::uint64_t{1} << (i & 63); }
  bool has(unsigned i) const { return (w[i >> 6] >> (i & 63)) & 1; }
  gbits& operator|=(const gbits& o) {
    for (unsigned k = 0; k < kGraphMaxEvents / 64; ++k) w[k] |= o.w[k];
    return *this;
  }
  bool meets(const gbits& o) const {
    for (unsigned k = 0; k < kGraphMaxEvents / 64; ++k)
      if (w[k] & o.w[k]) return true;
    return false;
  }
  template <class F>
  void each(F f) const {
    for (unsigned k = 0; k < kGraphMaxEvents / 64; ++k)
      for (std::uint64_t b = w[k]; b; b &= b - 1)
        f(k * 64 + static_cast<unsigned>(__builtin_ctzll(b)));
  }
};

enum class gk : std::uint8_t { read, write, fence, spawn, join, end };

struct gev {
  gk kind = gk::read;
  std::memory_order order = std::memory_order_relaxed;       // a CAS read: when it succeeds
  std::memory_order fail_order = std::memory_order_relaxed;  // a CAS read: when it fails
  bool rmw = false;   // read: of an RMW (its write follows if it succeeds); write: an RMW's write
  bool cas = false;   // read of a compare-exchange: succeeds iff it reads `expected`
  bool weak = false;  // compare_exchange_weak: may fail spuriously
  bool spurious = false;    // a weak CAS that failed although it read `expected`
  bool added_max = true;    // read: read the co-last write; write: placed co-last
  bool revisitable = true;  // false once in the prefix of a revisiting write
  std::uint16_t thread = 0;
  std::uint32_t index = 0;     // position in its thread (po)
  std::uint32_t loc = kNone;   // reads and writes
  std::uint32_t link = kNone;  // read: the write read from (kNone: initial value);
                               // spawn/join: the other thread
  std::uint32_t cpos = 0;      // write: 1 + its position in co (0 is the initial value)
  std::uint32_t stamp = 0;
  std::uint64_t value = 0;     // write: the value written
  std::uint64_t expected = 0;  // cas read
  std::uint8_t rop = 0;        // RMW read: an rt::rmw_op, or kGraphCas
  std::uint64_t arg = 0;       // RMW read: the operand (a CAS: the desired value)
  std::uint64_t mask = 0;      // RMW read: the width's mask
  const char* file = nullptr;
  unsigned line = 0;
};

struct ggraph {
  std::vector<gev> ev;
  std::vector<std::vector<std::uint32_t>> thr;  // per thread, event ids in po order
  std::vector<std::vector<std::uint32_t>> co;   // per location, writes in co order
  std::vector<std::uint64_t> init;              // per location, the value before any write
  std::uint32_t next_stamp = 0;

  bool is_access(const gev& e) const { return e.kind == gk::read || e.kind == gk::write; }
  std::uint64_t read_value(const gev& r) const {
    return r.link == kNone ? init[r.loc] : ev[r.link].value;
  }
  // The coherence position of an access: a write's, or that of the write a
  // read reads from.
  std::uint32_t pos(const gev& e) const {
    if (e.kind == gk::write) return e.cpos;
    return e.link == kNone ? 0 : ev[e.link].cpos;
  }
  std::uint32_t add(gev e);
  void co_insert(std::uint32_t id, std::uint32_t at);  // at: index into co[loc]
  void co_remove(std::uint32_t id);
  bool succeeds(const gev& r) const {
    return r.rmw && !r.spurious && (!r.cas || read_value(r) == r.expected);
  }
};

// What the consistency check computes over a graph.
struct gviews {
  std::vector<gbits> pred;  // strict happens-before predecessors
  std::vector<gbits> msg;   // writes: what an acquire that reads it learns
};

class graph_search {
 public:
  explicit graph_search(engine& e) : e_(e) { stack_.emplace_back(); }

  // The next graph to run; false when the search is complete.
  bool pop();
  bool pending() const { return !stack_.empty(); }
  // A replay token (encode()) as the graph to run, alone.
  bool load(const std::vector<std::uint32_t>& token);
  std::vector<std::uint32_t> encode() const;
  bool replay_only = false;

  void begin_execution();
  int choose(std::uint32_t enabled);
  std::uint64_t load_op(object_rec& L, mthread& t, std::memory_order o, const char* file,
                        unsigned line);
  void store_op(object_rec& L, mthread& t, std::uint64_t v, std::memory_order o, const char* file,
                unsigned line);
  // A read; an RMW (rop an rt::rmw_op, or kGraphCas) also writes, if it
  // succeeds, the value rmw_value() gives.
  std::uint64_t rmw_op(object_rec& L, mthread& t, std::uint8_t rop, std::uint64_t arg,
                       std::uint64_t expected, std::uint64_t mask, bool weak,
                       std::memory_order success, std::memory_order failure, bool& ok,
                       const char* file, unsigned line);
  void fence_op(mthread& t, std::memory_order o, const char* file, unsigned line);
  void spawn_op(mthread& parent, int child, const char* file, unsigned line);
  void join_op(mthread& t, int child, const char* file, unsigned line);
  void end_op(mthread& t);

  std::uint64_t pushed = 0, revisits = 0, inconsistent = 0;

 private:
  // The graph location of an atomic: for a replayed event, checked against
  // (or bound to) the recorded one; for a new event, its own or a new one.
  std::uint32_t loc_of(object_rec& L, std::uint32_t recorded);
  // The thread's next event when it is replayed, or kNone when it is new.
  std::uint32_t replayed(mthread& t, gk kind, std::uint32_t loc, const char* what,
                         bool rmw_write = false);
  std::uint32_t add_event(gev e);
  void plain_op(mthread& t, gk kind, std::memory_order o, std::uint32_t link, const char* what,
                const char* file, unsigned line);
  void skip_replayed();
  bool consistent(const ggraph& G, std::uint32_t e, bool full_psc = false);
  void push(const ggraph& G) {
    stack_.push_back(G);
    ++pushed;
  }
  void add_read(std::uint32_t id);
  void add_write(std::uint32_t id);
  void add_rmw_write(std::uint32_t id);
  void conflict_revisits(const ggraph& G, std::uint32_t r);
  void backward_revisits(const ggraph& G, std::uint32_t w);
  [[noreturn]] void abandon();
  void trace_event(std::uint32_t id, bool replay);

  engine& e_;
  std::vector<ggraph> stack_;
  ggraph cur_;
  std::vector<std::uint32_t> order_;  // the popped graph's events, by stamp
  std::size_t rp_ = 0;                // next of order_ to replay
  std::uint32_t tpos_[kMaxThreads] = {};
  std::vector<std::uint32_t> locmap_;  // engine object -> location
  std::vector<std::uint32_t> locobj_;  // location -> engine object (this execution)
  gviews v_;
};

[[noreturn]] void graph_unsupported(const char* what, const char* file, unsigned line);

}  // namespace weft::model::detail
