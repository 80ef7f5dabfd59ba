// chan_program.hpp: the program generator and oracle behind fuzz_chan_ops
// and fuzz_select. The input bytes decode into a small Go-style program on
// the real runtime (weft::run, procs = 2, deadlock_policy::report): 1 to 3
// channels of capacity 0 to 3 and up to 6 goroutines, each one of
//
//   producer  a list of send operations on its output channels;
//   router    receives from its inputs until all are closed and answers each
//             value with a send operation on its outputs (every output is
//             above every input: the channel graph is acyclic);
//   consumer  receives from its inputs until all are closed, then checks the
//             closed-channel and nil-channel behaviour (Go's panics).
//
// A channel is closed once all its senders are done (by a closer goroutine
// after a wait_group, or by the last sender), and every channel has a
// receiver that drains it until it is closed. Such a program cannot deadlock:
// take the highest channel with a goroutine blocked sending on it; its
// drainers are either blocked receiving on all their open inputs (then the
// send could complete) or blocked sending on a higher channel (contradiction);
// a goroutine blocked only receiving waits for a sender on a lower channel.
// Hence a deadlock report, a hang, a panic during the run or a broken
// invariant is a finding.
//
// Blocking operations keep to two rules that the proof needs: a blocking
// receive step includes every open input, and a blocking select in a send
// operation has a send case on a real output. Other cases (nil channels,
// duplicates, receives on any channel, a default) are free.
//
// Invariants checked (the oracle):
//   * every value received was sent, on that channel, and is received once;
//   * every value sent is received (channels are drained until closed);
//   * per receiver, per channel, per sender: values arrive in send order;
//   * elements arrive intact (a move-only element with a heap box), and a
//     failed try_send or a losing select case keeps its value;
//   * select returns the index of the case whose handler ran; a nil case
//     never fires; a closed channel's receive case wins over default;
//   * panics happen only where Go panics: send on a closed channel (also as
//     a select case), close of a closed channel, close of a nil channel;
//     try ops report closed/not_ready as Go's non-blocking select would;
//   * size() <= capacity() == the capacity it was made with.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <weft/weft.hpp>

#include "fuzz_common.hpp"

namespace weft_fuzz {

// ---- the element --------------------------------------------------------------

// Move-only, with a heap box holding the tag again: a value lost, duplicated,
// torn or used after a move shows up as a bad box (or under ASan).
struct msg {
  std::uint32_t tag = 0;
  std::unique_ptr<std::uint32_t> box;
  explicit msg(std::uint32_t t) : tag(t), box(std::make_unique<std::uint32_t>(t)) {}
  bool intact() const { return box != nullptr && *box == tag; }
};

using chan_t = weft::chan<msg>;

enum class flavour { chan_ops, select };

constexpr int kMaxChans = 3;
constexpr int kMaxRoles = 6;
constexpr int kMaxOps = 16;

enum class kind : std::uint8_t { producer, router, consumer };

struct role {
  kind k = kind::producer;
  unsigned inputs = 0;   // channel mask: router, consumer
  unsigned outputs = 0;  // channel mask: producer, router
  std::vector<std::uint8_t> ops;
};

struct program {
  int nchan = 1;
  unsigned cap[kMaxChans] = {};
  bool last_sender_closes[kMaxChans] = {};  // else a closer goroutine
  std::vector<role> roles;
  bool main_runs_last = false;  // the last role runs on the main goroutine
};

inline const char* kind_name(kind k) {
  return k == kind::producer ? "producer" : k == kind::router ? "router" : "consumer";
}

inline std::string describe(const program& p) {
  std::string s = "program: " + std::to_string(p.nchan) + " channel(s), capacities";
  for (int c = 0; c < p.nchan; ++c)
    s += " " + std::to_string(p.cap[c]) + (p.last_sender_closes[c] ? "(last sender closes)" : "");
  s += "\n";
  for (std::size_t i = 0; i < p.roles.size(); ++i) {
    const role& r = p.roles[i];
    char line[160];
    std::snprintf(line, sizeof line, "  g%zu %-8s in=%x out=%x ops=", i, kind_name(r.k), r.inputs,
                  r.outputs);
    s += line;
    for (std::uint8_t b : r.ops) {
      std::snprintf(line, sizeof line, "%02x", b);
      s += line;
    }
    if (p.main_runs_last && i + 1 == p.roles.size()) s += " (on main)";
    s += "\n";
  }
  return s;
}

// A non-empty subset of [lo, hi) from one byte.
inline unsigned mask_in(std::uint8_t b, int lo, int hi) {
  unsigned span = static_cast<unsigned>(hi - lo);
  unsigned all = (1u << span) - 1;
  unsigned m = 1u + b % all;  // 1 .. all
  return m << lo;
}

inline program decode(reader& in) {
  program p;
  p.nchan = 1 + in.below(kMaxChans);
  for (int c = 0; c < p.nchan; ++c) {
    std::uint8_t b = in.byte();
    p.cap[c] = b % 4;
    p.last_sender_closes[c] = (b >> 2) & 1;
  }
  std::uint8_t b = in.byte();
  int nroles = 1 + (b & 7) % kMaxRoles;
  p.main_runs_last = (b >> 3) & 1;
  for (int i = 0; i < nroles; ++i) {
    role r;
    std::uint8_t kb = in.byte();
    r.k = static_cast<kind>((kb & 3) % 3);
    if (r.k == kind::router && p.nchan < 2) r.k = kind::producer;
    std::uint8_t mb = in.byte();
    switch (r.k) {
      case kind::producer:
        r.outputs = mask_in(mb, 0, p.nchan);
        break;
      case kind::consumer:
        r.inputs = mask_in(mb, 0, p.nchan);
        break;
      case kind::router: {
        int split = 1 + (kb >> 2) % (p.nchan - 1);
        r.inputs = mask_in(mb & 0x0f, 0, split);
        r.outputs = mask_in(mb >> 4, split, p.nchan);
        break;
      }
    }
    int nops = in.below(kMaxOps + 1);
    for (int k = 0; k < nops; ++k) r.ops.push_back(in.byte());
    p.roles.push_back(std::move(r));
  }
  // Every channel gets a drainer.
  unsigned drained = 0;
  for (const role& r : p.roles) drained |= r.inputs;
  for (int c = 0; c < p.nchan; ++c)
    if (!(drained & (1u << c))) {
      role r;
      r.k = kind::consumer;
      r.inputs = 1u << c;
      p.roles.push_back(std::move(r));
    }
  return p;
}

// ---- running it -------------------------------------------------------------------

struct record {
  std::uint8_t chan;
  std::uint32_t tag;
};

// One goroutine's view: written only by that goroutine while the program runs.
struct worker {
  int id = 0;
  const role* r = nullptr;
  std::vector<record> sent, received;
  std::uint32_t seq = 0;
  unsigned open = 0;  // inputs not yet seen closed
  std::size_t cursor = 0;
  int panics_seen = 0;

  std::uint8_t op() {
    if (r->ops.empty()) return 0;
    return r->ops[cursor++ % r->ops.size()];
  }
  std::uint32_t next_tag() { return (static_cast<std::uint32_t>(id) << 20) | ++seq; }
};

// The number of threads of this process (/proc/self/stat), or -1.
inline int thread_count() {
  std::FILE* f = std::fopen("/proc/self/stat", "r");
  if (f == nullptr) return -1;
  char buf[1024];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Field 20; the command name (field 2) may hold spaces: count from its ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  int field = 2;
  for (; *p != '\0' && field < 20; ++p)
    if (*p == ' ') ++field;
  return std::atoi(p);
}

// run() returns once its Ms and monitor are done with the runtime; their OS
// threads still run the last few instructions of their thread functions
// (freeing their start closures) a moment later. Wait for them, so that
// LeakSanitizer's check after each input never sees such a closure in
// flight. Gives up after a second (then the leak check may report it).
inline void wait_for_threads(int baseline) {
  if (baseline < 0) return;
  for (int i = 0; i < 10000 && thread_count() > baseline; ++i) usleep(100);
}

// weft has no preemption: a goroutine that loops without blocking or
// yielding holds its P. A receive step that did nothing (a default case, a
// poll that found nothing, a receive case on a closed channel that is not an
// open input) therefore yields, as a polite Go program under a cooperative
// scheduler would. (Without it, such a loop waiting for a goroutine readied
// into its own P's runnext starves that goroutine: the other P never steals a
// runnext while the global queue is non-empty. See the fuzz/README.md notes.)
struct progress_mark {
  std::size_t received, sent;
  unsigned open;
  explicit progress_mark(const worker& w)
      : received(w.received.size()), sent(w.sent.size()), open(w.open) {}
  void yield_if_idle(const worker& w) const {
    if (w.received.size() == received && w.sent.size() == sent && w.open == open) weft::yield();
  }
};

class runner {
 public:
  runner(const program& p, flavour f) : p_(p), f_(f) {}

  void run() {
    const int n = static_cast<int>(p_.roles.size());
    workers_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      workers_[i].id = i;
      workers_[i].r = &p_.roles[i];
      workers_[i].open = p_.roles[i].inputs;
    }
    weft::config cfg;
    cfg.procs = 2;
    cfg.on_deadlock = weft::deadlock_policy::report;
    const int threads_before = thread_count();
    weft::exit_status st = weft::run(cfg, [&] { main_goroutine(); });
    wait_for_threads(threads_before);
    WEFT_FUZZ_CHECK(st == weft::exit_status::ok, "weft::run reported a deadlock\n%s",
                    describe(p_).c_str());
    check_ledger();
    if (std::getenv("WEFT_FUZZ_VERBOSE")) {
      std::size_t sent = 0;
      for (const worker& w : workers_) sent += w.sent.size();
      std::fprintf(stderr, "%sok: %zu values sent and received\n", describe(p_).c_str(), sent);
    }
  }

 private:
  // ---- the program's goroutines ----

  void main_goroutine() {
    const int n = static_cast<int>(p_.roles.size());
    for (int c = 0; c < p_.nchan; ++c) {
      chans_[c] = chan_t(p_.cap[c]);
      senders_[c] = 0;
    }
    for (const role& r : p_.roles)
      for (int c = 0; c < p_.nchan; ++c)
        if (r.outputs & (1u << c)) ++senders_[c];
    for (int c = 0; c < p_.nchan; ++c) {
      remaining_[c].store(senders_[c]);
      if (senders_[c] > 0) chan_wg_[c].add(senders_[c]);
    }
    const int inline_role = p_.main_runs_last ? n - 1 : -1;
    int spawned = 0;
    for (int c = 0; c < p_.nchan; ++c) {
      if (senders_[c] == 0) {
        chans_[c].close();  // nobody sends: closed from the start
      } else if (!p_.last_sender_closes[c]) {
        ++spawned;
      }
    }
    for (int i = 0; i < n; ++i)
      if (i != inline_role) ++spawned;
    all_.add(spawned);
    for (int c = 0; c < p_.nchan; ++c)
      if (senders_[c] > 0 && !p_.last_sender_closes[c])
        weft::go([this, c] {
          chan_wg_[c].wait();
          chans_[c].close();
          all_.done();
        });
    for (int i = 0; i < n; ++i)
      if (i != inline_role)
        weft::go([this, i] {
          play(workers_[static_cast<std::size_t>(i)]);
          all_.done();
        });
    if (inline_role >= 0) play(workers_[static_cast<std::size_t>(inline_role)]);
    all_.wait();
    for (chan_t& c : chans_) c = chan_t();
  }

  void play(worker& w) {
    const role& r = *w.r;
    switch (r.k) {
      case kind::producer: {
        int n = static_cast<int>(r.ops.size());
        for (int k = 0; k < n; ++k) send_op(w);
        break;
      }
      case kind::router:
        while (w.open) {
          std::size_t before = w.received.size();
          progress_mark mark(w);
          recv_step(w, true);
          for (std::size_t k = before; k < w.received.size(); ++k) send_op(w);
          mark.yield_if_idle(w);
        }
        break;
      case kind::consumer:
        while (w.open) {
          progress_mark mark(w);
          recv_step(w, false);
          mark.yield_if_idle(w);
        }
        closed_checks(w);
        break;
    }
    sender_done(w);
  }

  void sender_done(worker& w) {
    for (int c = 0; c < p_.nchan; ++c) {
      if (!(w.r->outputs & (1u << c))) continue;
      if (p_.last_sender_closes[c]) {
        if (remaining_[c].fetch_sub(1) == 1) chans_[c].close();
      } else {
        chan_wg_[c].done();
      }
    }
  }

  // ---- helpers ----

  // The n-th channel (cyclically) of a non-empty mask.
  int pick(unsigned mask, unsigned n) const {
    int count = __builtin_popcount(mask);
    int k = static_cast<int>(n % static_cast<unsigned>(count));
    for (int c = 0; c < kMaxChans; ++c)
      if (mask & (1u << c)) {
        if (k == 0) return c;
        --k;
      }
    return 0;
  }
  int any_chan(unsigned n) const { return static_cast<int>(n % static_cast<unsigned>(p_.nchan)); }

  void got(worker& w, int c, msg&& m) {
    WEFT_FUZZ_CHECK(m.intact(), "g%d received a damaged element (tag %x) on channel %d\n%s", w.id,
                    m.tag, c, describe(p_).c_str());
    w.received.push_back({static_cast<std::uint8_t>(c), m.tag});
  }
  void got_closed(worker& w, int c) { w.open &= ~(1u << c); }

  // Handler of a receive case on channel c (c < 0: the nil channel).
  auto on_value(worker& w, int c, int index, int& fired) {
    return [this, &w, c, index, &fired](std::optional<msg> v) {
      WEFT_FUZZ_CHECK(c >= 0, "a receive case on the nil channel fired\n%s", describe(p_).c_str());
      fired = index;
      if (v)
        got(w, c, std::move(*v));
      else
        got_closed(w, c);
    };
  }
  auto on_sent(worker& w, int c, std::uint32_t tag, int index, int& fired) {
    return [this, &w, c, tag, index, &fired] {
      WEFT_FUZZ_CHECK(c >= 0, "a send case on the nil channel fired\n%s", describe(p_).c_str());
      fired = index;
      w.sent.push_back({static_cast<std::uint8_t>(c), tag});
    };
  }
  const chan_t& ch(int c) const { return c < 0 ? nil_ : chans_[c]; }

  void check_size(int c) {
    const chan_t& x = chans_[c];
    std::size_t cap = x.capacity(), size = x.size();
    WEFT_FUZZ_CHECK(cap == p_.cap[c] && size <= cap, "channel %d: size %zu capacity %zu (made %u)",
                    c, size, cap, p_.cap[c]);
  }

  void blocking_send(worker& w, int c) {
    std::uint32_t tag = w.next_tag();
    chans_[c].send(msg(tag));
    w.sent.push_back({static_cast<std::uint8_t>(c), tag});
  }

  void try_send(worker& w, int c) {
    std::uint32_t tag = w.next_tag();
    msg m(tag);
    weft::chan_status s = chans_[c].try_send(std::move(m));
    WEFT_FUZZ_CHECK(s != weft::chan_status::closed,
                    "try_send reported closed on channel %d before its senders were done\n%s", c,
                    describe(p_).c_str());
    if (s == weft::chan_status::ok) {
      w.sent.push_back({static_cast<std::uint8_t>(c), tag});
    } else {
      WEFT_FUZZ_CHECK(m.intact(), "a failed try_send lost its value (channel %d)\n%s", c,
                      describe(p_).c_str());
    }
  }

  // ---- send operations (producers; routers once per value received) ----

  void send_op(worker& w) {
    const unsigned out = w.r->outputs;
    std::uint8_t b = w.op();
    int c = pick(out, b >> 4);
    if (f_ == flavour::chan_ops) {
      switch (b & 7) {
        case 0:
        case 1:
        case 2:
          blocking_send(w, c);
          break;
        case 3:
          try_send(w, c);
          break;
        case 4:
          select2_send(w, c, pick(out, b >> 6), false);
          break;
        case 5:
          select2_send(w, c, pick(out, b >> 6), true);
          break;
        case 6:
          weft::yield();
          blocking_send(w, c);
          break;
        case 7:
          check_size(c);
          try_send(w, c);
          if (b & 8) blocking_send(w, c);
          break;
      }
      return;
    }
    switch (b & 3) {
      case 0:
      case 1:
        select4(w, b, false, c, (b & 1) != 0);
        break;
      case 2:
        select6(w, b, c);
        break;
      case 3:
        select_dynamic(w, false, c);
        break;
    }
  }

  // select { case chans[a] <- v1: ; case chans[b] <- v2: ; [default:] }
  void select2_send(worker& w, int a, int b, bool with_default) {
    std::uint32_t t1 = w.next_tag(), t2 = w.next_tag();
    int fired = -1, i;
    if (with_default) {
      i = weft::select(weft::on_send(chans_[a], msg(t1), on_sent(w, a, t1, 0, fired)),
                       weft::on_send(chans_[b], msg(t2), on_sent(w, b, t2, 1, fired)),
                       weft::on_default([&] { fired = 2; }));
    } else {
      i = weft::select(weft::on_send(chans_[a], msg(t1), on_sent(w, a, t1, 0, fired)),
                       weft::on_send(chans_[b], msg(t2), on_sent(w, b, t2, 1, fired)));
    }
    WEFT_FUZZ_CHECK(i == fired, "select returned %d but case %d's handler ran\n%s", i, fired,
                    describe(p_).c_str());
  }

  // Four cases: recv x, recv y, send z, send u (+ default). For a send
  // operation (send_to >= 0) z is a real output; for a receive step x and y
  // and a third receive (as u's slot is a send) cover the open inputs.
  void select4(worker& w, std::uint8_t b, bool receiving, int send_to, bool with_default) {
    int rc[3] = {-1, -1, -1};
    int sc[2] = {-1, -1};
    std::uint8_t e = w.op();
    if (receiving) {
      int k = 0;
      for (int c = 0; c < kMaxChans; ++c)
        if (w.open & (1u << c)) rc[k++] = c;
      // Unused receive slots: nil, or a duplicate of an open input.
      for (int j = k; j < 3; ++j) rc[j] = (e >> j) & 1 ? rc[0] : -1;
      if (w.r->outputs) {
        sc[0] = (e & 0x10) ? pick(w.r->outputs, e >> 5) : -1;
        sc[1] = (e & 0x08) ? pick(w.r->outputs, e >> 6) : -1;
      }
    } else {
      sc[0] = send_to;
      sc[1] = (e & 1) ? pick(w.r->outputs, e >> 1) : -1;
      // Opportunistic receives on any channel, or nil.
      rc[0] = (e & 2) ? any_chan(e >> 2) : -1;
      rc[1] = (e & 4) ? any_chan(e >> 4) : -1;
      rc[2] = (b & 8) ? any_chan(b >> 5) : -1;
    }
    std::uint32_t t0 = w.next_tag(), t1 = w.next_tag();
    int fired = -1, i;
    // Case order varies with e's top bit: sends first or receives first.
    if (with_default) {
      i = weft::select(weft::on_recv(ch(rc[0]), on_value(w, rc[0], 0, fired)),
                       weft::on_recv(ch(rc[1]), on_value(w, rc[1], 1, fired)),
                       weft::on_send(ch(sc[0]), msg(t0), on_sent(w, sc[0], t0, 2, fired)),
                       weft::on_recv(ch(rc[2]), on_value(w, rc[2], 3, fired)),
                       weft::on_send(ch(sc[1]), msg(t1), on_sent(w, sc[1], t1, 4, fired)),
                       weft::on_default([&] { fired = 5; }));
    } else if (e & 0x80) {
      i = weft::select(weft::on_send(ch(sc[0]), msg(t0), on_sent(w, sc[0], t0, 0, fired)),
                       weft::on_recv(ch(rc[0]), on_value(w, rc[0], 1, fired)),
                       weft::on_recv(ch(rc[1]), on_value(w, rc[1], 2, fired)),
                       weft::on_recv(ch(rc[2]), on_value(w, rc[2], 3, fired)),
                       weft::on_send(ch(sc[1]), msg(t1), on_sent(w, sc[1], t1, 4, fired)));
    } else {
      i = weft::select(weft::on_recv(ch(rc[0]), on_value(w, rc[0], 0, fired)),
                       weft::on_recv(ch(rc[1]), on_value(w, rc[1], 1, fired)),
                       weft::on_send(ch(sc[0]), msg(t0), on_sent(w, sc[0], t0, 2, fired)),
                       weft::on_recv(ch(rc[2]), on_value(w, rc[2], 3, fired)),
                       weft::on_send(ch(sc[1]), msg(t1), on_sent(w, sc[1], t1, 4, fired)));
    }
    WEFT_FUZZ_CHECK(i == fired, "select returned %d but case %d's handler ran\n%s", i, fired,
                    describe(p_).c_str());
  }

  // A send operation as a six-case select: three sends (one on a real
  // output), three receives (anything or nil); no default.
  void select6(worker& w, std::uint8_t b, int send_to) {
    std::uint8_t e = w.op(), g = w.op();
    int s1 = (e & 1) ? pick(w.r->outputs, e >> 1) : -1;
    int s2 = (e & 2) ? send_to : -1;  // a duplicate of the first send, or nil
    int r0 = (g & 1) ? any_chan(g >> 1) : -1;
    int r1 = (g & 2) ? any_chan(g >> 3) : -1;
    int r2 = (b & 8) ? any_chan(b >> 5) : -1;
    std::uint32_t t0 = w.next_tag(), t1 = w.next_tag(), t2 = w.next_tag();
    int fired = -1;
    int i = weft::select(weft::on_recv(ch(r0), on_value(w, r0, 0, fired)),
                         weft::on_send(ch(send_to), msg(t0), on_sent(w, send_to, t0, 1, fired)),
                         weft::on_recv(ch(r1), on_value(w, r1, 2, fired)),
                         weft::on_send(ch(s1), msg(t1), on_sent(w, s1, t1, 3, fired)),
                         weft::on_recv(ch(r2), on_value(w, r2, 4, fired)),
                         weft::on_send(ch(s2), msg(t2), on_sent(w, s2, t2, 5, fired)));
    WEFT_FUZZ_CHECK(i == fired, "select returned %d but case %d's handler ran\n%s", i, fired,
                    describe(p_).c_str());
  }

  // A select_set of 1 to 12 decoded cases. Receiving: every open input is in
  // it (perhaps twice); sending: send_to is in it. Extra cases: receives on
  // any channel or nil, sends on outputs or nil, at most one default.
  void select_dynamic(worker& w, bool receiving, int send_to) {
    weft::select_set s;
    std::vector<int> chan_of;  // per position: channel, -1 nil, -2 default
    int fired = -1;
    auto add_recv = [&](int c) {
      int pos = static_cast<int>(chan_of.size());
      s.add(weft::on_recv(ch(c), on_value(w, c, pos, fired)));
      chan_of.push_back(c);
    };
    auto add_send = [&](int c) {
      int pos = static_cast<int>(chan_of.size());
      std::uint32_t t = w.next_tag();
      s.add(weft::on_send(ch(c), msg(t), on_sent(w, c, t, pos, fired)));
      chan_of.push_back(c);
    };
    bool has_default = false;
    std::uint8_t h = w.op();
    int extra = h % 12;
    bool required_first = (h >> 4) & 1;
    auto add_required = [&] {
      if (receiving) {
        for (int c = 0; c < kMaxChans; ++c)
          if (w.open & (1u << c)) add_recv(c);
      } else {
        add_send(send_to);
      }
    };
    if (required_first) add_required();
    for (int k = 0; k < extra; ++k) {
      std::uint8_t e = w.op();
      switch (e & 7) {
        case 0:
          add_recv(-1);
          break;
        case 1:
          add_send(-1);
          break;
        case 2:
        case 3:
          add_recv(any_chan(e >> 3));
          break;
        case 4:
        case 5:
          if (w.r->outputs)
            add_send(pick(w.r->outputs, e >> 3));
          else
            add_recv(-1);
          break;
        case 6:
          if (!has_default) {
            int pos = static_cast<int>(chan_of.size());
            s.add(weft::on_default([&fired, pos] { fired = pos; }));
            chan_of.push_back(-2);
            has_default = true;
          } else {
            add_recv(-1);
          }
          break;
        case 7:
          if (receiving && w.open)
            add_recv(pick(w.open, e >> 3));  // a duplicate of an open input
          else
            add_send(-1);
          break;
      }
    }
    if (!required_first) add_required();
    int i = s.select();
    WEFT_FUZZ_CHECK(i == fired, "select_set returned %d but case %d's handler ran\n%s", i, fired,
                    describe(p_).c_str());
  }

  // ---- receive steps (routers and consumers; w.open is not empty) ----

  void recv_step(worker& w, bool router) {
    std::uint8_t b = w.op();
    const bool single = __builtin_popcount(w.open) == 1;
    const int first = pick(w.open, 0);
    if (f_ == flavour::select) {
      switch (b & 3) {
        case 0:
          select4(w, b, true, -1, false);
          break;
        case 1:
          select4(w, b, true, -1, true);
          break;
        case 2:
          select_dynamic(w, true, -1);
          break;
        case 3:
          persistent_set(w);
          break;
      }
      return;
    }
    (void)router;
    switch (b & 7) {
      case 0:
      case 6:
        if (single) {
          if (auto v = chans_[first].recv())
            got(w, first, std::move(*v));
          else
            got_closed(w, first);
        } else {
          select4(w, b, true, -1, false);
        }
        break;
      case 1:
        if (single && w.r->k == kind::consumer) {
          for (auto&& m : chans_[first]) got(w, first, std::move(m));
          got_closed(w, first);
        } else {
          select4(w, b, true, -1, false);
        }
        break;
      case 2: {  // poll every open input once (nothing ready: the caller yields)
        for (int c = 0; c < kMaxChans; ++c) {
          if (!(w.open & (1u << c))) continue;
          weft::try_recv_result<msg> r = chans_[c].try_recv();
          if (r.status == weft::chan_status::ok) {
            WEFT_FUZZ_CHECK(r.value.has_value(), "try_recv ok without a value");
            got(w, c, std::move(*r.value));
          } else if (r.status == weft::chan_status::closed) {
            WEFT_FUZZ_CHECK(!r.value.has_value(), "try_recv closed with a value");
            got_closed(w, c);
          }
        }
        break;
      }
      case 3:
        select4(w, b, true, -1, true);
        break;
      case 4:
        select_dynamic(w, true, -1);
        break;
      case 5:
        check_size(first);
        select4(w, b, true, -1, (b & 8) != 0);
        break;
      case 7:
        persistent_set(w);
        break;
    }
  }

  // A select_set built once over the open inputs and reused until they are
  // all closed, a closed input's case disabled (Go's "set it to nil").
  void persistent_set(worker& w) {
    weft::select_set s;
    std::vector<int> chan_of;
    int fired = -1;
    for (int c = 0; c < kMaxChans; ++c)
      if (w.open & (1u << c)) {
        int pos = static_cast<int>(chan_of.size());
        s.add(weft::on_recv(chans_[c], on_value(w, c, pos, fired)));
        chan_of.push_back(c);
      }
    std::uint8_t e = w.op();
    if (e & 1) {  // a nil case that must never fire
      int pos = static_cast<int>(chan_of.size());
      s.add(weft::on_recv(nil_, on_value(w, -1, pos, fired)));
      chan_of.push_back(-1);
    }
    const bool router = w.r->k == kind::router;
    while (w.open) {
      fired = -1;
      std::size_t before = w.received.size();
      int i = s.select();
      WEFT_FUZZ_CHECK(i == fired, "select_set returned %d but case %d's handler ran\n%s", i, fired,
                      describe(p_).c_str());
      int c = chan_of[static_cast<std::size_t>(i)];
      if (c >= 0 && !(w.open & (1u << c))) s.disable(i);
      if (router)
        for (std::size_t k = before; k < w.received.size(); ++k) send_op(w);
      if (e & 2) break;  // one step only; the next step builds a new set
    }
  }

  // ---- after all inputs are closed: Go's closed- and nil-channel behaviour ----

  template <class F>
  void expect_panic(F&& f, const char* what, int c) {
    bool threw = false;
    try {
      f();
    } catch (const weft::panic_error& e) {
      threw = true;
      WEFT_FUZZ_CHECK(std::strcmp(e.what(), what) == 0,
                      "channel %d: panic \"%s\" where Go panics \"%s\"", c, e.what(), what);
    }
    WEFT_FUZZ_CHECK(threw, "channel %d: no panic where Go panics \"%s\"", c, what);
  }

  void closed_checks(worker& w) {
    std::uint8_t b = w.op();
    for (int c = 0; c < p_.nchan; ++c) {
      if (!(w.r->inputs & (1u << c))) continue;
      const chan_t& x = chans_[c];
      switch ((b + c) % 8) {
        case 0:
          expect_panic([&] { x.send(msg(0)); }, "send on closed channel", c);
          break;
        case 1:
          expect_panic([&] { x.close(); }, "close of closed channel", c);
          break;
        case 2: {
          msg m(1);
          WEFT_FUZZ_CHECK(x.try_send(std::move(m)) == weft::chan_status::closed,
                          "try_send on closed channel %d did not say closed", c);
          WEFT_FUZZ_CHECK(m.intact(), "try_send on closed channel %d lost its value", c);
          break;
        }
        case 3: {
          auto r = x.try_recv();
          WEFT_FUZZ_CHECK(r.status == weft::chan_status::closed && !r.value,
                          "try_recv on closed, drained channel %d did not say closed", c);
          break;
        }
        case 4:
          WEFT_FUZZ_CHECK(!x.recv().has_value(), "recv on closed, drained channel %d got a value",
                          c);
          break;
        case 5: {
          int fired = -1;
          int i = weft::select(weft::on_recv(x, on_value(w, c, 0, fired)),
                               weft::on_default([&] { fired = 1; }));
          WEFT_FUZZ_CHECK(i == 0 && fired == 0,
                          "select chose %d (handler %d) over a closed channel %d's receive", i,
                          fired, c);
          break;
        }
        case 6:
          expect_panic(
              [&] { weft::select(weft::on_send(x, msg(2), [] {}), weft::on_default([] {})); },
              "send on closed channel", c);
          break;
        case 7:
          WEFT_FUZZ_CHECK(x.size() == 0 && x.capacity() == p_.cap[c],
                          "closed drained channel %d: size %zu capacity %zu", c, x.size(),
                          x.capacity());
          break;
      }
    }
    // The nil channel.
    switch ((b >> 3) % 4) {
      case 0:
        expect_panic([&] { nil_.close(); }, "close of nil channel", -1);
        break;
      case 1: {
        msg m(3);
        WEFT_FUZZ_CHECK(nil_.try_send(std::move(m)) == weft::chan_status::not_ready && m.intact(),
                        "try_send on the nil channel");
        WEFT_FUZZ_CHECK(nil_.try_recv().status == weft::chan_status::not_ready,
                        "try_recv on the nil channel");
        break;
      }
      case 2: {
        int fired = -1;
        int i = weft::select(weft::on_recv(nil_, on_value(w, -1, 0, fired)),
                             weft::on_send(nil_, msg(4), on_sent(w, -1, 0, 1, fired)),
                             weft::on_default([&] { fired = 2; }));
        WEFT_FUZZ_CHECK(i == 2 && fired == 2, "select on nil channels chose %d", i);
        break;
      }
      case 3:
        WEFT_FUZZ_CHECK(nil_.size() == 0 && nil_.capacity() == 0 && !nil_,
                        "the nil channel has a size or capacity");
        break;
    }
  }

  // ---- after the run: the ledger ----

  void check_ledger() {
    struct entry {
      int chan = -1;
      int received = 0;
    };
    std::vector<std::pair<std::uint32_t, entry>> sent;
    for (const worker& w : workers_)
      for (const record& r : w.sent) sent.push_back({r.tag, entry{r.chan, 0}});
    std::sort(sent.begin(), sent.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t k = 1; k < sent.size(); ++k)
      WEFT_FUZZ_CHECK(sent[k - 1].first != sent[k].first, "tag %x sent twice (harness)",
                      sent[k].first);
    for (const worker& w : workers_) {
      // Per channel, per sender: the last sequence number seen.
      std::uint32_t last[kMaxChans][kMaxRoles + kMaxChans] = {};
      for (const record& r : w.received) {
        auto it = std::lower_bound(
            sent.begin(), sent.end(), r.tag,
            [](const std::pair<std::uint32_t, entry>& a, std::uint32_t t) { return a.first < t; });
        WEFT_FUZZ_CHECK(it != sent.end() && it->first == r.tag,
                        "g%d received tag %x on channel %d that was never sent\n%s", w.id, r.tag,
                        r.chan, describe(p_).c_str());
        WEFT_FUZZ_CHECK(it->second.chan == r.chan,
                        "g%d received tag %x on channel %d; it was sent on channel %d\n%s", w.id,
                        r.tag, r.chan, it->second.chan, describe(p_).c_str());
        WEFT_FUZZ_CHECK(++it->second.received == 1, "tag %x received twice (channel %d)\n%s", r.tag,
                        r.chan, describe(p_).c_str());
        std::uint32_t sender = r.tag >> 20, seq = r.tag & 0xfffff;
        WEFT_FUZZ_CHECK(seq > last[r.chan][sender],
                        "FIFO: g%d received g%u's #%u after #%u on channel %d\n%s", w.id, sender,
                        seq, last[r.chan][sender], r.chan, describe(p_).c_str());
        last[r.chan][sender] = seq;
      }
    }
    for (const auto& s : sent)
      WEFT_FUZZ_CHECK(s.second.received == 1, "tag %x sent on channel %d was never received\n%s",
                      s.first, s.second.chan, describe(p_).c_str());
  }

  const program& p_;
  flavour f_;
  std::vector<worker> workers_;
  chan_t chans_[kMaxChans];
  chan_t nil_;
  int senders_[kMaxChans] = {};
  std::atomic<int> remaining_[kMaxChans];
  weft::wait_group chan_wg_[kMaxChans];
  weft::wait_group all_;
};

inline int run_input(const std::uint8_t* data, std::size_t size, flavour f) {
  reader in(data, size);
  program p = decode(in);
  runner(p, f).run();
  return 0;
}

}  // namespace weft_fuzz
