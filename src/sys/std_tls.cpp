// std_tls.cpp: per-OS-thread slots (see tls_slot in sys/std.hpp).
//
// Out of line and opaque on purpose: a goroutine may call tls_get(), switch
// (park) and resume on another OS thread. If the access were inlined, the
// compiler could keep the first thread's TLS address in a register across
// the switch and read the wrong thread's slot. noinline (and noipa under
// g++, which also stops it from deducing the function is pure) keeps every
// call a fresh lookup on the current thread.
#include <weft/sys.hpp>

#if defined(__clang__)
#define WEFT_OPAQUE __attribute__((noinline))
#else
#define WEFT_OPAQUE __attribute__((noinline, noipa))
#endif

namespace weft::sys {
namespace {
constexpr unsigned kSlots = static_cast<unsigned>(tls_slot::count);
thread_local void* slots[kSlots];  // seam-ok: this is the seam
}  // namespace

WEFT_OPAQUE void* tls_get(tls_slot slot) noexcept { return slots[static_cast<unsigned>(slot)]; }

WEFT_OPAQUE void tls_set(tls_slot slot, void* value) noexcept {
  slots[static_cast<unsigned>(slot)] = value;
}

}  // namespace weft::sys
