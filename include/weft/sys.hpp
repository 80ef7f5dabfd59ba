// sys.hpp: THE SEAM. Production code reaches atomics, threads, locks,
// thread-local slots, futexes, the clock and randomness only through
// weft::sys. This file picks one backend and nothing else:
//   WEFT_MODEL   -> sys/model.hpp   (weft::model, the deterministic checker)
//   WEFT_RELACY  -> sys/relacy.hpp  (Relacy: atomics and cells only)
//   otherwise    -> sys/std.hpp     (the real machine)
// After tokio's src/loom/mod.rs: one switch, one std side, one mocked side.
#pragma once

#if defined(WEFT_MODEL)
#include <weft/sys/model.hpp>
#elif defined(WEFT_RELACY)
#include <weft/sys/relacy.hpp>
#else
#include <weft/sys/std.hpp>
#endif
