#!/bin/bash -eu
# build.sh: builds weft's fuzz targets the way OSS-Fuzz and ClusterFuzzLite
# expect (this same file serves as OSS-Fuzz's projects/weft/build.sh).
#
# Input (set by the infrastructure): CC, CXX, CFLAGS, CXXFLAGS (the
# sanitizers and -fsanitize=fuzzer-no-link), LIB_FUZZING_ENGINE, OUT, SRC,
# WORK. Output in $OUT: the four targets, <target>_seed_corpus.zip from
# fuzz/corpus/<target>/, <target>.dict where fuzz/ has one, and
# <target>.options (libFuzzer's max_len and timeout).
#
# By hand, from the repository root (clang 14 here):
#   CC=clang-14 CXX=clang++-14 CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/fuzzout SRC=.. WORK=/tmp/fuzzwork .clusterfuzzlite/build.sh
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?OUT must name the output directory}"

# The source tree: the current directory when it is weft's (ClusterFuzzLite's
# WORKDIR, or a run by hand), else $SRC/weft (OSS-Fuzz), else next to this file.
if [[ -f CMakeLists.txt && -f fuzz/CMakeLists.txt ]]; then
  ROOT=$PWD
elif [[ -n ${SRC:-} && -f $SRC/weft/fuzz/CMakeLists.txt ]]; then
  ROOT=$SRC/weft
else
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
BUILD=${WORK:-/tmp}/weft-fuzz-build
TARGETS=(fuzz_chan_ops fuzz_select fuzz_schedule fuzz_runq)

# The runtime relies on unsigned wrap-around (ring indices, tickets), which is
# defined behaviour; OSS-Fuzz's UBSan flag set may include the
# unsigned-integer-overflow check, so it is taken out again.
if [[ ${SANITIZER:-} == undefined || $CXXFLAGS == *unsigned-integer-overflow* ]]; then
  CXXFLAGS="$CXXFLAGS -fno-sanitize=unsigned-integer-overflow"
fi

GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

# No CMAKE_BUILD_TYPE: the optimisation and debug flags are the
# infrastructure's ($CXXFLAGS). The assembler (the context switch) gets no
# sanitizer flags; it has nothing to instrument.
cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_ASM_COMPILER="$CC" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_ASM_FLAGS= \
  -DWEFT_BUILD_FUZZ=ON -DWEFT_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_MODEL_LIB=ON
cmake --build "$BUILD" --target "${TARGETS[@]}" -j"${WEFT_FUZZ_BUILD_JOBS:-$(nproc)}"

mkdir -p "$OUT"
for t in "${TARGETS[@]}"; do
  cp "$BUILD/fuzz/$t" "$OUT/$t"
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [[ -d $ROOT/fuzz/corpus/$t ]]; then
    (cd "$ROOT/fuzz/corpus/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  fi
  if [[ -f $ROOT/fuzz/$t.dict ]]; then
    cp "$ROOT/fuzz/$t.dict" "$OUT/$t.dict"
  fi
  {
    echo "[libfuzzer]"
    echo "max_len = 512"
    echo "timeout = 30"
  } >"$OUT/$t.options"
done
echo "build.sh: ${TARGETS[*]} in $OUT"
