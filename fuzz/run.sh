#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...]: build the `fuzz` preset (clang++-14,
# libFuzzer, ASan, UBSan) and run each fuzz target for SECONDS (default 60)
# on its seed corpus and dictionary. `./dev fuzz [SECONDS]` runs this.
#
#   fuzz/run.sh                  every target, 60 s each
#   fuzz/run.sh 600 fuzz_select  one target, 10 minutes
#
# The committed seeds (fuzz/corpus/<target>/) are copied into a scratch corpus
# (build/fuzz/corpus/<target>/) that keeps growing from run to run; the
# committed one is never written. Every seed, regression inputs included, runs
# first. Crashes, leaks and timeouts land in build/fuzz/artifacts/<target>/;
# the script then prints the file and the command that replays it, and exits
# non-zero once all targets have run.
#
# Environment: WEFT_FUZZ_FLAGS adds libFuzzer flags (e.g. "-jobs=2 -workers=2");
# WEFT_FUZZ_NO_BUILD=1 skips the build.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"

SECONDS_EACH=${1:-60}
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || { echo "fuzz/run.sh: SECONDS must be a number, not '$SECONDS_EACH'" >&2; exit 2; }
(($# > 0)) && shift
ALL_TARGETS=(fuzz_chan_ops fuzz_select fuzz_schedule fuzz_runq)
TARGETS=("$@")
((${#TARGETS[@]} > 0)) || TARGETS=("${ALL_TARGETS[@]}")

BUILD=build/fuzz
if [[ ${WEFT_FUZZ_NO_BUILD:-0} != 1 ]]; then
  echo "==> configure and build the fuzz preset"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target "${TARGETS[@]}"
fi

# Per-input limits: the programs are small; a hang is a finding (a lost
# wakeup the deadlock detector missed), so the timeout is short.
COMMON=(-max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -max_len=512
        -print_final_stats=1)
read -r -a EXTRA <<<"${WEFT_FUZZ_FLAGS:-}"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz/run.sh: $bin not built" >&2; failed+=("$t"); continue; }
  corpus=$BUILD/corpus/$t
  artifacts=$BUILD/artifacts/$t
  log=$BUILD/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  if [[ -d fuzz/corpus/$t ]]; then
    cp -p fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  fi
  dict=()
  [[ -f fuzz/$t.dict ]] && dict=(-dict="fuzz/$t.dict")
  echo "==> $t: ${SECONDS_EACH}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs)"
  before=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  rc=0
  "$bin" "${COMMON[@]}" "${dict[@]}" "${EXTRA[@]}" -artifact_prefix="$artifacts/" \
    "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  after=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  if ((rc != 0 || after > before)); then
    failed+=("$t")
    summary+=("$(printf '%-14s FAIL  exit %d, %s executions' "$t" "$rc" "${execs:-?}")")
    echo "!! $t failed (exit $rc); the end of $log:"
    tail -n 40 "$log" | sed 's/^/   /'
    newest=$(ls -t "$artifacts" 2>/dev/null | head -n1 || true)
    if [[ -n $newest ]]; then
      echo "!! input: $artifacts/$newest"
      echo "!! replay: $bin $artifacts/$newest"
      echo "!!   (if it passes alone, it needs state an earlier input left: $bin -runs=2 <input>;"
      echo "!!    a schedule-dependent one on the real runtime: $bin -runs=100 <input>)"
      echo "!! keep it as a regression input: cp $artifacts/$newest fuzz/corpus/$t/regression-<what>"
    fi
  else
    summary+=("$(printf '%-14s ok    %s executions, %s exec/s, corpus %d' "$t" "${execs:-?}" \
                 "${rate:-?}" "$(find "$corpus" -type f | wc -l)")")
  fi
done

echo "==> fuzz summary (${SECONDS_EACH}s each; logs in $BUILD/logs/)"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz/run.sh: findings or failures in: ${failed[*]}" >&2
  exit 1
fi
