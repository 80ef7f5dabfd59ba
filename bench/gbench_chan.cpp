// gbench_chan.cpp: channel operations.
//
//   ChanPingPong     procs x capacity {0, 1}: the main goroutine sends on a and
//                    receives on b; a partner does `for (v : a) b.send(v + 1)`.
//                    One iteration = one round trip (2 handoffs, >= 2 switches
//                    at procs = 1); capacity 0 is the anchors'
//                    pingpong_unbuffered and Go's BenchmarkChanSync x 2.
//   ChanStream       procs x capacity {0, 1024}: one producer goroutine sends
//                    0, 1, 2, ...; the main goroutine receives one value per
//                    iteration (chan_throughput_1p1c's shape, per message).
//   ChanSendRecv     one goroutine, chan(1024): send then recv per iteration;
//                    the uncontended buffered fast path, no switches.
//   ChanMakeClose    make a chan(0), close it, drop it.
// Every benchmark checks the values it receives and reports a wrong one with
// SkipWithError; none asserts on time.
#include "gbench_common.hpp"

#if WEFT_GBENCH_HAVE_CHAN

#include <atomic>
#include <optional>

namespace {

using weft_bench::in_runtime;

void ChanPingPong(benchmark::State& state) {
  const auto cap = static_cast<std::size_t>(state.range(1));
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<long> a(cap);
    weft::chan<long> b(cap);
    weft::wait_group partner_done;
    partner_done.add(1);
    weft::go([a, b, &partner_done]() mutable {
      for (long v : a) b.send(v + 1);
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
    a.close();
    partner_done.wait();
    ok = v == n;
  });
  if (!ok) state.SkipWithError("ChanPingPong: wrong value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ChanPingPong)->ArgNames({"procs", "cap"})->ArgsProduct({{1, 2}, {0, 1}})->UseRealTime();

void ChanStream(benchmark::State& state) {
  const auto cap = static_cast<std::size_t>(state.range(1));
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<long> ch(cap);
    std::atomic<bool> stop{false};
    weft::wait_group producer_done;
    producer_done.add(1);
    weft::go([ch, &stop, &producer_done]() mutable {
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) ch.send(i);
      ch.close();
      producer_done.done();
    });
    long want = 0;
    for (auto _ : state) {
      std::optional<long> v = ch.recv();
      if (!v || *v != want) ok = false;
      ++want;
    }
    stop.store(true, std::memory_order_relaxed);
    for (long v : ch) {  // drain, releasing a blocked producer, until closed
      if (v != want) ok = false;
      ++want;
    }
    producer_done.wait();
  });
  if (!ok) state.SkipWithError("ChanStream: values out of order");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ChanStream)->ArgNames({"procs", "cap"})->ArgsProduct({{1, 2}, {0, 1024}})->UseRealTime();

void ChanSendRecv(benchmark::State& state) {
  bool ok = true;
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    weft::chan<long> ch(1024);
    long i = 0;
    for (auto _ : state) {
      ch.send(i);
      std::optional<long> v = ch.recv();
      if (!v || *v != i) ok = false;
      ++i;
    }
  });
  if (!ok) state.SkipWithError("ChanSendRecv: wrong value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ChanSendRecv)->Apply(weft_bench::procs_1_2);

void ChanMakeClose(benchmark::State& state) {
  in_runtime(state, static_cast<unsigned>(state.range(0)), [&] {
    for (auto _ : state) {
      weft::chan<long> ch(std::size_t{0});
      ch.close();
      benchmark::DoNotOptimize(ch);
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ChanMakeClose)->Apply(weft_bench::procs_1_2);

}  // namespace

#endif  // WEFT_GBENCH_HAVE_CHAN
