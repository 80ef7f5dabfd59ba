#!/usr/bin/env bash
# coverage.sh: line and branch coverage of src/ from the unit tests, the model
# suites and the property tests together (./dev coverage).
#
#   tools/coverage.sh [--check] [--no-build] [--labels REGEX]
#
# Builds everything once with gcc --coverage (-O1; the model suites are too
# slow at -O0) in build/cov, runs the CTest labels (default: unit|model|proptest),
# and writes the report with gcovr to build/coverage/:
#   index.html (+ one page per file)   summary.txt   summary.json
# The runtime is compiled twice (weft for the tests, weft_model for the model
# suites); gcovr merges both into one figure per source line.
# --check exits non-zero below the targets (90% lines, 75% branches).
# Branches that only exist for exception unwinding or that gcc proves
# unreachable are left out (--exclude-throw-branches, --exclude-unreachable-branches).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
B=build/cov
OUT=build/coverage
LABELS='^(unit|model|model-runtime|proptest)$'
CHECK=0
BUILD=1
while (($#)); do
  case $1 in
    --check) CHECK=1 ;;
    --no-build) BUILD=0 ;;
    --labels) LABELS=$2; shift ;;
    *) echo "coverage.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr is missing (apt-get install gcovr)" >&2; exit 2; }
JOBS=${WEFT_JOBS:-$(nproc)}

if ((BUILD)); then
  props=OFF
  [[ -f proptests/CMakeLists.txt ]] && props=ON
  cmake -S . -B "$B" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_ASM_COMPILER=gcc \
    -DCMAKE_BUILD_TYPE=Coverage -DCMAKE_CXX_FLAGS_COVERAGE="-O1 -g --coverage" \
    -DCMAKE_EXE_LINKER_FLAGS_COVERAGE=--coverage -DCMAKE_SHARED_LINKER_FLAGS_COVERAGE=--coverage \
    -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_MODELS=ON -DWEFT_BUILD_PROPTESTS=$props \
    -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_BENCH=OFF
  cmake --build "$B"
fi

find "$B" -name '*.gcda' -delete
rc=0
# The tests' own verdicts matter less here than what they executed; a failure is
# still reported (and makes the exit status non-zero).
ctest --test-dir "$B" -j "$JOBS" -L "$LABELS" --timeout 900 --output-on-failure || rc=$?

mkdir -p "$OUT"
gcovr --root . --object-directory "$B" --filter 'src/' \
  --exclude-throw-branches --exclude-unreachable-branches -j "$JOBS" \
  --html-details "$OUT/index.html" --txt "$OUT/summary.txt" \
  --json-summary "$OUT/summary.json" --print-summary | tee "$OUT/totals.txt"

read -r line_pct branch_pct < <(python3 - "$OUT/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["line_percent"], s["branch_percent"])
EOF
)
echo "coverage of src/: lines ${line_pct}% (target 90), branches ${branch_pct}% (target 75); report: $OUT/index.html"
if ((CHECK)); then
  python3 -c "import sys; sys.exit(0 if float('$line_pct') >= 90 and float('$branch_pct') >= 75 else 1)" ||
    { echo "coverage.sh: below target" >&2; rc=1; }
fi
exit "$rc"
