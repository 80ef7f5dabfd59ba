// watchdog.hpp: turns a hang into a failure that says what hung. A plain
// thread (weft::sys::thread) waits for the guarded scope to end; past the
// deadline it prints the description (the generated program) and aborts, so
// that a lost wake-up the deadlock detector cannot see (a poller that spins
// on yield, a runtime that never returns) still fails the test with the
// program printed, well inside the CTest timeout.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include <weft/sys.hpp>

namespace weft_proptest {

class watchdog {
 public:
  watchdog(std::string what, std::chrono::seconds limit)
      : what_(std::move(what)), thread_([this, limit] { watch(limit); }) {}
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  ~watchdog() {
    {
      std::lock_guard<weft::sys::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock<weft::sys::mutex> lock(mu_);
    if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
      std::fprintf(stderr, "\nwatchdog: no progress after %lld s; the program:\n%s\n",
                   static_cast<long long>(limit.count()), what_.c_str());
      std::fflush(stderr);
      std::abort();
    }
  }

  std::string what_;
  weft::sys::mutex mu_;
  weft::sys::condition_variable cv_;
  bool done_ = false;         // guarded by mu_
  weft::sys::thread thread_;  // last: starts after the fields above exist
};

}  // namespace weft_proptest
