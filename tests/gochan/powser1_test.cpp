// powser1_test.cpp: a port of Go's test/chan/powser1.go ("Test concurrency
// primitives: power series"), written fresh against weft's API, covering a
// subset of its operators: Ones, Twos, Add, Cmul, Diff, Integ, Mul, Split and
// Exp, with rational coefficients. As in McIlroy's original, a power series
// is a pair of channels, "request" and "data": a consumer asks for the next
// coefficient by sending on req and receives it on dat, so the (infinite,
// recursively defined) series are computed lazily by goroutines.
//
// Unlike Go's test, whose goroutines are abandoned when main returns, every
// blocking operation here also selects on a `quit` channel; closing it at
// the end winds the whole network down before the test returns.
#include <deque>
#include <numeric>
#include <string>
#include <vector>

#include "../chan/weft_test_util.hpp"

namespace {

using weft::chan;
using weft::on_recv;
using weft::on_send;

// ---- rationals ---------------------------------------------------------------
struct rat {
  std::int64_t num = 0, den = 1;
  bool operator==(const rat& o) const { return num == o.num && den == o.den; }
};
rat make_rat(std::int64_t n, std::int64_t d = 1) {
  if (d < 0) n = -n, d = -d;
  std::int64_t g = std::gcd(n < 0 ? -n : n, d);
  if (g == 0) g = 1;
  return {n / g, d / g};
}
rat add(rat a, rat b) { return make_rat(a.num * b.den + b.num * a.den, a.den * b.den); }
rat mul(rat a, rat b) { return make_rat(a.num * b.num, a.den * b.den); }
std::ostream& operator<<(std::ostream& o, const rat& r) { return o << r.num << "/" << r.den; }

// ---- demand channels ------------------------------------------------------------
struct ps {
  chan<int> req{0};
  chan<rat> dat{0};
};

// Closed at the end of each test; assigned only at the start of one, while
// no series goroutine exists.
chan<int> quit;

bool await_demand(ps z) {
  bool ok = false;
  weft::select(on_recv(z.req, [&] { ok = true; }), on_recv(quit));
  return ok;
}
bool put(ps z, rat v) { return weft::select(on_send(z.dat, v), on_recv(quit)) == 0; }
std::optional<rat> get(ps u) {
  if (weft::select(on_send(u.req, 0), on_recv(quit)) != 0) return std::nullopt;
  std::optional<rat> r;
  weft::select(on_recv(u.dat, [&](std::optional<rat> v) { r = v; }), on_recv(quit));
  return r;
}

// Each constructor spawns the goroutine that produces the series.
template <class F>
ps series(F body) {
  ps z;
  weft::go(body, z);
  return z;
}

ps constant(rat c) {
  return series([c](ps z) {
    while (await_demand(z) && put(z, c)) {
    }
  });
}

ps add(ps u, ps v) {
  return series([u, v](ps z) {
    while (await_demand(z)) {
      auto a = get(u), b = get(v);
      if (!a || !b || !put(z, add(*a, *b))) return;
    }
  });
}

ps cmul(rat c, ps u) {
  return series([c, u](ps z) {
    while (await_demand(z)) {
      auto a = get(u);
      if (!a || !put(z, mul(c, *a))) return;
    }
  });
}

// The derivative: drop u0, then i * u_i.
ps diff(ps u) {
  return series([u](ps z) {
    if (!await_demand(z) || !get(u)) return;
    for (std::int64_t i = 1;; ++i) {
      auto a = get(u);
      if (!a || !put(z, mul(make_rat(i), *a)) || !await_demand(z)) return;
    }
  });
}

// The integral with constant term c: c, then u_{i-1} / i.
ps integ(rat c, ps u) {
  return series([c, u](ps z) {
    if (!await_demand(z) || !put(z, c)) return;
    for (std::int64_t i = 1;; ++i) {
      if (!await_demand(z)) return;
      auto a = get(u);
      if (!a || !put(z, mul(make_rat(1, i), *a))) return;
    }
  });
}

// Serves every coefficient of u to both a and b, each at its own pace. The
// splitter never blocks on u while a request from either side is pending:
// in a recursive definition (exp below) the value u is computing may itself
// depend on a coefficient that one side must first be served from the
// queue (Go's version spawns a goroutine per coefficient for the same
// reason).
void split_into(ps u, ps a, ps b) {
  weft::go([u, a, b]() {
    std::deque<rat> qa, qb;  // coefficients each side has not read yet
    bool want_a = false, want_b = false, fetching = false, quit_seen = false;
    for (;;) {
      // Serve whoever asked and has a coefficient waiting.
      if (want_a && !qa.empty()) {
        if (!put(a, qa.front())) return;
        qa.pop_front();
        want_a = false;
      }
      if (want_b && !qb.empty()) {
        if (!put(b, qb.front())) return;
        qb.pop_front();
        want_b = false;
      }
      const bool need = (want_a && qa.empty()) || (want_b && qb.empty());
      weft::select_set s;
      if (!want_a) s.add(on_recv(a.req, [&] { want_a = true; }));
      if (!want_b) s.add(on_recv(b.req, [&] { want_b = true; }));
      if (need && !fetching) s.add(on_send(u.req, 0, [&] { fetching = true; }));
      if (fetching)
        s.add(on_recv(u.dat, [&](std::optional<rat> v) {
          qa.push_back(*v);
          qb.push_back(*v);
          fetching = false;
        }));
      s.add(on_recv(quit, [&] { quit_seen = true; }));
      s.select();
      if (quit_seen) return;
    }
  });
}
std::pair<ps, ps> split(ps u) {
  ps a, b;
  split_into(u, a, b);
  return {a, b};
}

// Copies s to z.
void copy(ps z, ps s) {
  while (await_demand(z)) {
    auto v = get(s);
    if (!v || !put(z, *v)) return;
  }
}

// Product: with U = u0 + x U1 and V = v0 + x V1,
// UV = u0 v0 + x (u0 V1 + v0 U1) + x^2 U1 V1.
ps mul(ps u, ps v) {
  return series([u, v](ps z) {
    if (!await_demand(z)) return;
    auto u0 = get(u), v0 = get(v);
    if (!u0 || !v0 || !put(z, mul(*u0, *v0))) return;
    auto [uu0, uu1] = split(u);
    auto [vv0, vv1] = split(v);
    ps w = add(cmul(*u0, vv0), cmul(*v0, uu0));
    if (!await_demand(z)) return;
    auto w0 = get(w);
    if (!w0 || !put(z, *w0)) return;
    copy(z, add(w, mul(uu1, vv1)));
  });
}

// exp(U) for u0 = 0... or any U: Z = 1 + integral(Z U'), fed back through a split.
ps exp(ps u) {
  ps a, b;
  split_into(integ(make_rat(1), mul(a, diff(u))), a, b);
  return b;
}

class GoPowser1 : public weft_test::Procs {
 protected:
  template <class F>
  void run_series(F body) {
    run([&] {
      quit = chan<int>(0);
      body();
      quit.close();
      // Every series goroutine sees quit and returns; the Procs wrapper
      // waits for them. `quit` is reassigned only at the start of the next
      // test, after run() has joined this runtime's threads (a goroutine may
      // read the global until it returns).
    });
  }
  static void expect(ps u, const std::vector<rat>& want, const std::string& what) {
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto v = get(u);
      ASSERT_TRUE(v.has_value()) << what;
      EXPECT_EQ(*v, want[i]) << what << " term " << i;
    }
  }
};
WEFT_PROCS_SUITE(GoPowser1);

std::vector<rat> ints(std::initializer_list<std::int64_t> xs) {
  std::vector<rat> r;
  for (auto x : xs) r.push_back(make_rat(x));
  return r;
}

TEST_P(GoPowser1, Basics) {
  run_series([] {
    ps ones = constant(make_rat(1));
    expect(ones, ints({1, 1, 1, 1, 1}), "Ones");
    expect(add(constant(make_rat(1)), constant(make_rat(1))), ints({2, 2, 2, 2, 2}),
           "Add Ones Ones");
    expect(add(constant(make_rat(1)), constant(make_rat(2))), ints({3, 3, 3, 3, 3}),
           "Add Ones Twos");
    expect(cmul(make_rat(-1), constant(make_rat(2))), ints({-2, -2, -2, -2, -2}), "Cmul");
    expect(diff(constant(make_rat(1))), ints({1, 2, 3, 4, 5}), "Diff");
    expect(integ(make_rat(0), constant(make_rat(1))),
           {make_rat(0), make_rat(1), make_rat(1, 2), make_rat(1, 3), make_rat(1, 4)}, "Integ");
  });
}

TEST_P(GoPowser1, Mul) {
  run_series([] {
    // 1/(1-x) squared = sum (n+1) x^n.
    expect(mul(constant(make_rat(1)), constant(make_rat(1))), ints({1, 2, 3, 4, 5, 6}),
           "Mul Ones Ones");
  });
}

TEST_P(GoPowser1, Exp) {
  run_series([] {
    // exp(x / (1 - x)) = 1 + x + 3/2 x^2 + 13/6 x^3 + 73/24 x^4 + ...
    expect(exp(constant(make_rat(1))),
           {make_rat(1), make_rat(1), make_rat(3, 2), make_rat(13, 6), make_rat(73, 24)}, "Exp");
  });
}

}  // namespace
