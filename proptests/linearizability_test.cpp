// linearizability_test.cpp: histories recorded from real concurrent runs
// (procs = 2, two or three goroutines) checked against the sequential channel
// specification with a Wing-Gong / Lowe style search. This is what shows FIFO
// delivery, no loss and no duplication under real concurrency.
//
// Sources: Wing & Gong, "Testing and verifying concurrent objects" (1993);
// Lowe, "Testing for linearizability" (2017): depth-first search over the
// minimal operations, memoising (linearized set, state) pairs that failed.
//
// The history. Each operation takes an invocation and a response timestamp
// from one shared counter (a seq_cst fetch_add), so a precedes b in real time
// iff resp(a) < inv(b). Every sent value is unique. A program that blocks for
// good is unblocked by closing both channels (see run_once); those closes
// are part of the history.
//
// The sequential specification. The object is the pair of channels; the
// state of each is (capacity, buffer, closed).
//   send(v)      closed: panics. cap > 0: buffer not full; appends v.
//   recv         buffer not empty: returns the head (FIFO). closed and empty:
//                returns nullopt.
//   try_send(v)  closed: closed. cap > 0: ok iff not full (appends), else
//                not_ready.
//   try_recv     ok: the head. empty: closed if closed, else not_ready.
//   close        closed: panics; else closes.
//   select       the chosen case behaves as the operation above; a send case
//                on a closed channel panics; default: no case was ready
//                (every recv case's buffer empty and open, every send case's
//                buffer full and open).
// Unbuffered channels (cap 0) have no buffer. A send of v and the receive
// that returned v form a rendezvous: the pair linearizes at one point
// (both must be minimal, the channel open), and at least one of the two must
// be a blocking operation (send, recv, select without default): two
// non-blocking operations cannot meet. The specification is weaker than Go's
// for failed non-blocking operations on unbuffered channels: "not_ready" (or
// a select default) is accepted whenever the channel is open, because a
// sequential state cannot say whether a partner was parked.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <weft/weft.hpp>

#include "prop.hpp"

namespace {

enum class op_kind { send, recv, try_send, try_recv, close, select_recv2, select_send_recv };

struct op {
  op_kind kind;
  int ch;             // the channel (select_send_recv: the send case's)
  int value;          // sends: the (unique) value
  bool with_default;  // selects
};

struct program {
  std::size_t cap[2];
  std::vector<std::vector<op>> goroutines;
};

// What an operation returned.
enum class outcome { ok, not_ready, closed, panic, chose_default };

struct event {
  int g, i;  // goroutine, index in its list
  op o;
  std::uint64_t inv = 0;
  std::uint64_t resp = std::numeric_limits<std::uint64_t>::max();  // max: pending
  outcome out = outcome::ok;
  int chosen = -1;  // selects: the case index (0 or 1)
  int got = 0;      // receives: the value (0: nullopt)
  bool pending() const { return resp == std::numeric_limits<std::uint64_t>::max(); }
};

const char* name(op_kind k) {
  switch (k) {
    case op_kind::send:
      return "send";
    case op_kind::recv:
      return "recv";
    case op_kind::try_send:
      return "try_send";
    case op_kind::try_recv:
      return "try_recv";
    case op_kind::close:
      return "close";
    case op_kind::select_recv2:
      return "select{recv c0, recv c1}";
    case op_kind::select_send_recv:
      return "select{send, recv}";
  }
  return "?";
}

std::string show(const op& o) {
  std::ostringstream os;
  if (o.kind == op_kind::select_recv2) {
    os << "select{recv c0, recv c1" << (o.with_default ? ", default}" : "}");
  } else if (o.kind == op_kind::select_send_recv) {
    os << "select{send c" << o.ch << " <- " << o.value << ", recv c" << 1 - o.ch
       << (o.with_default ? ", default}" : "}");
  } else {
    os << name(o.kind) << " c" << o.ch;
    if (o.kind == op_kind::send || o.kind == op_kind::try_send) os << " <- " << o.value;
  }
  return os.str();
}

std::string show(const program& p) {
  std::ostringstream os;
  os << "c0 = chan(" << p.cap[0] << "), c1 = chan(" << p.cap[1] << ")\n";
  for (std::size_t g = 0; g < p.goroutines.size(); g++) {
    os << "goroutine " << g << ":";
    for (const auto& o : p.goroutines[g]) os << " [" << show(o) << "]";
    os << "\n";
  }
  return os.str();
}

std::string show(const event& e) {
  static const char* outs[] = {"ok", "not_ready", "closed", "panic", "default"};
  std::ostringstream os;
  os << "g" << e.g << "." << e.i << " " << show(e.o) << "  [" << e.inv << ", ";
  if (e.pending())
    os << "pending]";
  else
    os << e.resp << "] -> " << outs[static_cast<int>(e.out)];
  if (e.chosen >= 0) os << " case " << e.chosen;
  if (e.got != 0) os << " got " << e.got;
  return os.str();
}

// ---- the real run --------------------------------------------------------------

struct recorder {
  weft::sys::atomic<std::uint64_t> clock{0};
  std::uint64_t tick() { return clock.fetch_add(1, std::memory_order_seq_cst); }
};

void execute(const op& o, weft::chan<int>* ch, event& e) {
  const auto& c = ch[o.ch];
  const auto& other = ch[1 - o.ch];
  switch (o.kind) {
    case op_kind::send:
      c.send(o.value);
      break;
    case op_kind::recv:
      e.got = c.recv().value_or(0);
      break;
    case op_kind::try_send: {
      int v = o.value;
      auto s = c.try_send(std::move(v));
      e.out = s == weft::chan_status::ok       ? outcome::ok
              : s == weft::chan_status::closed ? outcome::closed
                                               : outcome::not_ready;
      break;
    }
    case op_kind::try_recv: {
      auto r = c.try_recv();
      e.out = r.status == weft::chan_status::ok       ? outcome::ok
              : r.status == weft::chan_status::closed ? outcome::closed
                                                      : outcome::not_ready;
      e.got = r.value.value_or(0);
      break;
    }
    case op_kind::close:
      c.close();
      break;
    case op_kind::select_recv2: {
      auto on0 = weft::on_recv(ch[0], [&](std::optional<int> v) { e.got = v.value_or(0); });
      auto on1 = weft::on_recv(ch[1], [&](std::optional<int> v) { e.got = v.value_or(0); });
      int k = o.with_default ? weft::select(on0, on1, weft::on_default()) : weft::select(on0, on1);
      if (k == 2)
        e.out = outcome::chose_default;
      else
        e.chosen = k;
      break;
    }
    case op_kind::select_send_recv: {
      auto s = weft::on_send(c, o.value);
      auto r = weft::on_recv(other, [&](std::optional<int> v) { e.got = v.value_or(0); });
      int k = o.with_default ? weft::select(s, r, weft::on_default()) : weft::select(s, r);
      if (k == 2)
        e.out = outcome::chose_default;
      else
        e.chosen = k;
      break;
    }
  }
}

// Runs p once with procs = 2 and returns the history. A generated program
// may block for good (a recv nobody sends to); rather than wait for the
// deadlock detector's 100 ms, goroutine 1 watches the shared clock, and when
// it has not moved for 2 ms it closes both channels, which wakes every
// blocked operation (sends panic, receives get nullopt). These rescue closes
// are ordinary operations of the history, recorded like the others, so a
// rescue that fires early (a slow machine) is still a valid history.
std::vector<event> run_once(const program& p, bool* rescued) {
  const int n = static_cast<int>(p.goroutines.size());
  std::vector<std::vector<event>> per(p.goroutines.size() + 1);
  for (int g = 0; g < n; g++)
    for (std::size_t i = 0; i < p.goroutines[g].size(); i++)
      per[g].push_back(event{g, static_cast<int>(i), p.goroutines[g][i]});
  recorder rec;
  weft::config cfg;
  cfg.procs = 2;
  cfg.on_deadlock = weft::deadlock_policy::report;
  *rescued = false;
  auto st = weft::run(cfg, [&] {
    weft::chan<int> ch[2] = {weft::chan<int>(p.cap[0]), weft::chan<int>(p.cap[1])};
    weft::chan<int> done(static_cast<std::size_t>(n));
    for (int g = 0; g < n; g++) {
      weft::go([&, g, ch0 = ch[0], ch1 = ch[1], done] {
        weft::chan<int> mine[2] = {ch0, ch1};
        for (auto& e : per[g]) {
          e.inv = rec.tick();
          try {
            execute(e.o, mine, e);
          } catch (const weft::panic_error&) {
            e.out = outcome::panic;
          }
          e.resp = rec.tick();
        }
        done.send(1);
      });
    }
    int finished = 0;
    std::uint64_t last = std::numeric_limits<std::uint64_t>::max();
    while (finished < n) {
      weft::select(weft::on_recv(done, [&] { finished++; }),
                   weft::on_recv(weft::after(std::chrono::milliseconds(2)), [&] {
                     std::uint64_t now = rec.clock.load();
                     if (now == last && !*rescued) {
                       *rescued = true;
                       for (int c = 0; c < 2; c++) {
                         event e{n, c, op{op_kind::close, c, 0, false}};
                         e.inv = rec.tick();
                         try {
                           ch[c].close();
                         } catch (const weft::panic_error&) {
                           e.out = outcome::panic;
                         }
                         e.resp = rec.tick();
                         per[n].push_back(e);
                       }
                     }
                     last = now;
                   }));
    }
  });
  // With the rescue's timer pending the detector never fires: a report here
  // means every goroutine slept through a wake-up.
  RC_ASSERT(st == weft::exit_status::ok);
  std::vector<event> h;
  for (auto& v : per)
    for (auto& e : v) h.push_back(e);
  return h;
}

// ---- the checker ------------------------------------------------------------

struct chan_state {
  std::size_t cap;
  std::deque<int> buf;
  bool closed = false;
};
using spec_state = std::array<chan_state, 2>;

bool is_blocking(const op& o) {
  return o.kind == op_kind::send || o.kind == op_kind::recv ||
         ((o.kind == op_kind::select_recv2 || o.kind == op_kind::select_send_recv) &&
          !o.with_default);
}

class linearizability_checker {
 public:
  linearizability_checker(std::vector<event> h, const program& p) : h_(std::move(h)) {
    for (int c = 0; c < 2; c++) init_[c].cap = p.cap[c];
  }

  bool check() {
    if (h_.size() > 63) return false;
    return search(0, init_);
  }

 private:
  // The sender-side view of e on an unbuffered channel: the value it handed
  // over, or 0 if it is not a completed send.
  static int rendezvous_send(const event& e, int* ch) {
    if (e.out == outcome::panic || e.out == outcome::chose_default) return 0;
    switch (e.o.kind) {
      case op_kind::send:
        *ch = e.o.ch;
        return e.o.value;
      case op_kind::try_send:
        *ch = e.o.ch;
        return e.out == outcome::ok ? e.o.value : 0;
      case op_kind::select_send_recv:
        *ch = e.o.ch;
        return e.chosen == 0 ? e.o.value : 0;
      default:
        return 0;
    }
  }
  // The receiver-side view: the value it got (0: not a receive of a value).
  static int rendezvous_recv(const event& e, int* ch) {
    if (e.got == 0) return 0;
    switch (e.o.kind) {
      case op_kind::recv:
      case op_kind::try_recv:
        *ch = e.o.ch;
        return e.got;
      case op_kind::select_recv2:
        *ch = e.chosen;
        return e.got;
      case op_kind::select_send_recv:
        *ch = 1 - e.o.ch;
        return e.got;
      default:
        return 0;
    }
  }

  // Applies e alone to s; false if the result is impossible in s or e needs a
  // rendezvous partner.
  static bool apply(const event& e, spec_state& s) {
    const op& o = e.o;
    auto recv_on = [&](int c, int got) {
      auto& cs = s[c];
      if (got == 0) return cs.closed && cs.buf.empty();
      if (cs.cap == 0 || cs.buf.empty() || cs.buf.front() != got) return false;
      cs.buf.pop_front();
      return true;
    };
    auto send_on = [&](int c, int v) {
      auto& cs = s[c];
      if (cs.closed || cs.cap == 0 || cs.buf.size() >= cs.cap) return false;
      cs.buf.push_back(v);
      return true;
    };
    auto recv_not_ready = [&](int c) { return !s[c].closed && s[c].buf.empty(); };
    auto send_not_ready = [&](int c) {
      return !s[c].closed && (s[c].cap == 0 || s[c].buf.size() >= s[c].cap);
    };
    switch (o.kind) {
      case op_kind::send:
        if (e.out == outcome::panic) return s[o.ch].closed;
        return send_on(o.ch, o.value);
      case op_kind::recv:
        return recv_on(o.ch, e.got);
      case op_kind::try_send:
        if (e.out == outcome::closed) return s[o.ch].closed;
        if (e.out == outcome::not_ready) return send_not_ready(o.ch);
        return send_on(o.ch, o.value);
      case op_kind::try_recv:
        if (e.out == outcome::closed) return s[o.ch].closed && s[o.ch].buf.empty();
        if (e.out == outcome::not_ready) return recv_not_ready(o.ch);
        return recv_on(o.ch, e.got);
      case op_kind::close:
        if (e.out == outcome::panic) return s[o.ch].closed;
        s[o.ch].closed = true;
        return true;
      case op_kind::select_recv2:
        if (e.out == outcome::chose_default) return recv_not_ready(0) && recv_not_ready(1);
        return recv_on(e.chosen, e.got);
      case op_kind::select_send_recv:
        if (e.out == outcome::panic) return s[o.ch].closed;
        if (e.out == outcome::chose_default)
          return send_not_ready(o.ch) && recv_not_ready(1 - o.ch);
        if (e.chosen == 0) return send_on(o.ch, o.value);
        return recv_on(1 - o.ch, e.got);
    }
    return false;
  }

  std::string key(std::uint64_t done, const spec_state& s) const {
    std::string k = std::to_string(done);
    for (const auto& c : s) {
      k += c.closed ? "|c" : "|o";
      for (int v : c.buf) k += "," + std::to_string(v);
    }
    return k;
  }

  bool search(std::uint64_t done, const spec_state& s) {
    const std::uint64_t all = h_.size() == 64 ? ~0ull : (1ull << h_.size()) - 1;
    if (done == all) return true;
    if (!failed_.insert(key(done, s)).second) return false;  // seen, and it failed
    // Minimal: invoked before every remaining operation's response.
    std::uint64_t min_resp = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t i = 0; i < h_.size(); i++)
      if (!(done >> i & 1)) min_resp = std::min(min_resp, h_[i].resp);
    auto minimal = [&](std::size_t i) { return !(done >> i & 1) && h_[i].inv < min_resp; };
    for (std::size_t i = 0; i < h_.size(); i++) {
      if (!minimal(i)) continue;
      spec_state t = s;
      if (apply(h_[i], t)) {
        if (search(done | 1ull << i, t)) return true;
        continue;
      }
      // A rendezvous on an unbuffered channel: i the sender, j the receiver.
      int sch = -1;
      int v = rendezvous_send(h_[i], &sch);
      if (v == 0 || s[sch].cap != 0 || s[sch].closed) continue;
      for (std::size_t j = 0; j < h_.size(); j++) {
        int rch = -1;
        if (j == i || !minimal(j) || rendezvous_recv(h_[j], &rch) != v || rch != sch) continue;
        if (!is_blocking(h_[i].o) && !is_blocking(h_[j].o)) continue;
        if (search(done | 1ull << i | 1ull << j, s)) return true;
      }
    }
    return false;
  }

  std::vector<event> h_;
  spec_state init_;
  std::unordered_set<std::string> failed_;
};

// ---- generation ---------------------------------------------------------------

op gen_op(int* next_value) {
  op o{};
  o.kind = *rc::gen::element(op_kind::send, op_kind::recv, op_kind::try_send, op_kind::try_recv,
                             op_kind::close, op_kind::select_recv2, op_kind::select_send_recv,
                             op_kind::send, op_kind::recv);
  o.ch = *rc::gen::inRange(0, 2);
  o.with_default = *rc::gen::arbitrary<bool>();
  o.value = (*next_value)++;
  return o;
}

program gen_program() {
  program p;
  p.cap[0] = *rc::gen::inRange<std::size_t>(0, 3);
  p.cap[1] = *rc::gen::inRange<std::size_t>(0, 3);
  const int goroutines = *rc::gen::inRange(2, 4);
  int next_value = 1;
  int budget = 12;
  for (int g = 0; g < goroutines; g++) {
    const int n = *rc::gen::inRange(1, 5);
    std::vector<op> ops;
    for (int i = 0; i < n && budget > 0; i++, budget--) ops.push_back(gen_op(&next_value));
    p.goroutines.push_back(ops);
  }
  return p;
}

std::string show(const std::vector<event>& h) {
  std::ostringstream os;
  for (const auto& e : h) os << "  " << show(e) << "\n";
  return os.str();
}

// Each generated program runs kRuns times; every history must linearize.
constexpr int kRuns = 4;

WEFT_PROP(Linearizability, ChannelHistoriesLinearize, 500) {
  const program p = gen_program();
  for (int r = 0; r < kRuns; r++) {
    bool rescued = false;
    std::vector<event> h = run_once(p, &rescued);
    for (const auto& e : h) RC_ASSERT(!e.pending());
    if (r == 0) RC_CLASSIFY(rescued, "blocked; rescued by closing");
    if (!linearizability_checker(h, p).check())
      RC_FAIL("history not linearizable\nprogram:\n" + show(p) + "history (run " +
              std::to_string(r) + (rescued ? ", rescued" : "") + "):\n" + show(h));
  }
}

// The checker itself: a history that loses a value, or delivers out of order,
// must be rejected (so the property above can fail).
TEST(LinearizabilityChecker, RejectsReorderedAndLostValues) {
  program p;
  p.cap[0] = 2;
  p.cap[1] = 0;
  auto ev = [](int g, op o, std::uint64_t inv, std::uint64_t resp, int got = 0) {
    event e{g, 0, o};
    e.inv = inv;
    e.resp = resp;
    e.got = got;
    return e;
  };
  op s1{op_kind::send, 0, 1, false}, s2{op_kind::send, 0, 2, false};
  op r{op_kind::recv, 0, 0, false};
  // FIFO: send 1; send 2; recv -> 2 is wrong.
  std::vector<event> bad = {ev(0, s1, 0, 1), ev(0, s2, 2, 3), ev(1, r, 4, 5, 2)};
  EXPECT_FALSE(linearizability_checker(bad, p).check());
  // ... and recv -> 1 is right.
  std::vector<event> good = {ev(0, s1, 0, 1), ev(0, s2, 2, 3), ev(1, r, 4, 5, 1)};
  EXPECT_TRUE(linearizability_checker(good, p).check());
  // Overlapping sends may be received in either order.
  std::vector<event> overlap = {ev(0, s1, 0, 3), ev(1, s2, 1, 2), ev(2, r, 4, 5, 2)};
  EXPECT_TRUE(linearizability_checker(overlap, p).check());
  // A value received twice.
  std::vector<event> dup = {ev(0, s1, 0, 1), ev(1, r, 2, 3, 1), ev(1, r, 4, 5, 1)};
  EXPECT_FALSE(linearizability_checker(dup, p).check());
  // Unbuffered: a rendezvous needs both sides overlapping in time.
  op u_send{op_kind::send, 1, 7, false}, u_recv{op_kind::recv, 1, 0, false};
  std::vector<event> apart = {ev(0, u_send, 0, 1), ev(1, u_recv, 2, 3, 7)};
  EXPECT_FALSE(linearizability_checker(apart, p).check());
  std::vector<event> meet = {ev(0, u_send, 0, 3), ev(1, u_recv, 1, 2, 7)};
  EXPECT_TRUE(linearizability_checker(meet, p).check());
  // Two non-blocking operations cannot meet.
  op u_try_send{op_kind::try_send, 1, 7, false}, u_try_recv{op_kind::try_recv, 1, 0, false};
  std::vector<event> tries = {ev(0, u_try_send, 0, 3), ev(1, u_try_recv, 1, 2, 7)};
  EXPECT_FALSE(linearizability_checker(tries, p).check());
}

}  // namespace
