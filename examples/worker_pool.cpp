// worker_pool.cpp: fan-out / fan-in. A pool of workers takes jobs from one
// channel (fan-out) and sends results to one channel (fan-in); a
// wait_group closes the results channel once every worker has finished.
#include <cstdio>

#include <weft/weft.hpp>

namespace {
struct job {
  int id;
  long n;
};
struct result {
  int id;
  int worker;
  long collatz_steps;
};

long collatz_steps(long n) {
  long steps = 0;
  while (n != 1) {
    n = n % 2 ? 3 * n + 1 : n / 2;
    ++steps;
  }
  return steps;
}
}  // namespace

int main() {
  return static_cast<int>(weft::run([] {
    constexpr int kWorkers = 4, kJobs = 20;
    weft::chan<job> jobs(kJobs);
    weft::chan<result> results(kJobs);
    weft::wait_group wg;

    for (int w = 0; w < kWorkers; ++w) {
      wg.add(1);
      weft::go([&wg, jobs, results, w]() mutable {
        for (job j : jobs) results.send({j.id, w, collatz_steps(j.n)});
        wg.done();
      });
    }
    for (int i = 0; i < kJobs; ++i) jobs.send({i, 1000 + 37L * i});
    jobs.close();  // workers leave their loops once the queue is drained

    weft::go([&wg, results]() mutable {
      wg.wait();
      results.close();  // fan-in complete
    });

    long total = 0;
    for (result r : results) {
      std::printf("job %2d done by worker %d: %ld steps\n", r.id, r.worker, r.collatz_steps);
      total += r.collatz_steps;
    }
    std::printf("total steps: %ld\n", total);
  }));
}
