// select6_test.cpp: a port of Go's test/chan/select6.go, written fresh.
// Go issue 2075: a select that lost on one channel corrupted that channel's
// wait queue when other waiters were queued behind it. Here: a receiver and
// a select both wait on c1; the select wins on c2 instead; both later
// receives on c1 must still be served.
#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;

class GoSelect6 : public weft_test::Procs {};
WEFT_PROCS_SUITE(GoSelect6);

TEST_P(GoSelect6, LosingSelectLeavesTheQueueIntact) {
  run([] {
    for (int round = 0; round < 100; ++round) {
      chan<bool> c1(0), c2(0), c3(0);
      chan<int> done(2);
      weft::go([c1, done]() mutable {
        c1.recv();
        done.send(1);
      });
      weft::go([c1, c2, c3, done]() mutable {
        weft::select(weft::on_recv(c1, [](std::optional<bool>) { ADD_FAILURE() << "dummy"; }),
                     weft::on_recv(c2, [&](std::optional<bool>) { c3.send(true); }));
        c1.recv();
        done.send(1);
      });
      weft::go([c2]() mutable { c2.send(true); });
      c3.recv();
      c1.send(true);
      c1.send(true);
      done.recv();
      done.recv();
    }
  });
}

}  // namespace
