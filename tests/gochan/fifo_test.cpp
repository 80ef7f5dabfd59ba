// fifo_test.cpp: a port of Go's test/chan/fifo.go ("Test that unbuffered
// channels act as pure fifos"), written fresh against weft's API.
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoFifo : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoFifo);

constexpr int kN = 10;

// AsynchFifo: a buffered channel hands values back in order.
TEST_P(GoFifo, AsynchFifo) {
  run([] {
    chan<int> ch(kN);
    for (int i = 0; i < kN; ++i) ch.send(i);
    for (int i = 0; i < kN; ++i) EXPECT_EQ(ch.recv(), i);
  });
}

// SynchFifo: kN goroutines queue up as receivers on one unbuffered channel,
// strictly one after another (each waits for its predecessor's token before
// receiving), so the i-th value sent must reach the i-th goroutine.
TEST_P(GoFifo, SynchFifo) {
  run([] {
    chan<int> ch(0);
    chan<int> in(0);
    chan<int> start = in;
    for (int i = 0; i < kN; ++i) {
      chan<int> out(0);
      weft::go([ch, in, out, i]() mutable {
        in.recv();
        EXPECT_EQ(ch.recv(), i);
        out.send(1);
      });
      in = out;
    }
    start.send(0);
    for (int i = 0; i < kN; ++i) ch.send(i);
    in.recv();
  });
}

}  // namespace
