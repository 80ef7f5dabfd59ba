// select7_test.cpp: a port of Go's test/chan/select7.go ("Test select when
// discarding a value"), written fresh: every pairing of three ways to
// receive (plain, a one-case select, a two-case select) with three ways to
// send (plain, a one-case select, a two-case select).
#include <functional>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_recv;
using weft::on_send;

class GoSelect7 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect7);

using recv_fn = void (*)(chan<int>, chan<int>);

void recv1(chan<int> c, chan<int> done) {
  c.recv();
  done.send(1);
}
void recv2(chan<int> c, chan<int> done) {
  weft::select(on_recv(c));
  done.send(1);
}
void recv3(chan<int> c, chan<int> done) {
  chan<int> c2(0);
  weft::select(on_recv(c), on_recv(c2));
  done.send(1);
}

void send1(recv_fn recv) {
  chan<int> c(0), done(1);
  weft::go(recv, c, done);
  weft::yield();
  c.send(1);
  done.recv();
}
void send2(recv_fn recv) {
  chan<int> c(0), done(1);
  weft::go(recv, c, done);
  weft::yield();
  weft::select(on_send(c, 1));
  done.recv();
}
void send3(recv_fn recv) {
  chan<int> c(0), done(1);
  weft::go(recv, c, done);
  weft::yield();
  chan<int> c2(0);
  weft::select(on_send(c, 1), on_send(c2, 1));
  done.recv();
}

TEST_P(GoSelect7, AllPairs) {
  run([] {
    for (int round = 0; round < 20; ++round)
      for (auto send : {send1, send2, send3})
        for (recv_fn recv : {recv1, recv2, recv3}) send(recv);
  });
}

}  // namespace
