// programs.hpp: the generated channel programs of the lost-wakeup and the
// deadlock-verdict properties, with their generators, their printed form and
// their interpreters. The header is compiled into executables that link
// weft::weft (the real runtime) and into executables that link weft::model
// (the same code under the checker): the interpreters use only weft's API.
//
// 1. Terminating programs (lost wakeups): producers, consumers and a closer
//    over two channels c0, c1. Every value sent is received exactly once and
//    every goroutine finishes, on every schedule:
//      T1  each channel has at least one consumer that drains it until close
//      T2  the channels are closed once, after the last send (by a closer
//          goroutine that waits for the producers, or by the last producer)
//      T3  pollers (try_send / try_recv loops) yield between tries, and an
//          unbuffered channel that a try_send polls has a blocking consumer
//          (two non-blocking operations never meet on an unbuffered channel)
//    So a run that reports a deadlock or never ends has lost a wake-up.
//
// 2. Deadlock programs: goroutines x channels x blocking operations (send,
//    recv, close, select of two receives, select of a send and a receive),
//    with nothing guaranteeing termination. Goroutine 1 waits for the others
//    with a wait_group; a panicking operation (send on a closed channel) is
//    caught and the goroutine goes on. Their one-line form, used on the
//    command line of the oracle (deadlock_oracle.cpp):
//      <cap0><cap1>/<ops of goroutine 1>/<ops of goroutine 2>...
//    each op two characters: s0 send c0, r1 recv c1, c0 close c0,
//    a0 select{recv c0, recv c1}, b1 select{send c1, recv c0}.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <weft/weft.hpp>

namespace weft_proptest {

// ---- 1. terminating programs -------------------------------------------------

enum class producer_mode { send, select_send, poll_send };
enum class consumer_mode { range, select_both, poll_recv };
enum class closer_mode { goroutine, last_producer };

struct producer {
  producer_mode mode;
  int ch;                   // send and poll_send: the channel
  std::vector<int> values;  // unique across the program
};
struct consumer {
  consumer_mode mode;
  int ch;  // range and poll_recv: the channel
};
struct lw_program {
  std::size_t cap[2];
  std::vector<producer> producers;
  std::vector<consumer> consumers;
  closer_mode closer;
};

inline std::string show(const lw_program& p) {
  static const char* pm[] = {"send", "select{send c0, send c1}", "try_send+yield"};
  static const char* cm[] = {"for v in", "select{recv c0, recv c1} until both closed",
                             "try_recv+yield until closed"};
  std::ostringstream os;
  os << "c0 = chan(" << p.cap[0] << "), c1 = chan(" << p.cap[1] << ")\n";
  for (std::size_t i = 0; i < p.producers.size(); i++) {
    const auto& pr = p.producers[i];
    os << "producer " << i << ": " << pm[static_cast<int>(pr.mode)];
    if (pr.mode != producer_mode::select_send) os << " c" << pr.ch;
    os << " values";
    for (int v : pr.values) os << " " << v;
    os << "\n";
  }
  for (std::size_t i = 0; i < p.consumers.size(); i++) {
    const auto& c = p.consumers[i];
    os << "consumer " << i << ": " << cm[static_cast<int>(c.mode)];
    if (c.mode != consumer_mode::select_both) os << " c" << c.ch;
    os << "\n";
  }
  os << "close c0, c1: "
     << (p.closer == closer_mode::goroutine ? "a closer goroutine after wg.wait()"
                                            : "the last producer to finish")
     << "\n";
  return os.str();
}

inline lw_program gen_lw_program() {
  lw_program p;
  p.cap[0] = *rc::gen::inRange<std::size_t>(0, 4);
  p.cap[1] = *rc::gen::inRange<std::size_t>(0, 4);
  int next_value = 1;
  const int producers = *rc::gen::inRange(1, 4);
  for (int i = 0; i < producers; i++) {
    producer pr;
    pr.mode = *rc::gen::element(producer_mode::send, producer_mode::send,
                                producer_mode::select_send, producer_mode::poll_send);
    pr.ch = *rc::gen::inRange(0, 2);
    const int n = *rc::gen::inRange(0, 5);
    for (int k = 0; k < n; k++) pr.values.push_back(next_value++);
    p.producers.push_back(pr);
  }
  const int consumers = *rc::gen::inRange(1, 4);
  bool covered[2] = {false, false};
  for (int i = 0; i < consumers; i++) {
    consumer c;
    c.mode = *rc::gen::element(consumer_mode::range, consumer_mode::range,
                               consumer_mode::select_both, consumer_mode::poll_recv);
    c.ch = *rc::gen::inRange(0, 2);
    if (c.mode == consumer_mode::select_both)
      covered[0] = covered[1] = true;
    else
      covered[c.ch] = true;
    p.consumers.push_back(c);
  }
  for (int k = 0; k < 2; k++)  // T1
    if (!covered[k]) p.consumers.push_back(consumer{consumer_mode::range, k});
  for (int k = 0; k < 2; k++) {  // T3: a try_send on an unbuffered channel needs a parked receiver
    bool polled = false, blocking_consumer = false;
    for (const auto& pr : p.producers) polled |= pr.mode == producer_mode::poll_send && pr.ch == k;
    for (const auto& c : p.consumers)
      blocking_consumer |=
          c.mode == consumer_mode::select_both || (c.mode == consumer_mode::range && c.ch == k);
    if (p.cap[k] == 0 && polled && !blocking_consumer)
      p.consumers.push_back(consumer{consumer_mode::range, k});
  }
  p.closer = *rc::gen::element(closer_mode::goroutine, closer_mode::last_producer);
  return p;
}

struct lw_result {
  std::vector<int> received;  // sorted
  std::vector<int> sent;      // sorted
  bool ok() const { return received == sent; }
};

// The body of goroutine 1 for program p: starts everything, waits until
// every goroutine it started has finished, returns what was received. Blocks
// for good if a wake-up is lost.
inline lw_result run_lw_program(const lw_program& p) {
  weft::chan<int> ch[2] = {weft::chan<int>(p.cap[0]), weft::chan<int>(p.cap[1])};
  const bool closer_goroutine = p.closer == closer_mode::goroutine || p.producers.empty();
  const std::size_t goroutines =
      p.producers.size() + p.consumers.size() + (closer_goroutine ? 1 : 0);
  // Each goroutine's last act is a send here, so that goroutine 1 returns
  // (and its frame goes) only after all of them are done with it.
  weft::chan<int> finished(goroutines);
  weft::chan<std::vector<int>> results(0);  // one rendezvous per consumer
  weft::wait_group producers_done;
  // Producers still running (closer_mode::last_producer).
  auto remaining = std::make_shared<weft::sys::atomic<int>>(static_cast<int>(p.producers.size()));
  auto close_both = [](const weft::chan<int>& a, const weft::chan<int>& b) {
    a.close();
    b.close();
  };
  producers_done.add(static_cast<int>(p.producers.size()));
  for (const auto& pr : p.producers) {
    weft::go([&, pr, remaining] {
      for (int v : pr.values) {
        switch (pr.mode) {
          case producer_mode::send:
            ch[pr.ch].send(v);
            break;
          case producer_mode::select_send:
            weft::select(weft::on_send(ch[0], v), weft::on_send(ch[1], v));
            break;
          case producer_mode::poll_send:
            for (;;) {
              int copy = v;
              if (ch[pr.ch].try_send(std::move(copy)) == weft::chan_status::ok) break;
              weft::yield();  // T3
            }
            break;
        }
      }
      if (!closer_goroutine && remaining->fetch_sub(1, std::memory_order_acq_rel) == 1)
        close_both(ch[0], ch[1]);  // T2
      producers_done.done();
      finished.send(1);
    });
  }
  if (closer_goroutine) {
    weft::go([&] {
      producers_done.wait();
      close_both(ch[0], ch[1]);  // T2
      finished.send(1);
    });
  }
  for (const auto& c : p.consumers) {
    weft::go([&, c] {
      std::vector<int> got;
      switch (c.mode) {
        case consumer_mode::range:
          for (int v : ch[c.ch]) got.push_back(v);
          break;
        case consumer_mode::select_both: {
          weft::chan<int> a = ch[0], b = ch[1];  // set to nil once closed (Go's idiom)
          while (a || b) {
            weft::select(weft::on_recv(a,
                                       [&](std::optional<int> v) {
                                         if (v)
                                           got.push_back(*v);
                                         else
                                           a = weft::chan<int>();
                                       }),
                         weft::on_recv(b, [&](std::optional<int> v) {
                           if (v)
                             got.push_back(*v);
                           else
                             b = weft::chan<int>();
                         }));
          }
          break;
        }
        case consumer_mode::poll_recv:
          for (;;) {
            auto r = ch[c.ch].try_recv();
            if (r.status == weft::chan_status::closed) break;
            if (r.value)
              got.push_back(*r.value);
            else
              weft::yield();  // T3
          }
          break;
      }
      results.send(std::move(got));
      finished.send(1);
    });
  }
  lw_result r;
  for (std::size_t i = 0; i < p.consumers.size(); i++) {
    auto got = results.recv();
    if (got) r.received.insert(r.received.end(), got->begin(), got->end());
  }
  for (std::size_t i = 0; i < goroutines; i++) finished.recv();
  for (const auto& pr : p.producers)
    r.sent.insert(r.sent.end(), pr.values.begin(), pr.values.end());
  std::sort(r.received.begin(), r.received.end());
  std::sort(r.sent.begin(), r.sent.end());
  return r;
}

// ---- 2. deadlock programs ------------------------------------------------------

struct dl_op {
  char kind;  // 's' send, 'r' recv, 'c' close, 'a' select{recv ch, recv 1-ch},
              // 'b' select{send ch, recv 1-ch}
  int ch;
};
struct dl_program {
  std::size_t cap[2];
  std::vector<std::vector<dl_op>> goroutines;
};

inline std::string encode(const dl_program& p) {
  std::string s = std::to_string(p.cap[0]) + std::to_string(p.cap[1]);
  for (const auto& g : p.goroutines) {
    s += "/";
    for (const auto& o : g) {
      s += o.kind;
      s += static_cast<char>('0' + o.ch);
    }
  }
  return s;
}

inline std::optional<dl_program> decode(const std::string& s) {
  if (s.size() < 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
  dl_program p;
  p.cap[0] = static_cast<std::size_t>(s[0] - '0');
  p.cap[1] = static_cast<std::size_t>(s[1] - '0');
  std::size_t i = 2;
  while (i < s.size()) {
    if (s[i] != '/') return std::nullopt;
    i++;
    std::vector<dl_op> ops;
    while (i < s.size() && s[i] != '/') {
      if (i + 1 >= s.size()) return std::nullopt;
      char k = s[i];
      int ch = s[i + 1] - '0';
      if (std::string("srcab").find(k) == std::string::npos || (ch != 0 && ch != 1))
        return std::nullopt;
      ops.push_back(dl_op{k, ch});
      i += 2;
    }
    p.goroutines.push_back(ops);
  }
  return p;
}

inline std::string show(const dl_program& p) {
  std::ostringstream os;
  os << "c0 = chan(" << p.cap[0] << "), c1 = chan(" << p.cap[1] << ")   [" << encode(p) << "]\n";
  for (std::size_t g = 0; g < p.goroutines.size(); g++) {
    os << "goroutine " << g + 2 << ":";
    for (const auto& o : p.goroutines[g]) {
      switch (o.kind) {
        case 's':
          os << " c" << o.ch << "<-1;";
          break;
        case 'r':
          os << " <-c" << o.ch << ";";
          break;
        case 'c':
          os << " close(c" << o.ch << ");";
          break;
        case 'a':
          os << " select{<-c" << o.ch << ", <-c" << 1 - o.ch << "};";
          break;
        case 'b':
          os << " select{c" << o.ch << "<-1, <-c" << 1 - o.ch << "};";
          break;
      }
    }
    os << "\n";
  }
  os << "goroutine 1: waits for them all (wait_group)\n";
  return os.str();
}

inline dl_program gen_dl_program() {
  dl_program p;
  p.cap[0] = *rc::gen::inRange<std::size_t>(0, 3);
  p.cap[1] = *rc::gen::inRange<std::size_t>(0, 3);
  const int goroutines = *rc::gen::inRange(1, 4);
  for (int g = 0; g < goroutines; g++) {
    const int n = *rc::gen::inRange(1, 4);
    std::vector<dl_op> ops;
    for (int i = 0; i < n; i++)
      ops.push_back(
          dl_op{*rc::gen::element('s', 'r', 's', 'r', 'c', 'a', 'b'), *rc::gen::inRange(0, 2)});
    p.goroutines.push_back(ops);
  }
  // Random operations rarely meet: most programs would deadlock on every
  // schedule. Half of the programs get a last goroutine that receives what
  // the plain sends left unmatched and sends what the receives wait for, so
  // that "some schedules deadlock" and "none does" come up often too.
  if (*rc::gen::arbitrary<bool>()) {
    std::vector<dl_op> balance;
    for (int k = 0; k < 2; k++) {
      int diff = 0;
      for (const auto& g : p.goroutines)
        for (const auto& o : g) diff += o.ch != k ? 0 : o.kind == 's' ? 1 : o.kind == 'r' ? -1 : 0;
      for (; diff > 0 && balance.size() < 4; diff--) balance.push_back(dl_op{'r', k});
      for (; diff < 0 && balance.size() < 4; diff++) balance.push_back(dl_op{'s', k});
    }
    if (!balance.empty()) p.goroutines.push_back(balance);
  }
  return p;
}

// Runs one goroutine's operations on c[0], c[1]. A panic (send on a closed
// channel, close of a closed channel) is caught and the goroutine goes on.
inline void run_dl_ops(const std::vector<dl_op>& ops, const weft::chan<int>* c) {
  for (const auto& o : ops) {
    try {
      const auto& a = c[o.ch];
      const auto& b = c[1 - o.ch];
      switch (o.kind) {
        case 's':
          a.send(1);
          break;
        case 'r':
          a.recv();
          break;
        case 'c':
          a.close();
          break;
        case 'a':
          weft::select(weft::on_recv(a), weft::on_recv(b));
          break;
        case 'b':
          weft::select(weft::on_send(a, 1), weft::on_recv(b));
          break;
      }
    } catch (const weft::panic_error&) {
    }
  }
}

}  // namespace weft_proptest
