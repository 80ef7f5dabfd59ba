// model_main.cpp: the consumer program for weft::model (tests/install.cmake
// builds it when the installation has weft::model). The checker must find the
// failing interleaving of a racy flag and pass a correctly published one.
#include <weft/model.hpp>

#include <atomic>
#include <cstdio>

int main() {
  weft::model::result bad = weft::model::check([] {
    weft::sys::atomic<int> x{0};
    weft::sys::thread t([&] { x.store(1, std::memory_order_relaxed); });
    WEFT_MODEL_ASSERT(x.load(std::memory_order_relaxed) == 0);  // fails when t runs first
    t.join();
  });
  weft::model::result good = weft::model::check([] {
    weft::sys::atomic<int> x{0};
    weft::sys::thread t([&] { x.store(1, std::memory_order_release); });
    t.join();
    WEFT_MODEL_ASSERT(x.load(std::memory_order_acquire) == 1);  // join orders the store
  });
  if (bad.ok || !good.ok) {
    std::fprintf(stderr, "consumer_model: bad.ok=%d (want 0), good.ok=%d (want 1)\n%s\n", bad.ok,
                 good.ok, good.trace.c_str());
    return 1;
  }
  std::printf("consumer_model: ok (%llu and %llu executions)\n",
              static_cast<unsigned long long>(bad.executions),
              static_cast<unsigned long long>(good.executions));
  return 0;
}
