#!/usr/bin/env bash
# compare.sh: weft against Go 1.19 and Boost.Fiber 1.74, measured back to back.
#
# Runs the anchors (../shared/anchors/run.sh: Go and Boost.Fiber, ~110 s) and
# then weft_anchor_bench on every benchmark the anchors define, in one run on
# this machine, and prints one table: benchmark, weft, Go, Boost, weft/Go,
# weft/Boost. The machine is shared and noisy: only ratios from one run mean
# anything (../shared/anchors/README.md, "Caveats").
#
# Ratios are plain value ratios: below 1 means weft's number is smaller, which
# is better for ns, ms, bytes and MB, and worse for msgs/s.
#
# Raw output (anchor lines, per-rep detail on stderr, the table) is kept in
# build/bench/compare-<UTC time>/.
#
# Environment:
#   WEFT_ANCHORS_RUN        the anchors' run.sh (default: <repo>/../shared/anchors/run.sh)
#   ANCHORS_BUILD           where run.sh builds (run.sh's own default otherwise)
#   WEFT_ANCHOR_BENCH       a built weft_anchor_bench to use as is; otherwise it is
#                           built (Release) in WEFT_BENCH_BUILD_DIR
#   WEFT_BENCH_BUILD_DIR    build tree for it (default: <repo>/build/bench, the `bench`
#                           preset's, configured with `cmake --preset bench` if absent)
#   WEFT_COMPARE_OUT        where to put the raw output
#   WEFT_COMPARE_ANCHORS    an anchors stdout file from an earlier run to reuse instead of
#                           running run.sh (faster; ratios then span two runs: indicative only)
#   WEFT_COMPARE_GO_RSS=0   skip measuring Go's spawn_join peak RSS (/usr/bin/time, ~20 s)
#   WEFT_COMPARE_TIMEOUT    seconds allowed per weft benchmark (default 300)
#
# Exit status: 0, or 1 when a weft benchmark failed (wrong result, crash,
# timeout) or run.sh failed; the table is printed either way.
#
# Options (for `./dev bench compare ARGS`):
#   --reuse-anchors FILE    same as WEFT_COMPARE_ANCHORS=FILE
#   --no-go-rss             same as WEFT_COMPARE_GO_RSS=0
set -uo pipefail

while (($#)); do
  case $1 in
    --reuse-anchors) WEFT_COMPARE_ANCHORS=${2:?--reuse-anchors needs a file}; shift 2 ;;
    --no-go-rss) WEFT_COMPARE_GO_RSS=0; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
    *) echo "compare: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
RUN_SH="${WEFT_ANCHORS_RUN:-$REPO/../shared/anchors/run.sh}"
export ANCHORS_BUILD="${ANCHORS_BUILD:-${TMPDIR:-/tmp}/weft-anchors-build}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${WEFT_COMPARE_OUT:-$REPO/build/bench/compare-$STAMP}"
TIMEOUT="${WEFT_COMPARE_TIMEOUT:-300}"
mkdir -p "$OUT"
status=0

say() { echo "compare: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------- weft_anchor_bench ----------
BIN="${WEFT_ANCHOR_BENCH:-}"
if [[ -z "$BIN" ]]; then
  # The `bench` preset (CMakePresets.json: Release, WEFT_BUILD_BENCH=ON) builds in build/bench.
  BUILD="${WEFT_BENCH_BUILD_DIR:-$REPO/build/bench}"
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    if [[ -z "${WEFT_BENCH_BUILD_DIR:-}" && -f "$REPO/CMakePresets.json" ]]; then
      (cd "$REPO" && cmake --preset bench >&2) || die "cmake --preset bench failed"
    else
      gen=()
      command -v ninja >/dev/null && gen=(-G Ninja)
      cmake -S "$REPO" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DWEFT_BUILD_BENCH=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >&2 ||
        die "cmake configure of $BUILD failed"
    fi
  fi
  grep -q '^WEFT_BUILD_BENCH:BOOL=ON' "$BUILD/CMakeCache.txt" ||
    die "$BUILD is not configured with WEFT_BUILD_BENCH=ON"
  if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt"; then
    say "warning: $BUILD is not a Release build; weft's figures will be meaningless"
  fi
  cmake --build "$BUILD" --target weft_anchor_bench >&2 || die "building weft_anchor_bench failed"
  BIN="$BUILD/bench/weft_anchor_bench"
fi
[[ -x "$BIN" ]] || die "no weft_anchor_bench at $BIN"

note() { echo "# $*" >>"$OUT/weft.err"; }
T0=$(date +%s)

# ---------- anchors: Go and Boost.Fiber ----------
if [[ -n "${WEFT_COMPARE_ANCHORS:-}" ]]; then
  say "reusing anchors from $WEFT_COMPARE_ANCHORS (not back to back: ratios are indicative only)"
  cp "$WEFT_COMPARE_ANCHORS" "$OUT/anchors.out"
  : >"$OUT/anchors.err"
  anchors_note="anchors reused from $WEFT_COMPARE_ANCHORS"
else
  [[ -x "$RUN_SH" || -f "$RUN_SH" ]] || die "no anchors run.sh at $RUN_SH (set WEFT_ANCHORS_RUN)"
  say "running the anchors ($RUN_SH, ~110 s) ..."
  if ! bash "$RUN_SH" >"$OUT/anchors.out" 2>"$OUT/anchors.err"; then
    say "run.sh failed; see $OUT/anchors.err"
    status=1
  fi
  anchors_note="anchors and weft back to back"
fi
T1=$(date +%s)

# ---------- weft: same definitions, same sizes ----------
say "running weft_anchor_bench ..."
: >"$OUT/weft.out"
: >"$OUT/weft.err"
note "date=$(date -u +%FT%TZ) host_cpus=$(nproc) loadavg=$(cut -d' ' -f1-3 /proc/loadavg) bin=$BIN"
note "busiest other processes: $(ps -eo pcpu,comm --sort=-pcpu --no-headers | grep -v -e ' ps$' | head -3 | tr -s ' ' | paste -sd ';')"
declare -A failed=()
weft_run() {  # bench procs
  local rc=0
  timeout "$TIMEOUT" "$BIN" -bench "$1" -procs "$2" >>"$OUT/weft.out" 2>>"$OUT/weft.err" || rc=$?
  case $rc in
    0) ;;
    3) failed["$1/p$2"]="not built" ;;
    124) failed["$1/p$2"]="TIMEOUT"; status=1 ;;
    *) failed["$1/p$2"]="FAILED(rc=$rc)"; status=1 ;;
  esac
  [[ $rc == 0 ]] || note "$1/p$2: ${failed["$1/p$2"]}"
}
for P in 1 2; do
  weft_run pingpong_unbuffered $P
  weft_run chan_throughput_1p1c $P
done
weft_run chan_throughput_4p4c 2
for P in 1 2; do
  weft_run spawn_join $P
  weft_run skynet $P
  weft_run select_2 $P
done
weft_run memory_per_parked 2   # like Go's run (GOMAXPROCS=2); a fresh forked child per rep
for P in 1 2; do
  weft_run yield_pingpong $P
done
TW=$(date +%s)
note "weft done after $((TW - T1)) s; loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------- Go's spawn_join peak RSS (not printed by the anchors) ----------
: >"$OUT/go_rss.out"
if [[ "${WEFT_COMPARE_GO_RSS:-1}" != 0 && -x "$ANCHORS_BUILD/gobench" && -x /usr/bin/time ]]; then
  say "measuring Go's spawn_join peak RSS ..."
  for P in 1 2; do
    if GOMAXPROCS=$P /usr/bin/time -f '%M' -o "$OUT/go_rss_p$P.kib" \
         "$ANCHORS_BUILD/gobench" -bench spawn_join >/dev/null 2>>"$OUT/anchors.err"; then
      awk -v p="$P" '{ printf "anchor go spawn_join_peak_rss/p%s %.1f MB\n", p, $1 * 1024 / 1e6 }' \
        "$OUT/go_rss_p$P.kib" >>"$OUT/go_rss.out"
    fi
  done
fi
T2=$(date +%s)

# ---------- the table ----------
# Rows: label | weft key | Go key | Boost key, each key "<benchmark>/<sched> <unit>"
# ("-" = none). Boost's p2 is work_stealing(2, suspend=true), which in
# practice never steals here (README): effectively one thread.
ROWS='
pingpong_unbuffered/p1|pingpong_unbuffered/p1 ns/roundtrip|pingpong_unbuffered/p1 ns/roundtrip|pingpong_unbuffered/p1 ns/roundtrip
pingpong_unbuffered/p2|pingpong_unbuffered/p2 ns/roundtrip|pingpong_unbuffered/p2 ns/roundtrip|pingpong_unbuffered/p2-ws-susp ns/roundtrip
chan_throughput_1p1c/p1|chan_throughput_1p1c/p1 ns/msg|chan_throughput_1p1c/p1 ns/msg|chan_throughput_1p1c/p1 ns/msg
chan_throughput_1p1c/p1|chan_throughput_1p1c/p1 msgs/s|chan_throughput_1p1c/p1 msgs/s|chan_throughput_1p1c/p1 msgs/s
chan_throughput_1p1c/p2|chan_throughput_1p1c/p2 ns/msg|chan_throughput_1p1c/p2 ns/msg|chan_throughput_1p1c/p2-ws-susp ns/msg
chan_throughput_1p1c/p2|chan_throughput_1p1c/p2 msgs/s|chan_throughput_1p1c/p2 msgs/s|chan_throughput_1p1c/p2-ws-susp msgs/s
chan_throughput_4p4c/p2|chan_throughput_4p4c/p2 ns/msg|chan_throughput_4p4c/p2 ns/msg|chan_throughput_4p4c/p2-ws-susp ns/msg
chan_throughput_4p4c/p2|chan_throughput_4p4c/p2 msgs/s|chan_throughput_4p4c/p2 msgs/s|chan_throughput_4p4c/p2-ws-susp msgs/s
spawn_join/p1|spawn_join/p1 ns/goroutine|spawn_join/p1 ns/goroutine|spawn_join-stack16k-n100k/p1 ns/fiber
spawn_join/p2|spawn_join/p2 ns/goroutine|spawn_join/p2 ns/goroutine|-
spawn_join peak RSS/p1|spawn_join_peak_rss/p1 MB|spawn_join_peak_rss/p1 MB|-
spawn_join peak RSS/p2|spawn_join_peak_rss/p2 MB|spawn_join_peak_rss/p2 MB|-
skynet/p1|skynet/p1 ms|skynet/p1 ms|skynet_dispatch-stack16k/p1 ms
skynet/p2|skynet/p2 ms|skynet/p2 ms|-
memory_per_parked|memory_per_parked/p2 bytes/goroutine|memory_per_parked/p2 bytes/goroutine|memory_per_parked/p1 bytes/fiber
memory_per_parked (Boost 16 KiB)|memory_per_parked/p2 bytes/goroutine|memory_per_parked/p2 bytes/goroutine|memory_per_parked-stack16k/p1 bytes/fiber
select_2/p1|select_2/p1 ns/select|select_2/p1 ns/select|select_2/p1 ns/select
select_2/p2|select_2/p2 ns/select|select_2/p2 ns/select|-
yield_pingpong/p1|yield_pingpong/p1 ns/yield|-|-
yield_pingpong/p2|yield_pingpong/p2 ns/yield|-|-
'
FAILS=""
for k in "${!failed[@]}"; do FAILS+="$k=${failed[$k]};"; done

{
  echo "weft vs Go 1.19 vs Boost.Fiber 1.74 ($anchors_note; $(date -u +%FT%TZ), $(nproc) CPUs)"
  echo "anchors $((T1 - T0)) s, weft $((TW - T1)) s, Go peak RSS $((T2 - TW)) s; loadavg now" \
    "$(cut -d' ' -f1-3 /proc/loadavg); raw output: $OUT"
  echo
  cat "$OUT/anchors.out" "$OUT/go_rss.out" "$OUT/weft.out" | grep '^anchor ' |
  awk -v rows="$ROWS" -v fails="$FAILS" '
    { val[$2 "|" $3 " " $5] = $4 }
    function get(sys, key) { if (key == "-") return ""; k = sys "|" key; return (k in val) ? val[k] : "" }
    function ratio(a, b) { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) return "-";
                           return sprintf("%.2f", a / b) }
    function unit(key) { sub(/^[^ ]* /, "", key); return key }
    function bench(key) { sub(/ .*$/, "", key); return key }
    BEGIN {
      nf = split(fails, fl, ";")
      for (i = 1; i <= nf; i++) if (fl[i] != "") { split(fl[i], kv, "="); why[kv[1]] = kv[2] }
    }
    END {
      n = split(rows, r, "\n")
      fmt = "| %-32s | %-15s | %12s | %12s | %12s | %7s | %10s | %-32s |\n"
      printf fmt, "benchmark", "unit", "weft", "go", "boost", "weft/go", "weft/boost", "boost row"
      printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------", "-----------------",
             "-------------:", "-------------:", "-------------:", "--------:", "-----------:",
             "----------------------------------"
      for (i = 1; i <= n; i++) {
        if (r[i] == "") continue
        split(r[i], f, "|")
        w = get("weft", f[2]); g = get("go", f[3]); b = get("boost_fiber", f[4])
        wb = bench(f[2]); sub(/_peak_rss/, "", wb)
        wshow = w != "" ? w : ((wb in why) ? why[wb] : "missing")
        gshow = f[3] == "-" ? "-" : (g != "" ? g : "missing")
        bshow = f[4] == "-" ? "-" : (b != "" ? b : "missing")
        printf fmt, f[1], unit(f[2]), wshow, gshow, bshow, ratio(w, g), ratio(w, b),
               (f[4] == "-" ? "-" : bench(f[4]))
      }
      fl1 = get("boost_context", "context_switch_roundtrip/p1 ns/roundtrip")
      fl2 = get("machine", "page_fault_first_touch/p1 ns/page")
      print ""
      print "Boost p2 = work_stealing(2, suspend=true): in practice one thread (anchors README)."
      print "Ratios < 1: weft smaller (better for ns, ms, bytes, MB; worse for msgs/s)."
      if (fl1 != "" || fl2 != "")
        printf "Floors this run: boost::context switch A->B->A %s ns; first touch of a 4 KiB page %s ns.\n", fl1, fl2
    }'
} | tee "$OUT/table.txt"

if [[ -n "$FAILS" ]]; then
  say "weft benchmarks not measured: $FAILS (see $OUT/weft.err)"
fi
exit $status
