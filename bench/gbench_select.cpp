// gbench_select.cpp: weft::select.
//
//   SelectBothReady    two chan(1024) each holding values; one select with two
//                      ready receive cases per iteration, whose handler sends
//                      the value back to the channel it came from (so both
//                      stay ready). The anchors' select_2 plus one buffered
//                      send; see ChanSendRecv for the send alone.
//   SelectUncontended  Go's BenchmarkSelectUncontended, one goroutine: two
//                      chan(1), one full; select receives from the full one and
//                      fills the other.
//   SelectDefault      a receive case on an empty chan(1) plus on_default: the
//                      non-blocking poll (Go's BenchmarkChanNonblocking shape).
//   SelectPingPong     ChanPingPong with the partner waiting in a select over
//                      its input and a quit channel: the cost of parking in and
//                      waking from a two-case select.
#include "gbench_common.hpp"

#if WEFT_GBENCH_HAVE_SELECT

#include <optional>

namespace {

using weft_bench::in_runtime;

void SelectBothReady(benchmark::State& state) {
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<long> c1(1024);
    weft::chan<long> c2(1024);
    for (long i = 0; i < 512; ++i) {
      c1.send(i);
      c2.send(i);
    }
    for (auto _ : state) {
      weft::select(weft::on_recv(c1,
                                 [&](std::optional<long> v) {
                                   if (v)
                                     c1.send(*v);
                                   else
                                     ok = false;
                                 }),
                   weft::on_recv(c2, [&](std::optional<long> v) {
                     if (v)
                       c2.send(*v);
                     else
                       ok = false;
                   }));
    }
    if (c1.size() != 512 || c2.size() != 512) ok = false;
  });
  if (!ok) state.SkipWithError("SelectBothReady: lost a value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(SelectBothReady)->Apply(weft_bench::procs_1_2);

void SelectUncontended(benchmark::State& state) {
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<int> c1(1);
    weft::chan<int> c2(1);
    c1.send(0);
    for (auto _ : state) {
      weft::select(weft::on_recv(c1, [&](std::optional<int>) { c2.send(0); }),
                   weft::on_recv(c2, [&](std::optional<int>) { c1.send(0); }));
    }
    if (c1.size() + c2.size() != 1) ok = false;
  });
  if (!ok) state.SkipWithError("SelectUncontended: lost a value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(SelectUncontended)->Apply(weft_bench::procs_1_2);

void SelectDefault(benchmark::State& state) {
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<int> c(1);
    for (auto _ : state) {
      int i = weft::select(weft::on_recv(c, [&](std::optional<int>) { ok = false; }),
                           weft::on_default([] {}));
      benchmark::DoNotOptimize(i);
    }
  });
  if (!ok) state.SkipWithError("SelectDefault: received from an empty channel");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(SelectDefault)->Apply(weft_bench::procs_1_2);

void SelectPingPong(benchmark::State& state) {
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<long> a(std::size_t{0});
    weft::chan<long> b(std::size_t{0});
    weft::chan<int> quit(std::size_t{0});
    weft::wait_group partner_done;
    partner_done.add(1);
    weft::go([a, b, quit, &partner_done]() mutable {
      for (bool running = true; running;) {
        weft::select(weft::on_recv(a,
                                   [&](std::optional<long> v) {
                                     if (v)
                                       b.send(*v + 1);
                                     else
                                       running = false;
                                   }),
                     weft::on_recv(quit, [&](std::optional<int>) { running = false; }));
      }
      partner_done.done();
    });
    long v = 0;
    long n = 0;
    for (auto _ : state) {
      a.send(v);
      std::optional<long> r = b.recv();
      v = r ? *r : -1;
      ++n;
    }
    quit.close();
    partner_done.wait();
    ok = v == n;
  });
  if (!ok) state.SkipWithError("SelectPingPong: wrong value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(SelectPingPong)->Apply(weft_bench::procs_1_2);

}  // namespace

#endif  // WEFT_GBENCH_HAVE_SELECT
