#!/usr/bin/env bash
# check_seam.sh: enforce the seam rule (DESIGN.md, "The seam").
#
# Nothing outside include/weft/sys* and src/sys/ may name std::atomic,
# std::thread, std::mutex, std::condition_variable, std::this_thread,
# thread_local, pthread_*, a futex system call or a clock. Production code goes
# through weft::sys so that the very same code compiles against the checker
# (WEFT_MODEL) and Relacy; one direct use makes a path invisible to them.
#
# Usage:
#   tools/check_seam.sh [ROOT]     check ROOT/include and ROOT/src (default: repo root)
#   tools/check_seam.sh --self-test
#                                  plant violations in temporary trees and check
#                                  that each is caught (CTest: seam_rule_detects_violation)
#
# A line is exempt when it carries the marker `// seam-ok` (say why next to it).
# Only code counts: text after `//` and lines inside /* ... */ blocks are skipped,
# so prose may name the forbidden things.
#
# Exit status: 0 clean, 1 violations found, 2 usage or internal error.
set -euo pipefail

# One rule per line: NAME<TAB>extended regex (GNU grep -E, \b allowed).
RULES=$(cat <<'EOF'
std-atomic	std::atomic[a-z_]*\b
std-thread	std::j?thread\b
std-this_thread	std::this_thread\b
std-mutex	std::([a-z_]*_)?mutex\b
std-condvar	std::condition_variable[a-z_]*\b
thread_local	\bthread_local\b
pthread	\bpthread_[a-z_]+[[:space:]]*\(
futex-syscall	\b(SYS_futex|__NR_futex)\b
std-clock	std::chrono::(steady|system|high_resolution)_clock\b
os-clock	\b(clock_gettime|gettimeofday|nanosleep|clock_nanosleep|usleep|sched_yield)[[:space:]]*\(
random-device	std::random_device\b|\bgetrandom[[:space:]]*\(
EOF
)

# Paths (relative to ROOT) where the rule does not apply: the seam itself.
is_exempt_path() {
  case "$1" in
    include/weft/sys.hpp | include/weft/sys/* | include/weft/sys_* | src/sys/*) return 0 ;;
    *) return 1 ;;
  esac
}

check_tree() {
  local root=$1 violations=0 files=0 f rel
  if [[ ! -d $root/include && ! -d $root/src ]]; then
    echo "check_seam: $root has neither include/ nor src/" >&2
    return 2
  fi
  while IFS= read -r -d '' f; do
    rel=${f#"$root"/}
    is_exempt_path "$rel" && continue
    files=$((files + 1))
    # Strip comments: awk keeps line numbers and blanks out comment text.
    local hits
    hits=$(awk '
      {
        line = $0; out = ""
        while (length(line) > 0) {
          if (inblock) {
            i = index(line, "*/")
            if (i == 0) { line = ""; break }
            line = substr(line, i + 2); inblock = 0
          } else {
            i = index(line, "/*"); j = index(line, "//")
            if (j > 0 && (i == 0 || j < i)) { out = out substr(line, 1, j - 1); line = ""; break }
            if (i == 0) { out = out line; line = ""; break }
            out = out substr(line, 1, i - 1); line = substr(line, i + 2); inblock = 1
          }
        }
        if ($0 ~ /seam-ok/) out = ""
        print out
      }' "$f" | grep -nE -- "$ALL" || true)
    [[ -z $hits ]] && continue
    local hit num code name re
    while IFS= read -r hit; do
      num=${hit%%:*}
      code=${hit#*:}
      while IFS=$'\t' read -r name re; do
        if grep -qE -- "$re" <<<"$code"; then
          printf '%s:%s: [%s] %s\n' "$rel" "$num" "$name" "$(sed -E 's/^[[:space:]]+//' <<<"$code")"
          violations=$((violations + 1))
        fi
      done <<<"$RULES"
    done <<<"$hits"
  done < <(find "$root/include" "$root/src" -type f \
             \( -name '*.hpp' -o -name '*.h' -o -name '*.cpp' -o -name '*.cc' \
                -o -name '*.ipp' -o -name '*.inl' -o -name '*.tpp' \) -print0 2>/dev/null | sort -z)
  if ((violations > 0)); then
    echo "seam rule: $violations violation(s). Use weft::sys (include/weft/sys.hpp) instead," \
         "or mark a deliberate exception with '// seam-ok: <reason>'." >&2
    return 1
  fi
  echo "seam rule: OK ($files files checked)"
}

ALL=$(cut -f2 <<<"$RULES" | paste -sd'|')

# ---- self-test -----------------------------------------------------------------
# Each planted line must be caught on its own, a copy of the real tree with one
# planted violation must fail, and exempt forms must pass.
self_test() {
  local repo=$1 tmp failures=0 out rc
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-seam.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN

  expect() {  # expect RC DESCRIPTION TREE [NEEDLE]
    local want=$1 what=$2 tree=$3 needle=${4:-}
    rc=0
    out=$(check_tree "$tree" 2>&1) || rc=$?
    if [[ $rc != "$want" ]] || { [[ -n $needle ]] && ! grep -qF -- "$needle" <<<"$out"; }; then
      echo "FAIL: $what: exit $rc (want $want)${needle:+, output should name $needle}"
      sed 's/^/    /' <<<"$out"
      failures=$((failures + 1))
    else
      echo "ok:   $what"
    fi
  }
  plant() {  # plant DIR RELPATH LINE...
    local dir=$1 rel=$2
    shift 2
    mkdir -p "$dir/$(dirname "$rel")"
    printf '%s\n' "// planted by check_seam.sh --self-test" "$@" >"$dir/$rel"
  }

  # 1. A copy of the real tree with one violation planted fails and names it.
  mkdir -p "$tmp/copy"
  for d in include src; do
    [[ -d $repo/$d ]] && cp -R "$repo/$d" "$tmp/copy/"
  done
  plant "$tmp/copy" src/sched/planted_violation.cpp "static thread_local int current_p;"
  expect 1 "copy of the tree with a planted thread_local" "$tmp/copy" "src/sched/planted_violation.cpp:2"

  # 2. Every rule catches its own example, in a header and in a source file.
  local i=0 line
  while IFS= read -r line; do
    i=$((i + 1))
    rm -rf "$tmp/one"
    plant "$tmp/one" "src/chan/v$i.cpp" "$line"
    expect 1 "caught: $line" "$tmp/one" "src/chan/v$i.cpp:2"
  done <<'EOF'
std::atomic<int> n{0};
std::atomic_thread_fence(std::memory_order_seq_cst);
std::atomic_flag f = ATOMIC_FLAG_INIT;
std::thread t([] {});
std::jthread t([] {});
std::this_thread::yield();
std::mutex mu;
std::shared_mutex mu;
std::recursive_mutex mu;
std::condition_variable cv;
std::condition_variable_any cv;
thread_local int x = 0;
static thread_local int x = 0;
pthread_t self = pthread_self();
int rc = pthread_mutex_lock(&m);
syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
auto t0 = std::chrono::steady_clock::now();
auto t0 = std::chrono::system_clock::now();
clock_gettime(CLOCK_MONOTONIC, &ts);
nanosleep(&ts, nullptr);
std::random_device rd;
EOF
  rm -rf "$tmp/one"
  plant "$tmp/one" include/weft/chan.hpp "  std::atomic<bool> closed_;"
  expect 1 "caught in a public header" "$tmp/one" "include/weft/chan.hpp:2"

  # 3. Exempt: the seam's own files, the marker, comments, look-alike names.
  rm -rf "$tmp/ok"
  plant "$tmp/ok" include/weft/sys.hpp "#include <weft/sys/std.hpp>  // std::atomic lives here"
  plant "$tmp/ok" include/weft/sys/std.hpp "template <class T> using atomic = std::atomic<T>;"
  plant "$tmp/ok" src/sys/std_futex.cpp "long r = syscall(SYS_futex, w, op, v, nullptr, nullptr, 0);" \
        "static thread_local void* slot;"
  plant "$tmp/ok" src/sched/ok.cpp \
    "sys::atomic<int> n{0};                 // not std::atomic: the seam's" \
    "auto t = std::chrono::steady_clock::now();  // seam-ok: test of the marker" \
    "/* a block comment naming std::mutex and thread_local" \
    "   over two lines with pthread_create( */ int after_block = 0;" \
    "std::memory_order o = std::memory_order_acquire;" \
    "std::lock_guard<sys::mutex> g(mu_); std::unique_lock<sys::mutex> l(mu_);" \
    "sys::thread t([] {}); sys::mutex m; sys::condition_variable cv;" \
    "using clock = sys::clock; auto d = std::chrono::milliseconds(5);" \
    "int my_thread_local_count = 0; weft::mutex wm;"
  expect 0 "exempt paths, // seam-ok, comments and look-alikes pass" "$tmp/ok"

  if ((failures > 0)); then
    echo "check_seam self-test: $failures failure(s)"
    return 1
  fi
  echo "check_seam self-test: all checks passed"
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  --self-test) self_test "$repo_root" ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
  "") check_tree "$repo_root" ;;
  -*) echo "check_seam: unknown option $1" >&2; exit 2 ;;
  *) check_tree "$(cd "$1" && pwd)" ;;
esac
