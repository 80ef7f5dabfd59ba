// std_tls.cpp: per-OS-thread slots (see tls_slot in sys/std.hpp).
//
// A goroutine may read a slot, switch (park) and resume on another OS
// thread. If the compiler kept the first thread's TLS address in a
// register across the switch, the goroutine would read the wrong thread's
// slot. So no access here is ever cached: on x86-64 tls_get() and
// tls_set() are inline volatile asm through %fs (sys/std.hpp); elsewhere
// they are out-of-line calls, noinline (and noipa under g++, which also stops it
// from deducing the function is pure), so every call is a fresh lookup on
// the current thread.
#include <weft/sys.hpp>

#if defined(__clang__)
#define WEFT_OPAQUE __attribute__((noinline))
#else
#define WEFT_OPAQUE __attribute__((noinline, noipa))
#endif

namespace {
constexpr unsigned kSlots = static_cast<unsigned>(weft::sys::tls_slot::count);
}  // namespace

// Initial-exec: in the static TLS block, at the same offset from the thread
// pointer in every thread (the inline tls_get() depends on it). C linkage:
// the inline asm names it.
extern "C" {
extern thread_local void* weft_tls_slots[kSlots] __attribute__((tls_model("initial-exec")));
thread_local void* weft_tls_slots[kSlots];  // seam-ok: this is the seam
}

namespace weft::sys {

#if !(defined(__x86_64__) && defined(__GNUC__) && !defined(WEFT_OUT_OF_LINE_TLS))
WEFT_OPAQUE void* tls_get(tls_slot slot) noexcept {
  return weft_tls_slots[static_cast<unsigned>(slot)];
}

WEFT_OPAQUE void tls_set(tls_slot slot, void* value) noexcept {
  weft_tls_slots[static_cast<unsigned>(slot)] = value;
}
#endif

}  // namespace weft::sys
