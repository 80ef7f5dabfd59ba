// chan_state_test.cpp: weft::chan<T> against a sequential model (RapidCheck's
// stateful testing, rc::state::check with execOneOfWithArgs).
//
// The model of a channel of capacity c (0..4) is its buffer (a deque of
// values) and a closed flag; the system under test is a real weft::chan
// reached through one of two handles (copies refer to the same channel).
// Every command is applied to both and the results compared; after every
// command size() and capacity() must agree with the model.
//
// Blocking operations are only run where they cannot block forever: when
// the operation would block (unbuffered, or a full/empty buffer), a helper
// OS thread does the partner operation (a plain thread parks on a futex in
// weft, no runtime needed). The model of such a pair is deterministic:
//   send(v) blocked on a full buffer + helper recv: helper gets the head,
//       v is appended (Go's direct hand-off keeps the buffer FIFO);
//   recv on an empty buffer + helper send(v): we get v.
// try_send / try_recv against a parked partner (TrySendToReceiver,
// TryRecvFromSender) retry until ok: a try op on an unbuffered channel
// succeeds only with a partner waiting, which is what they check.
//
// Values are std::unique_ptr<int>: the element type is move-only, and a
// failed try_send must leave the value with the caller (API.md: "must not
// lose a value on failure").
//
// Invariants checked:
//   S1  FIFO: recv/try_recv return the model's head
//   S2  try ops tell not_ready from closed exactly as the model says
//   S3  send on closed, close of closed, close of nil panic with Go's words
//   S4  size() == buffered values, capacity() == c, 0 for the nil channel
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <weft/weft.hpp>

#include "prop.hpp"

namespace {

using elem = std::unique_ptr<int>;

struct chan_model {
  std::size_t cap = 0;
  std::deque<int> buf;
  bool closed = false;
  bool full() const { return buf.size() >= cap; }  // cap 0: always "full"
};

struct chan_sut {
  weft::chan<elem> handles[2];  // the channel and a copy of its handle
  weft::chan<elem> nil;
};

using command = rc::state::Command<chan_model, chan_sut>;

// Runs `op`, which must panic with `text`.
template <class F>
void expect_panic(F&& op, const char* text) {
  try {
    op();
  } catch (const weft::panic_error& e) {
    RC_ASSERT(std::string(e.what()) == std::string(text));
    return;
  }
  RC_FAIL(std::string("expected a panic: ") + text);
}

elem box(int v) { return std::make_unique<int>(v); }

// Retries a try operation until it stops answering not_ready (a partner is
// parking on another thread). Fails rather than spin for ever.
template <class F>
auto retry_until_ready(F&& op) {
  auto deadline = weft::clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto r = op();
    if (r != weft::chan_status::not_ready || weft::clock::now() > deadline) return r;
    weft::sys::spin_hint();
  }
}

struct send_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  int v = *rc::gen::inRange(0, 1000);
  void apply(chan_model& m) const override {
    if (m.closed) return;
    if (m.cap == 0) return;           // handed to the helper
    if (m.full()) m.buf.pop_front();  // the helper took the head
    m.buf.push_back(v);
  }
  void run(const chan_model& m, chan_sut& s) const override {
    const auto& ch = s.handles[handle];
    if (m.closed) {
      expect_panic([&] { ch.send(box(v)); }, "send on closed channel");
      return;
    }
    if (!m.full()) {
      ch.send(box(v));
      return;
    }
    std::optional<int> got;
    weft::sys::thread helper([&] {
      auto r = ch.recv();
      if (r && *r) got = **r;
    });
    ch.send(box(v));
    helper.join();
    RC_ASSERT(got.has_value());
    RC_ASSERT(*got == (m.cap == 0 ? v : m.buf.front()));
  }
  void show(std::ostream& os) const override { os << "send(" << v << ") via handle " << handle; }
};

struct recv_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  int helper_v = *rc::gen::inRange(1000, 2000);
  void apply(chan_model& m) const override {
    if (!m.buf.empty()) m.buf.pop_front();
  }
  void run(const chan_model& m, chan_sut& s) const override {
    const auto& ch = s.handles[handle];
    if (!m.buf.empty() || m.closed) {
      auto r = ch.recv();
      if (m.buf.empty()) {
        RC_ASSERT(!r.has_value());
      } else {
        RC_ASSERT(r.has_value() && *r && **r == m.buf.front());
      }
      return;
    }
    weft::sys::thread helper([&] { ch.send(box(helper_v)); });
    auto r = ch.recv();
    helper.join();
    RC_ASSERT(r.has_value() && *r && **r == helper_v);
  }
  void show(std::ostream& os) const override { os << "recv() via handle " << handle; }
};

struct try_send_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  int v = *rc::gen::inRange(0, 1000);
  void apply(chan_model& m) const override {
    if (!m.closed && !m.full()) m.buf.push_back(v);
  }
  void run(const chan_model& m, chan_sut& s) const override {
    elem e = box(v);
    auto st = s.handles[handle].try_send(std::move(e));
    if (m.closed) {
      RC_ASSERT(st == weft::chan_status::closed);
    } else if (m.full()) {
      RC_ASSERT(st == weft::chan_status::not_ready);
    } else {
      RC_ASSERT(st == weft::chan_status::ok);
    }
    if (st != weft::chan_status::ok) RC_ASSERT(e && *e == v);  // not lost on failure
  }
  void show(std::ostream& os) const override {
    os << "try_send(" << v << ") via handle " << handle;
  }
};

struct try_recv_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  void apply(chan_model& m) const override {
    if (!m.buf.empty()) m.buf.pop_front();
  }
  void run(const chan_model& m, chan_sut& s) const override {
    auto r = s.handles[handle].try_recv();
    if (!m.buf.empty()) {
      RC_ASSERT(r.status == weft::chan_status::ok);
      RC_ASSERT(r.value.has_value() && *r.value && **r.value == m.buf.front());
    } else {
      RC_ASSERT(r.status == (m.closed ? weft::chan_status::closed : weft::chan_status::not_ready));
      RC_ASSERT(!r.value.has_value());
    }
  }
  void show(std::ostream& os) const override { os << "try_recv() via handle " << handle; }
};

// try_send while a helper thread is (or is about to be) parked in recv().
struct try_send_to_receiver_cmd : command {
  int v = *rc::gen::inRange(0, 1000);
  explicit try_send_to_receiver_cmd(const chan_model& m) { RC_PRE(!m.closed); }
  void apply(chan_model& m) const override {
    m.buf.push_back(v);
    m.buf.pop_front();  // the helper takes the head (v itself when unbuffered)
  }
  void run(const chan_model& m, chan_sut& s) const override {
    const auto& ch = s.handles[0];
    std::optional<int> got;
    weft::sys::thread helper([&] {
      auto r = ch.recv();
      if (r && *r) got = **r;
    });
    elem e = box(v);
    auto st = retry_until_ready([&] { return ch.try_send(std::move(e)); });
    if (st != weft::chan_status::ok) ch.send(box(-1));  // release the helper before failing
    helper.join();
    RC_ASSERT(st == weft::chan_status::ok);
    RC_ASSERT(got.has_value());
    RC_ASSERT(*got == (m.buf.empty() ? v : m.buf.front()));
  }
  void show(std::ostream& os) const override { os << "try_send(" << v << ") to a receiver"; }
};

// try_recv while a helper thread is (or is about to be) parked in send(v).
struct try_recv_from_sender_cmd : command {
  int v = *rc::gen::inRange(1000, 2000);
  explicit try_recv_from_sender_cmd(const chan_model& m) { RC_PRE(!m.closed); }
  void apply(chan_model& m) const override {
    m.buf.push_back(v);
    m.buf.pop_front();
  }
  void run(const chan_model& m, chan_sut& s) const override {
    const auto& ch = s.handles[1];
    weft::sys::thread helper([&] { ch.send(box(v)); });
    weft::try_recv_result<elem> r{weft::chan_status::not_ready, std::nullopt};
    auto st = retry_until_ready([&] {
      r = ch.try_recv();
      return r.status;
    });
    if (st != weft::chan_status::ok) ch.recv();  // release the helper before failing
    helper.join();
    RC_ASSERT(st == weft::chan_status::ok);
    RC_ASSERT(r.value.has_value() && *r.value);
    RC_ASSERT(**r.value == (m.buf.empty() ? v : m.buf.front()));
  }
  void show(std::ostream& os) const override { os << "try_recv() from a sender of " << v; }
};

struct close_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  void apply(chan_model& m) const override { m.closed = true; }
  void run(const chan_model& m, chan_sut& s) const override {
    if (m.closed)
      expect_panic([&] { s.handles[handle].close(); }, "close of closed channel");
    else
      s.handles[handle].close();
  }
  void show(std::ostream& os) const override { os << "close() via handle " << handle; }
};

// The nil channel: never ready, close panics, len and cap 0.
struct nil_ops_cmd : command {
  void apply(chan_model&) const override {}
  void run(const chan_model&, chan_sut& s) const override {
    elem e = box(7);
    RC_ASSERT(s.nil.try_send(std::move(e)) == weft::chan_status::not_ready);
    RC_ASSERT(e && *e == 7);
    RC_ASSERT(s.nil.try_recv().status == weft::chan_status::not_ready);
    RC_ASSERT(s.nil.size() == 0u);
    RC_ASSERT(s.nil.capacity() == 0u);
    RC_ASSERT(s.nil == weft::chan<elem>());
    RC_ASSERT(s.nil != s.handles[0]);
    expect_panic([&] { s.nil.close(); }, "close of nil channel");
  }
  void show(std::ostream& os) const override { os << "nil channel ops"; }
};

// Checked after every command: S4.
struct observe_cmd : command {
  int handle = *rc::gen::inRange(0, 2);
  void apply(chan_model&) const override {}
  void run(const chan_model& m, chan_sut& s) const override {
    RC_ASSERT(s.handles[handle].size() == m.buf.size());
    RC_ASSERT(s.handles[handle].capacity() == m.cap);
    RC_ASSERT(s.handles[0] == s.handles[1]);
  }
  void show(std::ostream& os) const override { os << "size()/capacity() via handle " << handle; }
};

void check_channel(std::size_t cap) {
  chan_model m;
  m.cap = cap;
  chan_sut s;
  s.handles[0] = weft::chan<elem>(cap);
  s.handles[1] = s.handles[0];
  RC_ASSERT(s.handles[0].capacity() == cap);
  rc::state::check(
      m, s,
      rc::state::gen::execOneOfWithArgs<send_cmd, recv_cmd, try_send_cmd, try_recv_cmd,
                                        try_send_to_receiver_cmd, try_recv_from_sender_cmd,
                                        close_cmd, nil_ops_cmd, observe_cmd>());
}

WEFT_PROP(ChanState, MatchesSequentialModel, 300) {
  const auto cap = *rc::gen::element<std::size_t>(0, 1, 2, 3, 4);
  RC_TAG(cap);
  check_channel(cap);
}

// One property per capacity as well, so that each capacity gets its full
// share of cases (and a failure names it).
WEFT_PROP(ChanState, Unbuffered, 300) { check_channel(0); }
WEFT_PROP(ChanState, Capacity1, 300) { check_channel(1); }
WEFT_PROP(ChanState, Capacity4, 300) { check_channel(4); }

}  // namespace
