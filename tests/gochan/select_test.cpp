// select_test.cpp: a port of Go's test/chan/select.go ("Test simple
// select"), written fresh: send on whichever of two buffered channels has
// room, disabling each after it fired (Go sets the channel variable to nil),
// until the default case is taken; the right values must arrive.
#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoSelect : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect);

unsigned counter = 0;
unsigned shift = 0;

unsigned get_value() {
  ++counter;
  return 1u << shift;
}

int send(chan<unsigned> a, chan<unsigned> b) {
  int i = 0;
  for (;;) {
    bool stop = false;
    weft::select(weft::on_send(a, get_value(),
                               [&] {
                                 ++i;
                                 a = chan<unsigned>();
                               }),
                 weft::on_send(b, get_value(),
                               [&] {
                                 ++i;
                                 b = chan<unsigned>();
                               }),
                 weft::on_default([&] { stop = true; }));
    if (stop) break;
    ++shift;
  }
  return i;
}

TEST_P(GoSelect, SendUntilDefault) {
  run([] {
    counter = 0;
    shift = 0;
    chan<unsigned> a(1), b(1);
    EXPECT_EQ(send(a, b), 2);
    unsigned av = *a.recv(), bv = *b.recv();
    EXPECT_EQ(av | bv, 3u);
    EXPECT_EQ(send(a, chan<unsigned>()), 1);  // b is nil: never fires
    EXPECT_EQ(counter, 10u);                  // 2 values per select, 5 selects in all
  });
}

}  // namespace
