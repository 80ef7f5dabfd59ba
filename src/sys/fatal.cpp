// fatal.cpp: sys::fatal, shared by every backend. Prints
// "fatal error: <message>" to stderr and aborts. The message is formatted
// into a fixed buffer and written with one write(2) so that it is not
// interleaved with other threads' output and needs no heap.
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <weft/sys.hpp>

namespace weft::sys {

void fatal(const char* fmt, ...) {
  char buf[1024];
  static constexpr char kPrefix[] = "fatal error: ";
  std::size_t n = sizeof(kPrefix) - 1;
  std::memcpy(buf, kPrefix, n);
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
  va_end(ap);
  if (m > 0) n += std::min(static_cast<std::size_t>(m), sizeof(buf) - n - 2);
#if defined(WEFT_MODEL)
  // Under the checker a fatal error fails the execution (kind "fatal") with
  // the message, instead of ending the process.
  buf[n] = '\0';
  model_fatal(buf + sizeof(kPrefix) - 1);
#endif
  buf[n++] = '\n';
  for (std::size_t off = 0; off < n;) {
    ssize_t w = ::write(STDERR_FILENO, buf + off, n - off);
    if (w <= 0) break;  // nothing better to do: we are about to abort
    off += static_cast<std::size_t>(w);
  }
  std::abort();
}

}  // namespace weft::sys
