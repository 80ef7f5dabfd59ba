// select3_test.cpp: a port of Go's test/chan/select3.go ("Test the semantics
// of the select statement for basic empty/non-empty cases"), written fresh.
// Go's test decides "blocks" by waiting 10 ms; here "would block" is decided
// without timing, by adding a default case (the select must take it), and
// "never blocks" by simply completing.
#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_default;
using weft::on_recv;
using weft::on_send;

class GoSelect3 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect3);

// True if `select(cases..., default)` takes the default, i.e. the cases
// alone would block.
template <class... Cases>
bool would_block(Cases&&... cases) {
  return weft::select(std::forward<Cases>(cases)..., on_default()) ==
         static_cast<int>(sizeof...(Cases));
}

TEST_P(GoSelect3, NilChannels) {
  run([] {
    chan<int> nilch;
    EXPECT_TRUE(would_block(on_send(nilch, 7)));                  // nil send blocks
    EXPECT_TRUE(would_block(on_recv(nilch)));                     // nil recv blocks
    EXPECT_TRUE(would_block(on_send(nilch, 7), on_recv(nilch)));  // both
    EXPECT_EQ(nilch.try_send(7), weft::chan_status::not_ready);
  });
}

TEST_P(GoSelect3, ClosedChannels) {
  run([] {
    chan<int> closedch(0);
    closedch.close();
    // Receiving from a closed channel never blocks and yields "zero, !ok".
    EXPECT_EQ(closedch.recv(), std::nullopt);
    EXPECT_FALSE(would_block(on_recv(closedch)));
    bool got_closed = false;
    weft::select(on_recv(closedch, [&](std::optional<int> v) { got_closed = !v; }));
    EXPECT_TRUE(got_closed);
    // Sending panics, in a select too.
    WEFT_EXPECT_PANIC(closedch.send(7), "send on closed channel");
    WEFT_EXPECT_PANIC(weft::select(on_send(closedch, 7)), "send on closed channel");
  });
}

TEST_P(GoSelect3, EmptyAndFullBufferedChannels) {
  run([] {
    chan<int> async(1);
    EXPECT_TRUE(would_block(on_recv(async)));      // empty: recv blocks
    EXPECT_FALSE(would_block(on_send(async, 7)));  // room: send does not
    EXPECT_TRUE(would_block(on_send(async, 7)));   // full: send blocks
    EXPECT_FALSE(would_block(on_recv(async)));     // non-empty: recv does not
  });
}

TEST_P(GoSelect3, UnbufferedChannelWithoutPartner) {
  run([] {
    chan<int> sync(0);
    EXPECT_TRUE(would_block(on_send(sync, 7)));
    EXPECT_TRUE(would_block(on_recv(sync)));
  });
}

TEST_P(GoSelect3, UnbufferedChannelWithPartner) {
  run([] {
    chan<int> sync(0);
    // A receiver: our blocking select send completes.
    weft::go([sync]() mutable { EXPECT_EQ(sync.recv(), 7); });
    weft::select(on_send(sync, 7));
    // A sender: our blocking select receive completes.
    weft::go([sync]() mutable { sync.send(7); });
    int got = 0;
    weft::select(on_recv(sync, [&](std::optional<int> v) { got = *v; }));
    EXPECT_EQ(got, 7);
  });
}

TEST_P(GoSelect3, NilSendAndClosedRecvPicksTheRecv) {
  run([] {
    chan<int> nilch, closedch(0);
    closedch.close();
    for (int i = 0; i < 10; ++i) EXPECT_EQ(weft::select(on_send(nilch, 7), on_recv(closedch)), 1);
  });
}

TEST_P(GoSelect3, DefaultOnlyNeverBlocks) {
  run([] {
    bool ran = false;
    EXPECT_EQ(weft::select(on_default([&] { ran = true; })), 0);
    EXPECT_TRUE(ran);
  });
}

}  // namespace
