// fuzz_common.hpp: what every fuzz target shares: a byte reader that never
// runs out (zeros past the end) and the way a finding ends the process.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace weft_fuzz {

// Reads the input front to back; past the end every byte is 0, so any input
// decodes to some program and a shorter input to a smaller one.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  unsigned below(unsigned n) { return n == 0 ? 0 : byte() % n; }
  bool empty() const { return p_ >= end_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
  const std::uint8_t* pos() const { return p_; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// A finding: print what broke and abort (libFuzzer saves the input as crash-*).
[[noreturn]] inline void finding(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] inline void finding(const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  std::fputs("\nweft fuzz FINDING: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  std::fflush(stderr);
  std::abort();
}

}  // namespace weft_fuzz

#define WEFT_FUZZ_CHECK(cond, ...)                                                    \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "\n%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ::weft_fuzz::finding(__VA_ARGS__);                                              \
    }                                                                                 \
  } while (0)
