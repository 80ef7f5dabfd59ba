#!/usr/bin/env bash
# scaling.sh: weft beside Go 1.19 as the number of processors grows.
#
# Runs weft_anchor_bench and the Go anchor program (../shared/anchors/go) on
# the same benchmarks at procs = 1, 2, 4, ... up to the machine's CPU count
# (or $WEFT_SCALING_PROCS), weft and Go back to back for each (benchmark,
# procs) pair so that both see the same machine state, and prints one table:
# benchmark, procs, weft, Go, weft/Go. Below 1 means weft is faster.
#
# Built for a many-core machine that has neither Go nor a compiler: build
# both programs statically here and pass the folder that holds them.
#
#   cmake -S . -B build/device-build -G Ninja -DCMAKE_BUILD_TYPE=Release \
#     -DWEFT_BUILD_BENCH=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF \
#     -DCMAKE_EXE_LINKER_FLAGS=-static
#   cmake --build build/device-build --target weft_anchor_bench
#   mkdir -p build/device && cp build/device-build/bench/weft_anchor_bench build/device/
#   (cd ../shared/anchors/go && CGO_ENABLED=0 go build -o "$OLDPWD/build/device/gobench" .)
#   bench/scaling.sh build/device
#
# Environment:
#   WEFT_SCALING_PROCS    procs values (default: 1 2 4 8 ... up to nproc)
#   WEFT_SCALING_BENCH    benchmarks (default: skynet spawn_join chan_throughput_4p4c
#                         pingpong_unbuffered select_2 chan_throughput_1p1c)
#   WEFT_SCALING_REPS     measured repetitions per figure (default 3)
#   WEFT_SCALING_TIMEOUT  seconds allowed per program run (default 60)
#
# A benchmark, not a test: it never fails on a time. Exit status 1 only when
# a program failed (wrong result, crash, timeout); its cell then reads "fail".
set -uo pipefail

DIR="${1:?usage: scaling.sh DIR (holding weft_anchor_bench and gobench)}"
W="$DIR/weft_anchor_bench"
G="$DIR/gobench"
[[ -x "$W" && -x "$G" ]] || { echo "scaling: need $W and $G" >&2; exit 2; }

ncpu=$(nproc)
if [[ -n "${WEFT_SCALING_PROCS:-}" ]]; then
  read -r -a PROCS <<<"$WEFT_SCALING_PROCS"
else
  PROCS=()
  for ((p = 1; p <= ncpu; p *= 2)); do PROCS+=("$p"); done
  ((PROCS[${#PROCS[@]} - 1] != ncpu)) && PROCS+=("$ncpu")
fi
read -r -a BENCH <<<"${WEFT_SCALING_BENCH:-skynet spawn_join chan_throughput_4p4c pingpong_unbuffered select_2 chan_throughput_1p1c}"
REPS="${WEFT_SCALING_REPS:-3}"
TO="${WEFT_SCALING_TIMEOUT:-60}"
status=0

echo "# date=$(date -u +%FT%TZ) cpus=$ncpu model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# loadavg=$(cut -d' ' -f1-3 /proc/loadavg) reps=$REPS procs=${PROCS[*]}"

# first "anchor <sys> <bench>/p<N> <value> <unit>" line whose unit is not msgs/s
figure() { awk '$1 == "anchor" && $NF != "msgs/s" { print $4, $5; exit }'; }

rows=()
for b in "${BENCH[@]}"; do
  for p in "${PROCS[@]}"; do
    wv=$(timeout "$TO" "$W" -bench "$b" -procs "$p" -reps "$REPS" 2>/dev/null | figure)
    [[ -n "$wv" ]] || { wv="fail -"; status=1; }
    gv=$(GOMAXPROCS=$p timeout "$TO" "$G" -bench "$b" -reps "$REPS" 2>/dev/null | figure)
    [[ -n "$gv" ]] || { gv="fail -"; status=1; }
    read -r wn unit <<<"$wv"
    read -r gn _ <<<"$gv"
    ratio=$(awk -v a="$wn" -v b="$gn" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
    row="| $b | $p | $wn | $gn | $unit | $ratio |"
    echo "$row" >&2
    rows+=("$row")
  done
done

echo "| benchmark | procs | weft | Go | unit | weft/Go |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$status"
