// check.cpp: weft::model::check(), the driver: options and environment
// overrides, the loop over executions for each strategy, the progress line,
// and turning a failure into a result (replaying it once with tracing on:
// the trace, and a check that the failure reproduces).
//
// Environment (when options::environment):
//   WEFT_MODEL_STRATEGY=exhaustive|random|pct|fuzz|graph   WEFT_MODEL_SEED=n
//   WEFT_MODEL_MAX_PREEMPTIONS=n (-1 unbounded)      WEFT_MODEL_ITERATIONS=n
//   WEFT_MODEL_REPLAY=<token>                        WEFT_MODEL_SHARD=i/n
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "model/graph.hpp"

namespace weft::model {

namespace {

using detail::engine;

double seconds_since(
    std::chrono::steady_clock::time_point t0) {  // seam-ok: the checker's own progress timing
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();  // seam-ok
}

void apply_environment(options& o) {
  if (const char* s = std::getenv("WEFT_MODEL_STRATEGY")) {
    if (!std::strcmp(s, "exhaustive"))
      o.search = strategy::exhaustive;
    else if (!std::strcmp(s, "random"))
      o.search = strategy::random;
    else if (!std::strcmp(s, "pct"))
      o.search = strategy::pct;
    else if (!std::strcmp(s, "fuzz"))
      o.search = strategy::fuzz;
    else if (!std::strcmp(s, "graph"))
      o.search = strategy::graph;
    else
      std::fprintf(stderr, "weft::model: ignoring WEFT_MODEL_STRATEGY=%s\n", s);
  }
  if (const char* s = std::getenv("WEFT_MODEL_MAX_PREEMPTIONS")) o.max_preemptions = std::atoi(s);
  if (const char* s = std::getenv("WEFT_MODEL_ITERATIONS"))
    o.iterations = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("WEFT_MODEL_SEED")) o.seed = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("WEFT_MODEL_REPLAY")) o.replay = s;
  if (const char* s = std::getenv("WEFT_MODEL_SHARD")) {
    unsigned i = 0, n = 1;
    if (std::sscanf(s, "%u/%u", &i, &n) == 2 && n > 0 && i < n) {
      o.shard_index = i;
      o.shard_count = n;
    } else {
      std::fprintf(stderr, "weft::model: ignoring WEFT_MODEL_SHARD=%s (want i/n)\n", s);
    }
  }
}

const char* strategy_name(strategy s) {
  switch (s) {
    case strategy::exhaustive:
      return "exhaustive";
    case strategy::random:
      return "random";
    case strategy::pct:
      return "pct";
    case strategy::fuzz:
      return "fuzz";
    case strategy::graph:
      return "graph";
  }
  return "?";
}

// abort() in a model thread (a failed assert(), std::terminate) fails the
// execution instead of the process. abort() raises SIGABRT synchronously on
// the model thread's stack, so the handler can leave it for check()'s
// context like any other failure; it never returns into abort().
struct sigaction g_previous_abort;

void on_abort(int sig) {
  if (detail::g && rt::active()) {
    const detail::mthread& t = detail::me();
    detail::g->fail("abort", "abort() called in thread " + std::to_string(t.id) +
                                 " (last scheduling point at " + detail::g->where(t.file, t.line) +
                                 ")");
  }
  sigaction(sig, &g_previous_abort, nullptr);
  raise(sig);
}

void seed_execution(engine& e, std::uint64_t n) {
  e.rng = e.opt.seed * 0x9e3779b97f4a7c15ULL + n * 0xbf58476d1ce4e5b9ULL + 1;
  if (e.opt.search == strategy::pct) {
    e.pct_changes.clear();
    for (int i = 1; i < e.opt.pct_depth; ++i) e.pct_changes.push_back(1 + e.random() % e.pct_k);
  }
}

}  // namespace

result check(const options& given, std::function<void()> body) {
  options o = given;
  if (o.environment) apply_environment(o);
  if (o.history < 4) o.history = 4;
  // Shards split the tree at its first branching schedule point, which
  // needs the tree to be the same in every shard: DPOR's backtrack sets come
  // from the subtrees another shard explores, so sharding searches plainly.
  if (o.shard_count > 1) o.dpor = false;
  if (detail::g) {
    std::fprintf(stderr, "weft::model: check() called inside check()\n");
    std::abort();
  }
  engine e;
  e.opt = o;
  e.body = &body;
  e.threads.resize(detail::kMaxThreads);
  e.objs.reserve(64);
  detail::g = &e;
  struct sigaction sa {};
  sa.sa_handler = on_abort;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NODEFER;  // a later execution may abort again
  sigaction(SIGABRT, &sa, &g_previous_abort);
  detail::alloc_mark_checker_thread(true);

  result r;
  auto t0 = std::chrono::steady_clock::now();  // seam-ok: progress timing
  double next_progress = 2.0;
  auto progress = [&](std::uint64_t n) {
    if (!o.progress || (n & 63) != 0) return;
    double s = seconds_since(t0);
    if (s < next_progress) return;
    next_progress = s + 2.0;
    std::fprintf(stderr, "weft::model: %s: %llu executions, %.0f/s, depth %llu, path %zu\n",
                 strategy_name(o.search), static_cast<unsigned long long>(n), n / s,
                 static_cast<unsigned long long>(e.max_depth), e.path.size());
  };

  std::uint64_t n = 0;
  detail::graph_search gs(e);
  if (!o.replay.empty()) {
    if (!detail::decode_choices(o.replay, e.replay)) {
      std::fprintf(stderr, "weft::model: bad replay token\n");
      std::abort();
    }
    if (gs.load(e.replay)) {  // a graph's token (whatever the strategy asked for)
      gs.replay_only = true;
      e.gsearch = &gs;
    }
    e.replaying = true;
    e.run_execution();
    n = 1;
  } else {
    switch (o.search) {
      case strategy::exhaustive:
        for (;;) {
          e.run_execution();
          ++n;
          if (e.redundant) ++e.blocked_executions;
          if (e.failed && !e.shard_empty) break;
          if (e.shard_empty || !e.advance()) {
            r.complete = true;
            e.failed = false;
            break;
          }
          if (o.max_executions && n >= o.max_executions) break;
          progress(n);
        }
        break;
      case strategy::random:
      case strategy::pct:
        for (std::uint64_t i = 0; i < o.iterations; ++i) {
          seed_execution(e, i);
          e.run_execution();
          ++n;
          if (e.steps > e.pct_k) e.pct_k = e.steps;
          if (e.failed) break;
          progress(n);
        }
        break;
      case strategy::fuzz:
        e.run_execution();
        n = 1;
        break;
      case strategy::graph:
        if (o.shard_count > 1)
          std::fprintf(stderr,
                       "weft::model: strategy::graph does not shard: WEFT_MODEL_SHARD ignored, "
                       "this job searches everything\n");
        e.gsearch = &gs;
        while (gs.pop()) {
          e.run_execution();
          ++n;
          if (e.failed) break;
          if (o.max_executions && n >= o.max_executions) break;
          progress(n);
        }
        if (!e.failed && !gs.pending()) r.complete = true;
        break;
    }
  }
  r.executions = n;
  r.max_depth = e.max_depth;

  if (e.failed) {
    r.ok = false;
    r.failure = e.failure;
    r.message = e.message;
    r.failing_execution = n;
    std::vector<std::uint32_t> choices = e.gsearch ? gs.encode() : e.log;
    r.replay = detail::encode_choices(choices);
    // Replay once with tracing on: the trace, and proof that it reproduces.
    std::string kind = e.failure, msg = e.message;
    e.replay = choices;
    e.replaying = true;
    e.tracing = true;
    if (e.gsearch) {
      gs.load(choices);
      gs.replay_only = true;
    }
    e.run_execution();
    char head[256];
    std::snprintf(head, sizeof head,
                  "execution %llu (%s search), %llu steps; WEFT_MODEL_REPLAY=%s\n",
                  static_cast<unsigned long long>(n), strategy_name(o.search),
                  static_cast<unsigned long long>(e.steps),
                  r.replay.size() < 120 ? r.replay.c_str() : "<see result.replay>");
    r.trace = head + e.trace;
    // Legend: what each object number is.
    std::string legend;
    for (std::uint32_t i = 0; i < e.nobjs; ++i) {
      static const char* kinds[] = {"atomic", "cell", "mutex", "condition_variable"};
      legend += "  #" + std::to_string(i) + " " + kinds[static_cast<int>(e.objs[i].kind)] +
                " first used at " + e.where(e.objs[i].file, e.objs[i].line) + "\n";
    }
    if (!legend.empty()) r.trace += "objects:\n" + legend;
    if (!e.failed || e.failure != kind || e.message != msg) {
      r.trace += "replaying the failure did not reproduce it: " +
                 (e.failed ? e.failure + ": " + e.message : std::string("no failure")) + "\n";
      r.failure = "nondeterminism";
      r.message = "the failing schedule does not reproduce (" + kind + ": " + msg +
                  "); the body depends on something the checker does not control";
    }
  }
  r.seconds = seconds_since(t0);
  if (o.progress && r.seconds > 2.0)
    std::fprintf(stderr,
                 "weft::model: %s: %llu executions (%llu sleep-set blocked) in %.1f s (%.0f/s), "
                 "max depth %llu: %s\n",
                 strategy_name(o.search), static_cast<unsigned long long>(n),
                 static_cast<unsigned long long>(e.blocked_executions), r.seconds, n / r.seconds,
                 static_cast<unsigned long long>(e.max_depth),
                 r.ok ? (r.complete ? "ok, complete" : "ok") : r.failure.c_str());

  e.gsearch = nullptr;
  for (auto& t : e.threads) detail::stack_unmap(t.stack);
  sigaction(SIGABRT, &g_previous_abort, nullptr);
  detail::alloc_mark_checker_thread(false);
  detail::g = nullptr;
  return r;
}

result check(std::function<void()> body) { return check(options{}, std::move(body)); }

std::string describe(const result& r) {
  std::string s;
  if (r.ok) {
    s = "ok: " + std::to_string(r.executions) + " executions" + (r.complete ? " (complete)" : "");
    return s;
  }
  s = r.failure + ": " + r.message + "\nfound after " + std::to_string(r.executions) +
      " executions\nWEFT_MODEL_REPLAY=" + r.replay + "\n" + r.trace;
  return s;
}

std::ostream& operator<<(std::ostream& os, const result& r) { return os << describe(r); }

}  // namespace weft::model
