// std_futex.cpp: the futex, the single blocking primitive (see sys/std.hpp).
// Raw futex(2) with FUTEX_PRIVATE_FLAG: every word lives in this process.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <weft/sys.hpp>

namespace weft::sys {
namespace {

static_assert(sizeof(atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "futex words must be plain 32-bit words");

std::uint32_t* word_addr(atomic<std::uint32_t>& word) {
  // The kernel reads the word itself; std::atomic<uint32_t> is layout
  // compatible with uint32_t (checked above).
  return reinterpret_cast<std::uint32_t*>(&word);
}

long futex(std::uint32_t* addr, int op, std::uint32_t val, const struct timespec* ts,
           std::uint32_t val3) {
  return ::syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, nullptr, val3);
}

}  // namespace

void futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected) {
  // EAGAIN: the word no longer held `expected`; EINTR: a signal. Both are
  // allowed returns (callers re-check their condition in a loop).
  futex(word_addr(word), FUTEX_WAIT, expected, nullptr, 0);
}

bool futex_wait_until(atomic<std::uint32_t>& word, std::uint32_t expected,
                      clock::time_point deadline) {
  // steady_clock is CLOCK_MONOTONIC on Linux; FUTEX_WAIT_BITSET takes an
  // absolute deadline on that clock, so retries after EINTR do not drift.
  auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  if (ns < 0) ns = 0;
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  long r = futex(word_addr(word), FUTEX_WAIT_BITSET, expected, &ts, FUTEX_BITSET_MATCH_ANY);
  if (r == 0) return true;  // woken (possibly spuriously)
  int err = errno;
  switch (err) {
    case ETIMEDOUT:
      return false;
    case EAGAIN:  // the word no longer held `expected`
      return true;
    case EINTR:  // a signal: a spurious wakeup unless the deadline passed
      return clock::now() < deadline;
    default:
      fatal("futex_wait_until: futex: %s", std::strerror(err));
  }
}

void futex_wake(atomic<std::uint32_t>& word, int count) {
  futex(word_addr(word), FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr, 0);
}

}  // namespace weft::sys
