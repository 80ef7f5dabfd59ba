// control_test.cpp: how check() is driven and what it reports
// (docs/model-checking.md, "Options and environment variables", "Replaying"):
// the WEFT_MODEL_* overrides, valid and invalid; replay tokens, including
// ones that do not fit the body; nondeterministic bodies; shards; the
// describe() text; the progress line; and the options that change the
// modelled semantics (mo_choices, spurious_cas_failures, max_executions).
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <weft/model.hpp>
#include <weft/sys.hpp>

#include "model_test.hpp"

namespace {

using namespace weft;
namespace m = weft::model;
using std::memory_order_relaxed;

m::options quiet() {
  m::options o;
  o.environment = false;
  o.progress = false;
  return o;
}

// Honours the environment (and nothing else differs from quiet()).
m::options from_env() {
  m::options o = quiet();
  o.environment = true;
  return o;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Sets an environment variable for one scope and puts the old value back.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~scoped_env() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Two threads increment a counter with a seq_cst load and store: the update
// is lost only if one is preempted between its load and its store.
void lost_update() {
  sys::atomic<int> x{0};
  auto inc = [&] { x.store(x.load() + 1); };
  sys::thread a(inc), b(inc);
  a.join();
  b.join();
  WEFT_MODEL_ASSERT(x.load() == 2);
}

// A correct body with more than one execution.
void two_writers() {
  sys::atomic<int> x{0};
  sys::thread a([&] { x.store(1, memory_order_relaxed); });
  x.store(2, memory_order_relaxed);
  a.join();
  int v = x.load(memory_order_relaxed);
  WEFT_MODEL_ASSERT(v == 1 || v == 2);
}

// ---- environment overrides --------------------------------------------------
TEST(ModelControl, EnvRandomStrategyRunsTheGivenIterations) {
  scoped_env s("WEFT_MODEL_STRATEGY", "random");
  scoped_env i("WEFT_MODEL_ITERATIONS", "7");
  scoped_env seed("WEFT_MODEL_SEED", "12345");
  auto r = m::check(from_env(), two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 7u);
  EXPECT_FALSE(r.complete);
}

TEST(ModelControl, EnvPctStrategyRunsTheGivenIterations) {
  scoped_env s("WEFT_MODEL_STRATEGY", "pct");
  scoped_env i("WEFT_MODEL_ITERATIONS", "5");
  auto r = m::check(from_env(), two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 5u);
  EXPECT_FALSE(r.complete);
}

TEST(ModelControl, EnvFuzzStrategyRunsOneExecution) {
  scoped_env s("WEFT_MODEL_STRATEGY", "fuzz");
  m::options o = from_env();
  o.fuzz_input = std::string("\x01\x00\x01", 3);
  auto r = m::check(o, two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 1u);
}

TEST(ModelControl, EnvExhaustiveStrategyOverridesTheOptions) {
  scoped_env s("WEFT_MODEL_STRATEGY", "exhaustive");
  m::options o = from_env();
  o.search = m::strategy::random;
  o.iterations = 3;
  auto r = m::check(o, two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
}

TEST(ModelControl, EnvUnknownStrategyIsIgnoredWithAWarning) {
  scoped_env s("WEFT_MODEL_STRATEGY", "bogus");
  m::options o = from_env();
  o.search = m::strategy::random;
  o.iterations = 3;
  testing::internal::CaptureStderr();
  auto r = m::check(o, two_writers);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 3u);  // still random, as the options say
  EXPECT_TRUE(contains(err, "ignoring WEFT_MODEL_STRATEGY=bogus")) << err;
}

TEST(ModelControl, EnvMaxPreemptionsBoundsTheSearch) {
  {
    scoped_env p("WEFT_MODEL_MAX_PREEMPTIONS", "0");
    auto r = m::check(from_env(), lost_update);
    EXPECT_MODEL_OK(r);  // the lost update needs a preemption
    EXPECT_TRUE(r.complete);
  }
  scoped_env p("WEFT_MODEL_MAX_PREEMPTIONS", "-1");
  m::options o = from_env();
  o.max_preemptions = 0;  // overridden
  EXPECT_MODEL_FAILS(m::check(o, lost_update), "assertion");
}

TEST(ModelControl, EnvironmentIsIgnoredWhenTheOptionIsOff) {
  scoped_env s("WEFT_MODEL_STRATEGY", "random");
  scoped_env i("WEFT_MODEL_ITERATIONS", "3");
  scoped_env p("WEFT_MODEL_MAX_PREEMPTIONS", "0");
  auto r = m::check(model_test::unbounded(), lost_update);
  EXPECT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "(exhaustive search)")) << r.trace;
}

TEST(ModelControl, EnvReplayRunsExactlyTheFailingExecution) {
  auto first = m::check(model_test::unbounded(), lost_update);
  ASSERT_MODEL_FAILS(first, "assertion");
  ASSERT_FALSE(first.replay.empty());
  scoped_env rp("WEFT_MODEL_REPLAY", first.replay.c_str());
  auto again = m::check(from_env(), lost_update);
  EXPECT_MODEL_FAILS(again, "assertion");
  EXPECT_EQ(again.executions, 1u);
  EXPECT_EQ(again.failing_execution, 1u);
  EXPECT_EQ(again.message, first.message);
  EXPECT_EQ(again.replay, first.replay);
  // The same steps (the header differs only in the execution number).
  auto steps = [](const std::string& t) { return t.substr(t.find('\n')); };
  EXPECT_EQ(steps(again.trace), steps(first.trace));
}

// two_writers, with its outcome: the final value and which store ran first.
model_test::outcome two_writers_outcome() {
  sys::atomic<int> x{0};
  long first = 0;  // not shared: model threads run on one OS thread
  sys::thread a([&] {
    x.store(1, memory_order_relaxed);
    if (!first) first = 1;
  });
  x.store(2, memory_order_relaxed);
  if (!first) first = 2;
  a.join();
  return {x.load(memory_order_relaxed), first};
}

TEST(ModelControl, EnvShardsTogetherCoverThePlainSearch) {
  m::options plain = model_test::unbounded();
  plain.dpor = false;
  auto whole = model_test::outcomes(plain, two_writers_outcome);
  std::set<model_test::outcome> both;
  for (const char* shard : {"0/2", "1/2"}) {
    scoped_env s("WEFT_MODEL_SHARD", shard);
    m::options o = from_env();
    o.max_preemptions = -1;
    m::result r;
    auto part = model_test::outcomes(o, two_writers_outcome, &r);
    // Shard 0 runs the body first at the first branching point, so thread 1
    // never stores first there. (Shard 1 starts thread 1 first, after which
    // either store may still come first: the shards overlap.)
    if (shard[0] == '0') {
      EXPECT_LT(part.size(), whole.size());
      EXPECT_FALSE(part.count({2, 1}));
    }
    both.insert(part.begin(), part.end());
  }
  EXPECT_EQ(both, whole);
}

TEST(ModelControl, EnvInvalidShardIsIgnoredWithAWarning) {
  auto whole = m::check(model_test::unbounded(), two_writers);
  for (const char* shard : {"2/2", "1/0", "half", "1"}) {
    scoped_env s("WEFT_MODEL_SHARD", shard);
    m::options o = from_env();
    o.max_preemptions = -1;
    testing::internal::CaptureStderr();
    auto r = m::check(o, two_writers);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_MODEL_OK(r);
    EXPECT_EQ(r.executions, whole.executions) << shard;  // the whole search, with DPOR
    EXPECT_TRUE(contains(err, std::string("ignoring WEFT_MODEL_SHARD=") + shard + " (want i/n)"))
        << err;
  }
}

TEST(ModelControl, ShardWithNoAlternativeReportsNothing) {
  // Two alternatives at the first branching point: shard 2 of 3 owns none;
  // it runs one execution and reports nothing, even though the body fails.
  m::options o = model_test::unbounded();
  o.shard_index = 2;
  o.shard_count = 3;
  auto r = m::check(o, lost_update);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.executions, 1u);
  bool found = false;
  for (unsigned i = 0; i < 2; ++i) {
    o.shard_index = i;
    found = found || !m::check(o, lost_update).ok;
  }
  EXPECT_TRUE(found);
  // Even a body that fails in every execution passes in an empty shard.
  o.shard_index = 2;
  auto empty = m::check(o, [] {
    sys::atomic<int> x{0};
    sys::thread t([&] { x.store(1); });
    x.store(2);
    t.join();
    WEFT_MODEL_ASSERT(false);
  });
  EXPECT_MODEL_OK(empty);
  EXPECT_EQ(empty.executions, 1u);
}

TEST(ModelControl, RandomStrategyDrawsEveryValueChoice) {
  m::options o = quiet();
  o.search = m::strategy::random;
  o.iterations = 60;
  std::set<std::uint32_t> drawn;
  auto r = m::check(o, [&] {
    std::uint64_t st = 0;
    std::uint32_t n = sys::random_below(st, 3);
    sys::atomic<int> x{0};
    for (std::uint32_t i = 0; i < n; ++i) x.store(static_cast<int>(i));  // steps vary
    drawn.insert(n);
  });
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 60u);
  EXPECT_EQ(drawn, (std::set<std::uint32_t>{0, 1, 2}));
}

TEST(ModelControl, TrivialChoicesAndNonJoinableThreadsDoNotBranch) {
  auto r = m::check(model_test::unbounded(), [] {
    std::uint64_t st = 0;
    WEFT_MODEL_ASSERT(sys::random_below(st, 1) == 0);  // one value: no choice
    WEFT_MODEL_ASSERT(sys::random_below(st, 0) == 0);
    sys::thread none;
    none.detach();  // not joinable: nothing to detach
    WEFT_MODEL_ASSERT(!none.joinable());
  });
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 1u);
}

TEST(ModelControl, EngineYieldIsASchedulingPoint) {
  auto depth = [](int yields) {
    auto r = m::check(quiet(), [yields] {
      for (int i = 0; i < yields; ++i) sys::rt::yield(__FILE__, __LINE__);
    });
    EXPECT_MODEL_OK(r);
    return r.max_depth;
  };
  EXPECT_EQ(depth(3), depth(0) + 3);
  sys::rt::yield(__FILE__, __LINE__);  // outside check(): nothing
}

// ---- replay tokens ----------------------------------------------------------
TEST(ModelControl, ReplayOfAThreadThatIsNotEnabledIsNondeterminism) {
  m::options o = quiet();
  o.replay = "1:5";
  auto r = m::check(o, two_writers);
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "replay: thread 5 is not enabled")) << r.message;
  EXPECT_EQ(r.executions, 1u);
}

TEST(ModelControl, ReplayOfAnImpossibleValueIsNondeterminism) {
  m::options o = quiet();
  o.replay = "1:7";
  auto r = m::check(o, [] {
    std::uint64_t st = 0;
    (void)sys::random_below(st, 2);
  });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "a choice among 2 values was recorded as 7")) << r.message;
}

TEST(ModelControl, ReplayPastTheEndOfTheTokenKeepsTheCurrentThread) {
  m::options o = quiet();
  o.replay = "1:";  // no choices at all
  int runs = 0;
  auto r = m::check(o, [&] {
    ++runs;
    two_writers();
  });
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 1u);
  EXPECT_EQ(runs, 1);
}

TEST(ModelControl, LongReplayTokenIsLeftOutOfTheTraceHeader) {
  m::options o = quiet();
  o.search = m::strategy::fuzz;
  for (int i = 0; i < 80; ++i) o.fuzz_input += static_cast<char>(i % 10);
  auto body = [] {
    std::uint64_t st = 0;
    std::uint32_t sum = 0;
    for (int i = 0; i < 80; ++i) sum += sys::random_below(st, 10);
    WEFT_MODEL_ASSERT(sum != 360);  // 8 * (0 + 1 + ... + 9)
  };
  auto r = m::check(o, body);
  ASSERT_MODEL_FAILS(r, "assertion");
  EXPECT_GE(r.replay.size(), 120u);
  EXPECT_TRUE(contains(r.trace, "(fuzz search)")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "WEFT_MODEL_REPLAY=<see result.replay>")) << r.trace;
  EXPECT_TRUE(contains(r.trace, "random_below(10) = 9")) << r.trace;
  // The token, run-length encoded or not, brings back the same choices.
  m::options again = quiet();
  again.replay = r.replay;
  auto r2 = m::check(again, body);
  EXPECT_MODEL_FAILS(r2, "assertion");
  EXPECT_EQ(r2.replay, r.replay);
}

// ---- nondeterministic bodies ------------------------------------------------
TEST(ModelControl, FailureThatDoesNotReplayIsNondeterminism) {
  int runs = 0;  // outlives the executions: the checker does not control it
  auto r = m::check(quiet(), [&] { WEFT_MODEL_ASSERT(++runs > 1); });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "does not reproduce (assertion: ")) << r.message;
  EXPECT_TRUE(contains(r.trace, "replaying the failure did not reproduce it: no failure"))
      << r.trace;
}

TEST(ModelControl, FailureThatReplaysAsAnotherFailureIsNondeterminism) {
  int runs = 0;
  auto r = m::check(quiet(), [&] {
    if (++runs == 1) WEFT_MODEL_ASSERT(false);
    sys::model_fatal("second time");
  });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.trace, "did not reproduce it: fatal: fatal error: second time"))
      << r.trace;
}

TEST(ModelControl, BodyThatChangesBetweenExecutionsIsNondeterminism) {
  int runs = 0;
  auto r = m::check(model_test::unbounded(), [&] {
    std::uint64_t st = 0;
    if (runs++ > 0) (void)sys::random_below(st, 2);  // a value choice where a schedule was
    two_writers();
  });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "re-running a schedule prefix gave a different choice"))
      << r.message;
}

TEST(ModelControl, BodyWithDifferentThreadsBetweenExecutionsIsNondeterminism) {
  int runs = 0;
  auto r = m::check(model_test::unbounded(), [&] {
    sys::atomic<int> x{0};
    if (runs++ == 0) {
      sys::thread a([&] { x.store(1); });
      x.store(2);
      a.join();
    } else {
      x.store(2);
      x.store(3);
      x.store(4);
    }
  });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "gave different enabled threads")) << r.message;
}

// ---- result text and progress -----------------------------------------------
TEST(ModelControl, DescribeSaysOkAndWhetherTheSearchWasComplete) {
  auto whole = m::check(quiet(), two_writers);
  EXPECT_EQ(m::describe(whole),
            "ok: " + std::to_string(whole.executions) + " executions (complete)");
  m::options o = quiet();
  o.search = m::strategy::random;
  o.iterations = 4;
  auto sampled = m::check(o, two_writers);
  EXPECT_EQ(m::describe(sampled), "ok: 4 executions");
  std::ostringstream os;
  os << sampled;
  EXPECT_EQ(os.str(), m::describe(sampled));
}

TEST(ModelControl, DescribeAFailureGivesKindMessageTokenAndTrace) {
  auto r = m::check(model_test::unbounded(), lost_update);
  ASSERT_MODEL_FAILS(r, "assertion");
  std::string d = m::describe(r);
  EXPECT_EQ(d.rfind("assertion: " + r.message + "\nfound after " + std::to_string(r.executions) +
                        " executions\nWEFT_MODEL_REPLAY=" + r.replay + "\n",
                    0),
            0u)
      << d;
  EXPECT_TRUE(contains(d, r.trace));
  std::ostringstream os;
  os << r;
  EXPECT_EQ(os.str(), d);
}

TEST(ModelControl, LongRunPrintsProgressAndASummary) {
  m::options o = quiet();
  o.progress = true;
  o.search = m::strategy::random;
  o.iterations = 64;  // progress is looked at every 64 executions
  testing::internal::CaptureStderr();
  auto r = m::check(o, [] {
    timespec ts{0, 34'000'000};  // 64 x 34 ms > 2 s of real time
    nanosleep(&ts, nullptr);
  });
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_MODEL_OK(r);
  EXPECT_GT(r.seconds, 2.0);
  EXPECT_TRUE(contains(err, "weft::model: random: 64 executions, ")) << err;
  EXPECT_TRUE(contains(err, "weft::model: random: 64 executions (0 sleep-set blocked) in ")) << err;
  EXPECT_TRUE(contains(err, ": ok\n")) << err;
}

// ---- threads and fatal errors -----------------------------------------------
TEST(ModelControl, SeventeenthThreadIsFatal) {
  auto r = m::check(quiet(), [] {
    std::vector<sys::thread> ts;
    for (int i = 0; i < 16; ++i) ts.emplace_back([] {});
    for (auto& t : ts) t.join();
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "more than 16 model threads")) << r.message;
}

TEST(ModelControl, JoinOfANonJoinableThreadIsFatal) {
  auto r = m::check(quiet(), [] {
    sys::thread t;
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "join of a thread that is not joinable")) << r.message;
}

TEST(ModelControl, ModelFatalFailsTheExecution) {
  auto r = m::check(quiet(), [] {
    sys::thread t([] { sys::model_fatal("bad state"); });
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "fatal");
  EXPECT_TRUE(contains(r.message, "fatal error: bad state (thread 1 at")) << r.message;
  EXPECT_TRUE(contains(r.trace, "spawn        T1")) << r.trace;
}

TEST(ModelControl, GoroutineSwitchesAreTracedOnlyWhenAsked) {
  auto body = [] {
    sys::model_on_fiber_switch(nullptr, nullptr);
    WEFT_MODEL_ASSERT(false);
  };
  m::options o = quiet();
  auto plain = m::check(o, body);
  ASSERT_MODEL_FAILS(plain, "assertion");
  EXPECT_FALSE(contains(plain.trace, "goroutine switch")) << plain.trace;
  o.trace_fiber_switches = true;
  auto traced = m::check(o, body);
  ASSERT_MODEL_FAILS(traced, "assertion");
  EXPECT_TRUE(contains(traced.trace, "goroutine switch")) << traced.trace;
  sys::model_on_fiber_switch(nullptr, nullptr);  // outside check(): nothing
}

TEST(ModelControl, WriteAfterAnUnorderedReadIsADataRace) {
  auto r = m::check(quiet(), [] {
    sys::cell<int> c(0);
    sys::atomic<int> read{0};
    sys::thread t([&] {
      (void)c.get();
      read.store(1, memory_order_relaxed);  // no release: orders nothing
    });
    while (read.load(memory_order_relaxed) == 0) sys::spin_hint();
    c.set(1);
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "data race");
  EXPECT_TRUE(contains(r.message, "read by thread 1")) << r.message;
  EXPECT_TRUE(contains(r.message, "write by thread 0")) << r.message;
  EXPECT_TRUE(contains(r.trace, "cell read")) << r.trace;
}

// ---- options that change the modelled semantics -----------------------------
std::set<model_test::outcome> two_plus_two_w(bool mo_choices) {
  m::options o = model_test::unbounded();
  o.mo_choices = mo_choices;
  return model_test::outcomes(o, [] {
    sys::atomic<int> x{0}, y{0};
    sys::thread a([&] {
      x.store(1, memory_order_relaxed);
      y.store(2, memory_order_relaxed);
    });
    y.store(1, memory_order_relaxed);
    x.store(2, memory_order_relaxed);
    a.join();
    return model_test::outcome{x.load(memory_order_relaxed), y.load(memory_order_relaxed)};
  });
}

TEST(ModelControl, WithoutMoChoicesModificationOrderIsExecutionOrder) {
  EXPECT_TRUE(two_plus_two_w(true).count({1, 1}));
  auto seen = two_plus_two_w(false);
  EXPECT_FALSE(seen.count({1, 1}));
  EXPECT_EQ(seen, (std::set<model_test::outcome>{{1, 2}, {2, 1}, {2, 2}}));
}

std::set<model_test::outcome> lone_weak_cas(bool spurious) {
  m::options o = model_test::unbounded();
  o.spurious_cas_failures = spurious;
  return model_test::outcomes(o, [] {
    sys::atomic<int> x{0};
    int expected = 0;
    bool ok = x.compare_exchange_weak(expected, 1);
    return model_test::outcome{ok ? 1 : 0, expected};
  });
}

TEST(ModelControl, WeakCasFailsSpuriouslyOnlyWhenEnabled) {
  EXPECT_EQ(lone_weak_cas(true), (std::set<model_test::outcome>{{0, 0}, {1, 0}}));
  EXPECT_EQ(lone_weak_cas(false), (std::set<model_test::outcome>{{1, 0}}));
}

TEST(ModelControl, MaxExecutionsStopsAnIncompleteSearch) {
  m::options o = model_test::unbounded();
  ASSERT_GT(m::check(o, two_writers).executions, 2u);
  o.max_executions = 2;
  auto r = m::check(o, two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_EQ(r.executions, 2u);
  EXPECT_FALSE(r.complete);
}

TEST(ModelControl, FailureThatReplaysWithAnotherMessageIsNondeterminism) {
  int runs = 0;
  auto r = m::check(quiet(), [&] {
    if (++runs == 1) WEFT_MODEL_ASSERT(runs == 0);
    WEFT_MODEL_ASSERT(runs == 1);
  });
  EXPECT_MODEL_FAILS(r, "nondeterminism");
  EXPECT_TRUE(contains(r.message, "does not reproduce (assertion: WEFT_MODEL_ASSERT(runs == 0)"))
      << r.message;
  EXPECT_TRUE(contains(r.trace, "did not reproduce it: assertion: WEFT_MODEL_ASSERT(runs == 1)"))
      << r.trace;
}

TEST(ModelControl, PctFailureNamesItsSearch) {
  m::options o = quiet();
  o.search = m::strategy::pct;
  o.iterations = 2000;
  auto r = m::check(o, lost_update);
  ASSERT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "(pct search)")) << r.trace;
  EXPECT_LE(r.failing_execution, 2000u);
}

TEST(ModelControl, CheckWithoutOptionsUsesTheDefaults) {
  // options{}: exhaustive with the default preemption bound; the
  // environment is honoured, so keep it from changing the strategy.
  scoped_env s("WEFT_MODEL_STRATEGY", "exhaustive");
  auto r = m::check(two_writers);
  EXPECT_MODEL_OK(r);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.executions, m::check(quiet(), two_writers).executions);
}

// ---- execution-start functions ----------------------------------------------
sys::atomic<int> g_runs_this_execution{0};
sys::mutex g_reset_mutex;
sys::condition_variable g_reset_cv;
sys::atomic<std::uint32_t> g_reset_word{0};
sys::cell<int> g_reset_cell(0);
int g_resets = 0;

void reset_globals() {
  // Between executions no model thread runs: every operation is plain.
  ++g_resets;
  g_runs_this_execution.store(0);
  g_reset_mutex.lock();
  g_reset_mutex.unlock();
  g_reset_cv.notify_all();
  sys::futex_wake(g_reset_word, 1);
  g_reset_cell.set(0);
  std::uint64_t st = 0;
  (void)sys::random_below(st, 4);
  sys::thread none;
  none.join();
  none.detach();
  sys::model_on_fiber_switch(nullptr, nullptr);
}

TEST(ModelControl, ExecutionStartFunctionsResetGlobalsBeforeEachExecution) {
  sys::model_at_execution_start(reset_globals);
  sys::model_at_execution_start(reset_globals);  // a second registration is a no-op
  int before = g_resets;
  auto r = m::check(model_test::unbounded(), [] {
    sys::thread t([] { g_runs_this_execution.fetch_add(1); });
    WEFT_MODEL_ASSERT(g_runs_this_execution.fetch_add(1) < 2);
    t.join();
    WEFT_MODEL_ASSERT(g_runs_this_execution.load() == 2);
  });
  EXPECT_MODEL_OK(r);
  EXPECT_GT(r.executions, 1u);
  EXPECT_EQ(static_cast<std::uint64_t>(g_resets - before), r.executions);  // once each
}

// ---- more failure kinds -----------------------------------------------------
TEST(ModelControl, NonStdExceptionIsAFailure) {
  auto r = m::check(quiet(), [] {
    sys::thread t([] { throw 42; });
    t.join();
  });
  EXPECT_MODEL_FAILS(r, "exception");
  EXPECT_TRUE(contains(r.message, "a non-std exception escaped thread 1")) << r.message;
}

// ---- history ----------------------------------------------------------------
std::set<model_test::outcome> stale_reads(unsigned history) {
  m::options o = model_test::unbounded();
  o.history = history;
  return model_test::outcomes(o, [] {
    sys::atomic<int> x{0}, flag{0};
    sys::thread w([&] {
      for (int i = 1; i <= 4; ++i) x.store(i, memory_order_relaxed);
      flag.store(1, memory_order_relaxed);
    });
    while (flag.load(memory_order_relaxed) == 0) sys::spin_hint();
    long v = x.load(memory_order_relaxed);
    w.join();
    return model_test::outcome{v};
  });
}

TEST(ModelControl, HistoryBelowFourActsAsFour) {
  // After the flag, every store of x may be read, as far as it is remembered.
  std::set<model_test::outcome> all{{0}, {1}, {2}, {3}, {4}};
  std::set<model_test::outcome> last4{{1}, {2}, {3}, {4}};
  EXPECT_EQ(stale_reads(8), all);
  EXPECT_EQ(stale_reads(4), last4);
  EXPECT_EQ(stale_reads(1), last4);
}

// ---- traces of atomics ------------------------------------------------------
TEST(ModelControl, RmwOperationsAndTheirTraceLines) {
  m::options o = quiet();
  auto r = m::check(o, [] {
    sys::atomic<unsigned> u{12};
    WEFT_MODEL_ASSERT(u.fetch_sub(2) == 12);
    WEFT_MODEL_ASSERT(u.fetch_and(6u, std::memory_order_acq_rel) == 10);
    WEFT_MODEL_ASSERT(u.fetch_or(8u, std::memory_order_release) == 2);
    WEFT_MODEL_ASSERT(u.fetch_xor(3u, std::memory_order_acquire) == 10);
    WEFT_MODEL_ASSERT(u.load(std::memory_order_consume) == 9);
    sys::atomic<std::int8_t> s{-3};
    WEFT_MODEL_ASSERT(s.fetch_add(1) == -3);
    sys::atomic<bool> b{false};
    WEFT_MODEL_ASSERT(!b.exchange(true));
    int target = 0;
    sys::atomic<int*> p{nullptr};
    WEFT_MODEL_ASSERT(p.load() == nullptr);
    p.store(&target);
    sys::atomic_thread_fence(std::memory_order_acq_rel);
    WEFT_MODEL_ASSERT(p.load() != &target);  // fails: for the trace
  });
  ASSERT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.message, "p.load() != &target")) << r.message;
  for (const char* line : {"-> 10", "-> 2", "-> 9", "consume", "acq_rel", "= -3", "-> -2",
                           "= false", "-> true", "= null", "= 0x", "fence  acq_rel"})
    EXPECT_TRUE(contains(r.trace, line)) << line << "\n" << r.trace;
}

TEST(ModelControl, SpuriousCasFailureIsTraced) {
  auto r = m::check(model_test::unbounded(), [] {
    sys::atomic<int> x{0};
    int expected = 0;
    WEFT_MODEL_ASSERT(
        x.compare_exchange_weak(expected, 1, std::memory_order_acq_rel, std::memory_order_relaxed));
  });
  ASSERT_MODEL_FAILS(r, "assertion");
  EXPECT_TRUE(contains(r.trace, "fails spuriously")) << r.trace;
}

}  // namespace
