// std_thread.cpp: sys::thread on pthreads, and hardware_concurrency().
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <weft/sys.hpp>

namespace weft::sys {
namespace {

static_assert(sizeof(pthread_t) == sizeof(unsigned long), "thread::handle_ holds a pthread_t");

struct start_box {
  void (*entry)(void*);
  void* arg;
};

void* thread_main(void* p) {
  start_box box = *static_cast<start_box*>(p);
  delete static_cast<start_box*>(p);
  box.entry(box.arg);
  return nullptr;
}

}  // namespace

void thread::start(void (*entry)(void*), void* arg) {
  auto* box = new start_box{entry, arg};
  pthread_t t;
  int err = pthread_create(&t, nullptr, thread_main, box);
  if (err != 0) {
    delete box;
    fatal("cannot create OS thread: %s", std::strerror(err));
  }
  handle_ = static_cast<unsigned long>(t);
}

thread& thread::operator=(thread&& o) noexcept {
  if (this != &o) {
    if (joinable()) fatal("sys::thread: move-assigning to a joinable thread");
    handle_ = std::exchange(o.handle_, 0);
  }
  return *this;
}

thread::~thread() {
  if (joinable()) fatal("sys::thread: destroying a joinable thread");
}

void thread::join() {
  if (!joinable()) fatal("sys::thread::join: thread is not joinable");
  int err = pthread_join(static_cast<pthread_t>(handle_), nullptr);
  if (err != 0) fatal("sys::thread::join: %s", std::strerror(err));
  handle_ = 0;
}

void thread::detach() {
  if (!joinable()) fatal("sys::thread::detach: thread is not joinable");
  int err = pthread_detach(static_cast<pthread_t>(handle_));
  if (err != 0) fatal("sys::thread::detach: %s", std::strerror(err));
  handle_ = 0;
}

unsigned hardware_concurrency() noexcept {
  // The affinity mask, not the machine: a process pinned to 2 of 64 CPUs
  // should run 2 processors. Grow the set if the kernel's mask is larger.
  for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpu);
    if (set == nullptr) break;
    std::size_t size = CPU_ALLOC_SIZE(ncpu);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(0, size, set) == 0) {
      int n = CPU_COUNT_S(size, set);
      CPU_FREE(set);
      return n > 0 ? static_cast<unsigned>(n) : 1u;
    }
    int err = errno;
    CPU_FREE(set);
    if (err != EINVAL) break;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

}  // namespace weft::sys
