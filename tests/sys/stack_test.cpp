// stack_test.cpp: goroutine stacks (src/sys/stack.hpp): pooling, layout,
// many live stacks under vm.max_map_count, and the overflow report.
#include "sys/stack.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include <weft/sys.hpp>

#include "sys/fiber.hpp"

namespace sys = weft::sys;

// Sanitizers install their own SIGSEGV reporting (clang 14 has no
// __SANITIZE_*__ macros, g++ 12 has no __has_feature).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_TEST_SANITIZED 1
#endif
#endif

namespace {

std::size_t page() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

std::size_t count_mappings() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return 0;
  std::size_t n = 0;
  for (int c; (c = std::fgetc(f)) != EOF;)
    if (c == '\n') ++n;
  std::fclose(f);
  return n;
}

[[maybe_unused]] std::size_t resident_pages(const sys::stack& s) {
  std::vector<unsigned char> vec(s.size / page());
  if (mincore(s.bottom, s.size, vec.data()) != 0) return ~std::size_t{0};
  std::size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

struct park_once {
  sys::fiber main;
  sys::fiber self;
};

[[maybe_unused]] void park_once_entry(void* p) {
  auto* po = static_cast<park_once*>(p);
  sys::fiber_switch(&po->self, &po->main);  // parked here
  sys::fiber_exit(&po->self, &po->main);
}

}  // namespace

TEST(SysStack, SizeAndAlignment) {
  sys::stack s = sys::stack_alloc(10000);
  ASSERT_TRUE(s);
  EXPECT_GE(s.size, 10000u);
  EXPECT_EQ(s.size % page(), 0u);
  auto bottom = reinterpret_cast<std::uintptr_t>(s.bottom);
  EXPECT_EQ(bottom % page(), 0u);
  EXPECT_EQ((bottom + s.size) % page(), 0u);  // the top is page aligned
  sys::stack_free(s);
}

TEST(SysStack, FreedStackIsReused) {
  sys::stack a = sys::stack_alloc(48 * 1024);
  static_cast<char*>(a.bottom)[a.size - 1] = 1;
  sys::stack_free(a);
  sys::stack b = sys::stack_alloc(48 * 1024);
  EXPECT_EQ(b.bottom, a.bottom);
  EXPECT_EQ(b.size, a.size);
  sys::stack_free(b);
}

TEST(SysStack, WholeUsableRegionIsWritable) {
  sys::stack s = sys::stack_alloc(128 * 1024);
  std::memset(s.bottom, 0xab, s.size);
  auto* p = static_cast<unsigned char*>(s.bottom);
  EXPECT_EQ(p[0], 0xab);
  EXPECT_EQ(p[s.size - 1], 0xab);
  sys::stack_free(s);
}

TEST(SysStack, DistinctSizesDoNotMix) {
  sys::stack a = sys::stack_alloc(16 * 1024);
  sys::stack b = sys::stack_alloc(32 * 1024);
  sys::stack_free(a);
  sys::stack c = sys::stack_alloc(32 * 1024);
  EXPECT_NE(c.bottom, a.bottom);
  EXPECT_EQ(c.size, 32u * 1024);
  sys::stack_free(b);
  sys::stack_free(c);
}

TEST(SysStack, ConcurrentAllocFree) {
  constexpr int kThreads = 4;
  sys::thread ts[kThreads];
  sys::atomic<int> bad{0};
  for (auto& t : ts)
    t = sys::thread([&] {
      std::vector<sys::stack> mine;
      for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 40; ++i) {
          sys::stack s = sys::stack_alloc(16 * 1024);
          // Tag the top word with our identity; a stack handed out twice
          // would have it overwritten by another thread.
          auto* top =
              reinterpret_cast<void**>(static_cast<char*>(s.bottom) + s.size - sizeof(void*));
          *top = &mine;
          mine.push_back(s);
        }
        for (sys::stack s : mine) {
          auto* top =
              reinterpret_cast<void**>(static_cast<char*>(s.bottom) + s.size - sizeof(void*));
          if (*top != &mine) bad.fetch_add(1);
          sys::stack_free(s);
        }
        mine.clear();
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(SysStack, ManyLiveStacksStayBelowMapCount) {
  // Guards that split mappings (mprotect) cost two VMAs per stack; then
  // 50,000 stacks cannot exist under vm.max_map_count = 65530.
  std::size_t before = count_mappings();
  std::vector<sys::stack> probe;
  for (int i = 0; i < 1000; ++i) probe.push_back(sys::stack_alloc(8 * 1024));
  bool splits = count_mappings() - before > 500;
  for (sys::stack s : probe) sys::stack_free(s);
  if (splits) GTEST_SKIP() << "kernel lacks MADV_GUARD_INSTALL";

  constexpr int kLive = 50000;
  std::vector<sys::stack> stacks;
  stacks.reserve(kLive);
  for (int i = 0; i < kLive; ++i) {
    sys::stack s = sys::stack_alloc(8 * 1024);
    // Touch the top of some (touching all would cost 200 MB of pages).
    if (i % 64 == 0) static_cast<char*>(s.bottom)[s.size - 1] = 1;
    stacks.push_back(s);
  }
  EXPECT_LT(count_mappings(), before + 5000);
  for (sys::stack s : stacks) sys::stack_free(s);
}

TEST(SysStack, ParkedFiberTouchesOnePage) {
  // The memory target is ~4.5 KB per parked goroutine: a fresh stack must
  // not be resident (no huge page, no pre-touching), and a goroutine parked
  // at the start of its life holds its top page only.
#if defined(WEFT_TEST_SANITIZED)
  GTEST_SKIP() << "sanitizers enlarge frames";
#else
  sys::stack s = sys::stack_alloc(200 * 1024);  // a size no other test uses
  EXPECT_EQ(resident_pages(s), 0u);
  park_once po;
  sys::fiber_init_thread(&po.main);
  sys::fiber_init(&po.self, s.bottom, s.size, park_once_entry, &po);
  sys::fiber_switch(&po.main, &po.self);
  EXPECT_EQ(resident_pages(s), 1u);
  sys::fiber_switch(&po.main, &po.self);  // let it exit
  sys::fiber_release(&po.self);
  sys::fiber_release(&po.main);
  sys::stack_free(s);
  EXPECT_EQ(resident_pages(s), 1u);  // the free-list link lives in the top page
#endif
}

TEST(SysStack, FreedStacksBeyondTheDirtyBandGiveTheirPagesBack) {
  // stack.cpp keeps up to 1024 freed stacks of a size dirty (resident);
  // past that it releases all but 256 of them in one batch. So after 1100
  // stacks that touched a lower page are freed, only some still hold it,
  // and the others hold no more than their top page.
#if defined(WEFT_TEST_SANITIZED)
  GTEST_SKIP() << "ASan keeps its own view of stack memory";
#else
  constexpr std::size_t kStacks = 1100;
  const std::size_t size = 6 * page();  // a size no other test uses
  std::vector<sys::stack> stacks;
  for (std::size_t i = 0; i < kStacks; ++i) {
    sys::stack s = sys::stack_alloc(size);
    static_cast<char*>(s.bottom)[0] = 1;           // the lowest page
    static_cast<char*>(s.bottom)[s.size - 1] = 1;  // and the top one
    stacks.push_back(s);
  }
  for (sys::stack s : stacks) sys::stack_free(s);
  std::size_t dirty = 0;
  for (sys::stack s : stacks) {
    std::size_t n = resident_pages(s);
    ASSERT_GE(n, 1u);  // the top page holds the free-list link
    ASSERT_LE(n, 2u);
    dirty += n == 2 ? 1 : 0;
  }
  EXPECT_GE(dirty, 256u);   // the warm ones are kept as they are
  EXPECT_LE(dirty, 1024u);  // the band's top
  EXPECT_LT(dirty, kStacks);
  // Reuse takes the pooled stacks back; nothing is lost.
  for (std::size_t i = 0; i < kStacks; ++i) stacks[i] = sys::stack_alloc(size);
  for (sys::stack s : stacks) sys::stack_free(s);
#endif
}

// ---- overflow ---------------------------------------------------------------

namespace {

sys::stack overflow_stack;  // the stack of goroutine 7
sys::fiber overflow_main;
sys::fiber overflow_fiber;
volatile int recursion_limit = 1 << 30;

// Async-signal context: reads memory only.
bool test_hook(void* addr, std::uint64_t* gid, std::size_t* size) {
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto bottom = reinterpret_cast<std::uintptr_t>(overflow_stack.bottom);
  if (a >= bottom - page() && a < bottom) {
    *gid = 7;
    *size = overflow_stack.size;
    return true;
  }
  return false;
}

__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth >= recursion_limit) return frame[0];
  return recurse(depth + 1) + frame[0];
}

void overflow_entry(void*) {
  recurse(0);
  sys::fiber_exit(&overflow_fiber, &overflow_main);
}

void overflow_in_goroutine() {
  sys::stack_thread_init();
  sys::stack_install_overflow_handler(test_hook);
  overflow_stack = sys::stack_alloc(64 * 1024);
  sys::fiber_init_thread(&overflow_main);
  sys::fiber_init(&overflow_fiber, overflow_stack.bottom, overflow_stack.size, overflow_entry,
                  nullptr);
  sys::fiber_switch(&overflow_main, &overflow_fiber);
}

void null_write_outside_fiber() {
  sys::stack_thread_init();
  sys::stack_install_overflow_handler(test_hook);
  overflow_stack = sys::stack_alloc(64 * 1024);
  // Near null rather than null: UBSan would report a null store first.
  volatile std::uintptr_t addr = 64;
  *reinterpret_cast<volatile int*>(addr) = 1;
}

// A gtest matcher for "stderr does not contain `text`".
class not_containing : public testing::MatcherInterface<const std::string&> {
 public:
  explicit not_containing(const char* text) : text_(text) {}
  bool MatchAndExplain(const std::string& s, testing::MatchResultListener*) const override {
    return s.find(text_) == std::string::npos;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "does not contain \"" << text_ << "\"";
  }

 private:
  const char* text_;
};

testing::Matcher<const std::string&> NotContaining(const char* text) {
  return testing::MakeMatcher(new not_containing(text));
}

}  // namespace

TEST(SysStackDeathTest, OverflowIsReported) {
  EXPECT_DEATH(overflow_in_goroutine(), "goroutine 7: stack overflow \\(stack size 65536 bytes\\)");
}

TEST(SysStackDeathTest, UnrelatedSegvKeepsItsMeaning) {
  EXPECT_DEATH(null_write_outside_fiber(), NotContaining("stack overflow"));
}

#if !defined(WEFT_TEST_SANITIZED)
TEST(SysStackDeathTest, UnrelatedSegvDiesBySigsegv) {
  // Without a sanitizer the default disposition comes back: killed by
  // SIGSEGV, not aborted by our handler.
  EXPECT_EXIT(null_write_outside_fiber(), testing::KilledBySignal(SIGSEGV), "");
}
#endif

TEST(SysStack, ThreadAltStackInitRelease) {
  sys::thread t([] {
    sys::stack_thread_init();
    sys::stack_thread_init();  // idempotent
    sys::stack_thread_release();
    sys::stack_thread_release();
  });
  t.join();
}
