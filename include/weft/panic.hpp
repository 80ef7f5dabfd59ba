// panic.hpp: Go's panics.
//
// With exceptions, a panic throws weft::panic_error (what() is Go's text);
// an exception that escapes a goroutine ends the program with
// "panic: <what>" and the goroutine dump. Under -fno-exceptions the same
// message and dump are printed and the program aborts.
#pragma once

#include <stdexcept>
#include <string>

namespace weft {

class panic_error : public std::logic_error {
 public:
  explicit panic_error(const std::string& what) : std::logic_error(what) {}
  explicit panic_error(const char* what) : std::logic_error(what) {}
};

namespace detail {
// Raise a Go panic with `message` (e.g. "send on closed channel").
[[noreturn]] void panic(const char* message);
}  // namespace detail

}  // namespace weft
