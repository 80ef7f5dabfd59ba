// anchors.cpp: weft's side of the performance anchors.
//
// The anchors (../shared/anchors: go/main.go, boost_fiber/bench.cpp, README.md)
// measure Go 1.19 and Boost.Fiber 1.74 on this machine. This program measures
// weft with the same definitions, sizes and method, so that bench/compare.sh
// can print weft/Go and weft/Boost ratios from one back-to-back run:
//
//   * one warm-up run at 1/10 size (select_2: 1/4, as go/main.go does; none
//     for memory_per_parked), then `-reps` (5) measured repetitions in the
//     same process; the median goes to stdout, per-rep values and the spread
//     (max - min) / median to stderr;
//   * timing with std::chrono::steady_clock around exactly the window the
//     anchor times;
//   * every result is verified (v == N, sums, skynet's 499999500000); a wrong
//     result ends the program with exit status 1. Nothing here asserts on time.
//
// Each benchmark runs inside one weft::run() with config.procs = -procs
// (Go's GOMAXPROCS). memory_per_parked forks a fresh child per repetition
// (runtimes keep freed stacks), before the parent has started any runtime.
//
// Usage: weft_anchor_bench [-bench NAME] [-procs N] [-reps R] [-smoke]
//   NAME: pingpong_unbuffered, chan_throughput_1p1c, chan_throughput_4p4c,
//         spawn_join, skynet, memory_per_parked, select_2, yield_pingpong,
//         or all (the default: every one in turn, one weft::run() each)
//   -procs: default = the CPUs of the machine
//   -smoke: sizes / 100 and 1 repetition; for a quick correctness run
// stdout: anchor weft <benchmark>/p<N> <value> <unit>
// stderr: # weft <benchmark>/p<N> <unit> reps(sorted)=[...] spread=X%
//
// Extra lines beyond the anchors: spawn_join_peak_rss (VmHWM of the process
// after spawn_join's warm-up and repetitions, MB = 10^6 bytes; the goal is
// <= 150 MB) and yield_pingpong (two goroutines each calling weft::yield() N
// times; ns per yield; Go and Boost have no such anchor).
#include <weft/weft.hpp>

#if __has_include(<weft/chan.hpp>)
#include <weft/chan.hpp>
#define WEFT_BENCH_HAVE_CHAN 1
#else
#define WEFT_BENCH_HAVE_CHAN 0
#endif
#if WEFT_BENCH_HAVE_CHAN && __has_include(<weft/select.hpp>)
#include <weft/select.hpp>
#define WEFT_BENCH_HAVE_SELECT 1
#else
#define WEFT_BENCH_HAVE_SELECT 0
#endif

#include <malloc.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

struct options {
  std::string bench;
  unsigned procs = 0;
  int reps = 5;
  bool smoke = false;
};
options g_opt;
std::string g_current = "?";  // the benchmark running, for failure messages

// A wrong result: say so loudly and exit 1. _Exit, not exit: other
// goroutines may still be running on other threads, and static destructors
// must not race with them.
[[noreturn]] __attribute__((format(printf, 1, 2))) void fail(const char* fmt, ...) {
  std::fflush(stdout);
  std::fprintf(stderr, "weft_anchor_bench: %s: FAILED: ", g_current.c_str());
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::_Exit(1);
}

double secs(clk::time_point a, clk::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string fmt_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, v >= 1e6 ? "%.0f" : "%.1f", v);
  return buf;
}

std::string full_name(const std::string& bench) {
  return bench + "/p" + std::to_string(g_opt.procs);
}

// Same shape as the anchors' report(): median on stdout, reps on stderr.
void report(const std::string& bench, const char* unit, std::vector<double> v) {
  double m = median(v);
  std::sort(v.begin(), v.end());
  std::string name = full_name(bench);
  std::fprintf(stderr, "# weft %s %s reps(sorted)=[", name.c_str(), unit);
  for (std::size_t i = 0; i < v.size(); ++i)
    std::fprintf(stderr, "%s%s", i ? " " : "", fmt_num(v[i]).c_str());
  std::fprintf(stderr, "] spread=%.1f%%\n", m > 0 ? 100 * (v.back() - v.front()) / m : 0.0);
  std::printf("anchor weft %s %s %s\n", name.c_str(), fmt_num(m).c_str(), unit);
  std::fflush(stdout);
  std::fflush(stderr);
}

// A field of /proc/self/status in bytes (VmRSS, VmHWM), -1 if absent.
long long proc_status_bytes(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  std::size_t klen = std::strlen(key);
  long long out = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, klen) == 0 && line[klen] == ':') {
      out = std::atoll(line + klen + 1) * 1024;
      break;
    }
  }
  std::fclose(f);
  return out;
}

// Runs body as the main goroutine of a runtime with -procs processors.
template <class F>
void in_runtime(F&& body) {
  weft::config c;
  c.procs = g_opt.procs;
  weft::exit_status st = weft::run(c, std::forward<F>(body));
  if (st != weft::exit_status::ok) fail("weft::run returned %d", static_cast<int>(st));
}

long sized(long n) { return g_opt.smoke ? n / 100 : n; }

// Warm-up once at n / warm_div, then g_opt.reps measured runs of one(n).
template <class F>
std::vector<double> repeat(long n, long warm_div, F&& one) {
  if (warm_div > 0) one(n / warm_div);
  std::vector<double> v;
  for (int r = 0; r < g_opt.reps; ++r) v.push_back(one(n));
  return v;
}

// ---- 3. spawn_join ----------------------------------------------------------
// wg.add(N); N times go(wg.done); wg.wait(). Timed around the whole thing.
double spawn_join(long n) {
  weft::wait_group wg;
  auto t0 = clk::now();
  wg.add(static_cast<int>(n));
  for (long i = 0; i < n; ++i) weft::go([&wg] { wg.done(); });
  wg.wait();
  auto t1 = clk::now();
  return secs(t0, t1);
}

void bench_spawn_join() {
  const long n = sized(1000000);
  std::vector<double> v;
  in_runtime([&] { v = repeat(n, 10, [](long k) { return spawn_join(k) * 1e9 / k; }); });
  report("spawn_join", "ns/goroutine", v);
  // VmHWM: the peak over warm-up and all repetitions (the process is fresh).
  long long hwm = proc_status_bytes("VmHWM");
  std::printf("anchor weft %s %.1f MB\n", full_name("spawn_join_peak_rss").c_str(), hwm / 1e6);
  std::fflush(stdout);
}

// ---- yield_pingpong (no anchor) --------------------------------------------
// The main goroutine and one partner each call weft::yield() n times; timed
// from before main's first yield until both are done (partner spawn
// excluded). With one processor the two strictly alternate.
double yield_pingpong(long n) {
  weft::wait_group done;
  done.add(1);
  weft::go([n, &done] {
    for (long i = 0; i < n; ++i) weft::yield();
    done.done();
  });
  auto t0 = clk::now();
  for (long i = 0; i < n; ++i) weft::yield();
  done.wait();
  auto t1 = clk::now();
  return secs(t0, t1);
}

void bench_yield_pingpong() {
  const long n = sized(1000000);
  std::vector<double> v;
  in_runtime(
      [&] { v = repeat(n, 10, [](long k) { return yield_pingpong(k) * 1e9 / (2.0 * k); }); });
  report("yield_pingpong", "ns/yield", v);
}

#if WEFT_BENCH_HAVE_CHAN

// ---- 1. pingpong_unbuffered -------------------------------------------------
// Main: for i < N { a <- v; v = <-b }; partner: for v := range a { b <- v+1 }.
// Timed from before the first send to after the last receive.
double pingpong(long n) {
  weft::chan<long> a(std::size_t{0});
  weft::chan<long> b(std::size_t{0});
  weft::wait_group partner_done;
  partner_done.add(1);
  weft::go([a, b, &partner_done]() mutable {
    for (long v : a) b.send(v + 1);
    partner_done.done();
  });
  auto t0 = clk::now();
  long v = 0;
  for (long i = 0; i < n; ++i) {
    a.send(v);
    std::optional<long> r = b.recv();
    if (!r) fail("b closed");
    v = *r;
  }
  auto t1 = clk::now();
  a.close();
  partner_done.wait();  // outside the timer: the next repetition starts clean
  if (v != n) fail("v = %ld, want %ld", v, n);
  return secs(t0, t1);
}

void bench_pingpong() {
  const long n = sized(500000);
  std::vector<double> v;
  in_runtime([&] { v = repeat(n, 10, [](long k) { return pingpong(k) * 1e9 / k; }); });
  report("pingpong_unbuffered", "ns/roundtrip", v);
}

// ---- 2. chan_throughput -----------------------------------------------------
// One chan(1024); np producers each send 0..n/np-1; nc consumers each
// receive n/nc values and sum them. Timed from before the first spawn until
// the main goroutine's wg.wait() returns.
double throughput(int np, int nc, long n) {
  weft::chan<long> ch(1024);
  weft::wait_group wg;
  std::vector<long> sums(static_cast<std::size_t>(nc), 0);
  auto t0 = clk::now();
  wg.add(np + nc);
  for (int p = 0; p < np; ++p) {
    weft::go([ch, n, np, &wg]() mutable {
      for (long i = 0; i < n / np; ++i) ch.send(i);
      wg.done();
    });
  }
  for (int c = 0; c < nc; ++c) {
    weft::go([ch, n, nc, c, &sums, &wg]() mutable {
      long s = 0;
      for (long i = 0; i < n / nc; ++i) {
        std::optional<long> v = ch.recv();
        if (!v) fail("channel closed early");
        s += *v;
      }
      sums[static_cast<std::size_t>(c)] = s;
      wg.done();
    });
  }
  wg.wait();
  auto t1 = clk::now();
  long total = 0;
  for (long s : sums) total += s;
  const long per = n / np;
  if (total != np * per * (per - 1) / 2)
    fail("sum = %ld, want %ld", total, np * per * (per - 1) / 2);
  return secs(t0, t1);
}

void bench_throughput(int k) {
  const long n = sized(10000000);
  std::vector<double> ns, rate;
  in_runtime([&] {
    throughput(k, k, n / 10);
    for (int r = 0; r < g_opt.reps; ++r) {
      double s = throughput(k, k, n);
      ns.push_back(s * 1e9 / n);
      rate.push_back(n / s);
    }
  });
  std::string name = k == 1 ? "chan_throughput_1p1c" : "chan_throughput_4p4c";
  report(name, "ns/msg", ns);
  report(name, "msgs/s", rate);
}

// ---- 4. skynet --------------------------------------------------------------
// node(num, size) spawns 10 children node(num + i*size/10, size/10) reporting
// on its own unbuffered channel, sums their 10 values and sends the sum up.
void skynet(weft::chan<long> c, long num, long size, long div) {
  if (size == 1) {
    c.send(num);
    return;
  }
  weft::chan<long> rc(std::size_t{0});
  for (long i = 0; i < div; ++i) weft::go(&skynet, rc, num + i * (size / div), size / div, div);
  long sum = 0;
  for (long i = 0; i < div; ++i) {
    std::optional<long> v = rc.recv();
    if (!v) fail("skynet: channel closed");
    sum += *v;
  }
  c.send(sum);
}

// Timed from before spawning the root to receiving its result.
double skynet_run(long size) {
  auto t0 = clk::now();
  weft::chan<long> c(std::size_t{0});
  weft::go(&skynet, c, 0L, size, 10L);
  std::optional<long> r = c.recv();
  auto t1 = clk::now();
  if (!r || *r != size * (size - 1) / 2)
    fail("result %ld, want %ld", r ? *r : -1L, size * (size - 1) / 2);
  return secs(t0, t1);
}

void bench_skynet() {
  const long size = sized(1000000);
  std::vector<double> v;
  in_runtime([&] { v = repeat(size, 10, [](long k) { return skynet_run(k) * 1e3; }); });
  report("skynet", "ms", v);
}

// ---- 5. memory_per_parked ---------------------------------------------------
// In a fresh (forked) process: one unbuffered channel; VmRSS; spawn n
// goroutines each doing started.done(); <-ch; done.done(); started.wait();
// sleep 20 ms; VmRSS again; (after - before) / n. close(ch) then releases
// them.
double mem_parked_child(long n) {
  double result = -1;
  in_runtime([&] {
    weft::chan<int> ch(std::size_t{0});
    weft::wait_group started, done;
    started.add(static_cast<int>(n));
    done.add(static_cast<int>(n));
    malloc_trim(0);  // the nearest thing to Go's GC + FreeOSMemory
    long long before = proc_status_bytes("VmRSS");
    for (long i = 0; i < n; ++i) {
      weft::go([ch, &started, &done]() mutable {
        started.done();
        std::optional<int> v = ch.recv();
        if (v) fail("received a value from a channel nobody sends on");
        done.done();
      });
    }
    started.wait();
    weft::sleep_for(std::chrono::milliseconds(20));  // let stragglers reach <-ch
    long long after = proc_status_bytes("VmRSS");
    ch.close();
    done.wait();
    result = static_cast<double>(after - before) / static_cast<double>(n);
  });
  return result;
}

double mem_parked_forked(long n) {
  std::fflush(stdout);
  std::fflush(stderr);
  int fd[2];
  if (pipe(fd) != 0) fail("pipe: %s", std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    close(fd[0]);
    double x = mem_parked_child(n);
    if (write(fd[1], &x, sizeof x) != static_cast<ssize_t>(sizeof x)) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  double x = -1;
  ssize_t got = read(fd[0], &x, sizeof x);
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (got != static_cast<ssize_t>(sizeof x) || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail("child failed (status 0x%x)", st);
  return x;
}

void bench_memory_per_parked() {
  const long n = sized(100000);
  std::vector<double> v;
  for (int r = 0; r < g_opt.reps; ++r) v.push_back(mem_parked_forked(n));
  report("memory_per_parked", "bytes/goroutine", v);
}

#endif  // WEFT_BENCH_HAVE_CHAN

#if WEFT_BENCH_HAVE_SELECT

// ---- 6. select_2 ------------------------------------------------------------
// One goroutine; two chan(n) pre-filled with n values each (outside the
// timer); n selects with two always-ready receive cases.
double select2(long n) {
  weft::chan<long> c1(static_cast<std::size_t>(n));
  weft::chan<long> c2(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) {
    c1.send(i);
    c2.send(i);
  }
  long s = 0;
  long got = 0;
  auto take = [&](std::optional<long> v) {
    if (v) {
      s += *v;
      ++got;
    }
  };
  auto t0 = clk::now();
  for (long i = 0; i < n; ++i) weft::select(weft::on_recv(c1, take), weft::on_recv(c2, take));
  auto t1 = clk::now();
  if (got != n) fail("%ld values received, want %ld", got, n);
  if (static_cast<long>(c1.size() + c2.size()) != n)
    fail("%zu values left, want %ld", c1.size() + c2.size(), n);
  if (s < 0) fail("negative sum");
  return secs(t0, t1);
}

void bench_select_2() {
  const long n = g_opt.smoke ? (1L << 14) : (1L << 20);
  std::vector<double> v;
  in_runtime([&] {
    // Warm-up at n / 4, as go/main.go does (README says 1/10).
    v = repeat(n, 4, [](long k) { return select2(k) * 1e9 / k; });
  });
  report("select_2", "ns/select", v);
}

#endif  // WEFT_BENCH_HAVE_SELECT

struct entry {
  const char* name;
  std::function<void()> fn;  // empty: not built (header missing)
  const char* missing;
};

std::vector<entry> benchmarks() {
  std::vector<entry> out;
  // Order matters for `-bench all`: memory_per_parked first, because it
  // forks and must do so before any weft::run() has started threads in this
  // process; spawn_join next, so that its VmHWM (peak RSS) is not raised by
  // the other benchmarks (the forked children do not count).
#if WEFT_BENCH_HAVE_CHAN
  out.push_back({"memory_per_parked", bench_memory_per_parked, nullptr});
#else
  out.push_back({"memory_per_parked", nullptr, "<weft/chan.hpp>"});
#endif
  out.push_back({"spawn_join", bench_spawn_join, nullptr});
#if WEFT_BENCH_HAVE_CHAN
  out.push_back({"pingpong_unbuffered", bench_pingpong, nullptr});
  out.push_back({"chan_throughput_1p1c", [] { bench_throughput(1); }, nullptr});
  out.push_back({"chan_throughput_4p4c", [] { bench_throughput(4); }, nullptr});
  out.push_back({"skynet", bench_skynet, nullptr});
#else
  for (const char* n :
       {"pingpong_unbuffered", "chan_throughput_1p1c", "chan_throughput_4p4c", "skynet"})
    out.push_back({n, nullptr, "<weft/chan.hpp>"});
#endif
#if WEFT_BENCH_HAVE_SELECT
  out.push_back({"select_2", bench_select_2, nullptr});
#else
  out.push_back({"select_2", nullptr, "<weft/select.hpp>"});
#endif
  out.push_back({"yield_pingpong", bench_yield_pingpong, nullptr});
  return out;
}

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "weft_anchor_bench: %s\n", msg);
  std::fprintf(stderr,
               "usage: weft_anchor_bench [-bench NAME|all] [-procs N] [-reps R] [-smoke]\n"
               "benchmarks:");
  for (const entry& e : benchmarks())
    std::fprintf(stderr, " %s%s", e.name, e.fn ? "" : "(not built)");
  std::fputc('\n', stderr);
  std::exit(2);
}

void parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    // `./dev bench ARGS` passes its ARGS to every benchmark binary: leave
    // Google Benchmark's own flags to weft_gbench.
    if (a.rfind("--benchmark_", 0) == 0) continue;
    if (a.rfind("--", 0) == 0) a.erase(0, 1);  // accept --bench as well as -bench
    std::string val;
    bool has_eq = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      val = a.substr(eq + 1);
      a.erase(eq);
      has_eq = true;
    }
    auto value = [&]() -> std::string {
      if (has_eq) return val;
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "-bench") {
      g_opt.bench = value();
    } else if (a == "-procs") {
      int p = std::atoi(value().c_str());
      if (p < 1) usage("-procs must be >= 1");
      g_opt.procs = static_cast<unsigned>(p);
    } else if (a == "-reps") {
      g_opt.reps = std::atoi(value().c_str());
      if (g_opt.reps < 1) usage("-reps must be >= 1");
    } else if (a == "-smoke") {
      g_opt.smoke = true;
    } else if (a == "-h" || a == "-help") {
      usage(nullptr);
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  if (g_opt.bench.empty()) g_opt.bench = "all";  // no arguments: everything (`./dev bench`)
  if (g_opt.procs == 0) g_opt.procs = std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

int main(int argc, char** argv) {
  bool reps_given = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "-reps", 5) == 0 || std::strncmp(argv[i], "--reps", 6) == 0)
      reps_given = true;
  parse(argc, argv);
  if (g_opt.smoke && !reps_given) g_opt.reps = 1;

  std::vector<entry> all = benchmarks();
  bool ran = false;
  int not_built = 0;
  for (const entry& e : all) {
    if (g_opt.bench != "all" && g_opt.bench != e.name) continue;
    ran = true;
    g_current = full_name(e.name);
    if (!e.fn) {
      std::fprintf(stderr, "# weft %s: not built (%s was missing at compile time)\n",
                   g_current.c_str(), e.missing);
      ++not_built;
      continue;
    }
    auto t0 = clk::now();
    e.fn();
    std::fprintf(stderr, "# weft %s: %.1f s, VmHWM %.1f MB\n", g_current.c_str(),
                 secs(t0, clk::now()), proc_status_bytes("VmHWM") / 1e6);
  }
  if (!ran) usage(("unknown benchmark " + g_opt.bench).c_str());
  // A single named benchmark that is not built is an error; `all` skips it.
  if (g_opt.bench != "all" && not_built) return 3;
  return 0;
}
