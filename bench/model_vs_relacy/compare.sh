#!/usr/bin/env bash
# compare.sh: one run of the side-by-side, in the build directory of
# bench/model_vs_relacy. Prints, per variant and scheduler, the executions up
# to the first failure (or the whole search for the correct deque) and the
# executions per second. Usage: ./compare.sh [SEEDS]   (random/pct seeds for weft)
set -euo pipefail
cd "$(dirname "$0")"
seeds=${1:-20}
printf '%-6s %-22s %-8s %-8s %10s %8s %10s\n' tool variant sched result executions cpu-s exec/s
for v in none push_no_release_fence pop_no_sc_fence steal_no_sc_fence steal_bottom_relaxed; do
  if [[ -x ./chase_lev_relacy ]]; then
    ./chase_lev_relacy "$v" random 200000
    ./chase_lev_relacy "$v" bound1
    ./chase_lev_relacy "$v" bound2
    [[ $v == none ]] && ./chase_lev_relacy "$v" bound3
    # Relacy's search without a bound, for the correct deque: stopped at 120 s.
    [[ $v == none ]] && { timeout 120 ./chase_lev_relacy "$v" full ||
      printf '%-6s %-22s %-8s %-8s\n' relacy "$v" full 'no end in 120 s'; }
  fi
  ./chase_lev_weft "$v" random 200000 "$seeds"
  ./chase_lev_weft "$v" pct 200000 "$seeds"
  ./chase_lev_weft "$v" bound1
  ./chase_lev_weft "$v" bound2
  [[ $v == none ]] && ./chase_lev_weft "$v" bound3
  ./chase_lev_weft "$v" graph
  echo
done
