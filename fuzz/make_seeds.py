#!/usr/bin/env python3
"""fuzz/make_seeds.py: writes the seed inputs in fuzz/corpus/ (run from fuzz/).

The byte formats are documented in chan_program.hpp, fuzz_schedule.cpp and
fuzz_runq.cpp; each seed below says what program or schedule it decodes to.
Regression inputs (regression-*) are written by hand from findings, not here.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def w(target, name, bs):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(bs))


# ---- fuzz_chan_ops / fuzz_select: [nchan] [cap | last_sender_closes<<2]... [nroles-1 | main<<3]
def prog(nchan, chans, nroles_b, roles):
    out = [nchan] + chans + [nroles_b]
    for r in roles:
        out += r
    return out


def P(mask, ops):  # producer on the channels of mask (decoded: 1 + mask % (2^n - 1))
    return [0, mask, len(ops)] + ops


def C(mask, ops):  # consumer
    return [2, mask, len(ops)] + ops


def R(split, mask, ops):  # router: inputs below split (low nibble), outputs above (high)
    return [1 | (split << 2), mask, len(ops)] + ops


w("fuzz_chan_ops", "seed-unbuffered-pair", prog(0, [0], 1, [P(0, [0] * 5), C(0, [0])]))
w("fuzz_chan_ops", "seed-buffered-two-producers",
  prog(0, [3 | 4], 2, [P(0, [0, 3, 4, 5, 6, 7, 0x0f]), P(0, [1, 2, 3, 0]), C(0, [1, 0])]))
w("fuzz_chan_ops", "seed-pipeline",
  prog(1, [1, 0], 2, [P(0, [0, 0, 3, 0, 6, 0]), R(0, 0x00, [0, 3, 4]), C(1, [2, 3, 5])]))
w("fuzz_chan_ops", "seed-three-channels",
  prog(2, [0, 2, 5], 4 | 8, [P(2, [0, 0x13, 0x24, 3, 4, 5, 0x36]), P(6, [0x10, 0x21, 7, 0x87, 0x96]),
                              R(1, 0x10, [0, 4, 0x10]), C(6, [2, 3, 4, 7, 6]), C(5, [7, 0x12, 0])]))
for k in range(4):  # every closed-channel and nil-channel check
    w("fuzz_chan_ops", f"seed-closed-checks-{k}",
      prog(1, [0, 3], 2, [P(2, [0, 0x10, 0]), C(2, [0, k * 8 + 0, k * 8 + 1]),
                          C(1, [2, (k * 8 + 4) & 0xff, 0x1d])]))
w("fuzz_chan_ops", "seed-router-two-inputs",
  prog(2, [0, 1, 0], 3, [P(2, [0, 0x10, 0x20, 0x30]), P(0, [0, 0]), R(2, 0x43, [0, 4, 7, 2]), C(4, [0])]))

w("fuzz_select", "seed-static4", prog(0, [0], 1, [P(0, [0, 1, 0, 1, 0x11]), C(0, [0, 1, 0, 1])]))
w("fuzz_select", "seed-static6",
  prog(1, [1, 0], 2, [P(3, [2, 0xff, 0x03, 0x0a, 0x13, 0x13]), P(1, [2, 0x07, 0x0b, 2, 0x01, 0x02]),
                      C(3, [0, 0x1f, 1, 0x06])]))
w("fuzz_select", "seed-dynamic",
  prog(2, [0, 3, 1], 3, [P(7, [3, 0x1b, 0, 1, 2, 3, 4, 5, 6, 7, 0x0f, 0x1f, 3, 0x0a]),
                         P(5, [3, 0x15, 6, 6, 2]),
                         C(7, [2, 0x0c, 0, 1, 2, 3, 4, 5, 6, 7, 0x17, 0x27, 0x37]), C(3, [3, 0x01, 0x02])]))
w("fuzz_select", "seed-persistent-set",
  prog(1, [0, 0], 2, [P(1, [0, 0x10, 1, 0x11]), C(1, [3, 1, 3, 3]), C(2, [3, 2, 1, 0])]))
w("fuzz_select", "seed-router-mixed",
  prog(2, [1, 0, 2], 4 | 8, [P(1, [0, 0x10, 1, 0x03]), P(2, [3, 0x1b, 6, 0x07]),
                             R(1, 0x11, [0, 0x18, 1, 0x19, 2, 0x0b, 0x12]), R(2, 0x43, [3, 0x1b, 0x04, 0x05]),
                             C(4, [1, 0x0e, 0x2a])]))
w("fuzz_select", "seed-closed-checks", prog(0, [2 | 4], 1, [P(0, [1, 0x03]), C(0, [0, 0x1e, 0x05])]))

# ---- fuzz_schedule: [scenario] [parameter] [schedule choices...]
rnd = random.Random(6)
for s, name in enumerate(["ping-pong", "producer-consumer", "select-timeout", "wait-group-mutex",
                          "fan-in-select", "relay"]):
    w("fuzz_schedule", f"seed-{name}-plain", [s, 3])
    w("fuzz_schedule", f"seed-{name}-mixed",
      [s, rnd.randrange(256)] + [rnd.randrange(256) for _ in range(24)])

# ---- fuzz_runq: sequential [0] [ops...]; concurrent [1] [nops] [ops] [nsteals] [steals] [choices]
w("fuzz_runq", "seed-seq-push-pop", [0] + [0] * 6 + [2] * 3 + [4, 3, 8])
w("fuzz_runq", "seed-seq-runnext", [0, 1, 1, 0x11, 3, 0x13, 2, 2, 1, 0x81, 0x83, 2])
w("fuzz_runq", "seed-seq-overflow", [0, 7, 9, 7, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2, 2])
w("fuzz_runq", "seed-seq-steal", [0, 0, 0, 0, 0, 0, 1, 0x86, 0x96, 0x82, 0x82, 1, 0x16, 0x96, 6, 0x16])
w("fuzz_runq", "seed-seq-both-queues", [0, 7, 6, 0x87, 5, 0x86, 0x16, 0x85, 0x81, 0x91, 0x83, 0x93, 8, 9])
w("fuzz_runq", "seed-conc-steal", [1, 6, 0, 0, 0, 2, 3, 4, 2, 1, 0, 1] + [1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1])
w("fuzz_runq", "seed-conc-overflow", [1, 11] + [0] * 10 + [3, 2, 1, 1, 0] + [0, 1] * 10)
w("fuzz_runq", "seed-conc-runnext", [1, 4, 2, 2, 4, 3, 1, 1] + [1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1])
