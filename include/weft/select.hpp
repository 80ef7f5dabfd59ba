// select.hpp: Go's select statement. After Go's runtime/select.go
// (selectgo); the type-erased engine is src/chan/select.cpp.
//
//   int i = weft::select(
//       weft::on_recv(jobs, [&](std::optional<job> j) { ... }),   // case 0
//       weft::on_send(out, v, [&] { ... }),                       // case 1
//       weft::on_recv(weft::after(100ms), [&](auto) { ... }),     // case 2
//       weft::on_default([&] { ... }));                           // case 3
//
// select() runs exactly one ready case's handler and returns that case's
// 0-based position among its arguments (on_default included). With several
// ready cases the choice is uniformly random. Cases on the nil channel never
// fire. Without on_default, select blocks until a case is ready; select()
// with no cases blocks forever. A send case on a closed channel panics
// "send on closed channel", as in Go. Duplicate channels are allowed.
//
// An on_send case's value is moved out only if that case is chosen; a case
// that loses keeps its value (it is destroyed with the case object).
//
// For case lists built at run time, see weft::select_set below.
//
// The deadlock report names the blocking select by the file:line of its
// first case (the line where the cases are written; select() with no cases
// names its own line).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <weft/chan.hpp>
#include <weft/panic.hpp>
#include <weft/runtime.hpp>

namespace weft {
namespace detail {

// One case as the engine sees it.
struct select_case_raw {
  chan_core* c;  // nullptr: the nil channel (never fires)
  void* elem;    // send: the value (moved from only if chosen); recv: storage
  bool is_send;
};
struct select_outcome {
  int index;      // into the raw cases; -1: the default case
  bool received;  // recv case: a value was constructed into elem (else: closed)
};
// The engine (src/chan/select.cpp). n may be 0.
select_outcome select_run(select_case_raw* cases, int n, bool has_default, source_location where);
[[noreturn]] void select_block_forever(source_location where);

struct select_case_tag {};

// Calls a receive handler with the optional value, or without arguments if
// that is how it is written.
template <class F, class T>
void invoke_recv_handler(F& f, std::optional<T>&& v) {
  if constexpr (std::is_invocable_v<F&, std::optional<T>&&>)
    f(std::move(v));
  else
    f();
}

}  // namespace detail

// The case types returned by on_recv / on_send / on_default. Users normally
// do not name them.
template <class T, class F>
class recv_case : detail::select_case_tag {
 public:
  static constexpr bool is_default = false;
  recv_case(const chan<T>& ch, F f, detail::source_location where)
      : core_(ch.core()), f_(std::move(f)), where_(where) {}
  detail::select_case_raw raw() noexcept { return {core_, slot_.get(), false}; }
  void fire(bool received) {
    detail::invoke_recv_handler(f_, received ? slot_.take() : std::optional<T>());
  }
  detail::source_location where() const noexcept { return where_; }

 private:
  detail::chan_core* core_;
  F f_;
  detail::source_location where_;
  detail::elem_slot<T> slot_;
};

template <class T, class F>
class send_case : detail::select_case_tag {
 public:
  static constexpr bool is_default = false;
  send_case(const chan<T>& ch, T value, F f, detail::source_location where)
      : core_(ch.core()), value_(std::move(value)), f_(std::move(f)), where_(where) {}
  detail::select_case_raw raw() noexcept { return {core_, std::addressof(value_), true}; }
  void fire(bool) { f_(); }
  detail::source_location where() const noexcept { return where_; }
  // The value to send; moved-from after this case was chosen.
  T& value() noexcept { return value_; }

 private:
  detail::chan_core* core_;
  T value_;
  F f_;
  detail::source_location where_;
};

template <class F>
class default_case : detail::select_case_tag {
 public:
  static constexpr bool is_default = true;
  default_case(F f, detail::source_location where) : f_(std::move(f)), where_(where) {}
  void fire(bool) { f_(); }
  detail::source_location where() const noexcept { return where_; }

 private:
  F f_;
  detail::source_location where_;
};

namespace detail {
struct no_handler {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};
template <class C>
inline constexpr bool is_select_case_v =
    std::is_base_of_v<select_case_tag, std::remove_cv_t<std::remove_reference_t<C>>>;
}  // namespace detail

// case v := <-ch: handler(std::optional<T>) (std::nullopt: closed), or handler().
template <class T, class F = detail::no_handler>
recv_case<T, std::decay_t<F>> on_recv(
    const chan<T>& ch, F&& handler = {},
    detail::source_location where = detail::source_location::current()) {
  return {ch, std::forward<F>(handler), where};
}

// case ch <- value: handler().
template <class T, class V, class F = detail::no_handler,
          class = std::enable_if_t<std::is_constructible_v<T, V&&>>>
send_case<T, std::decay_t<F>> on_send(
    const chan<T>& ch, V&& value, F&& handler = {},
    detail::source_location where = detail::source_location::current()) {
  return {ch, T(std::forward<V>(value)), std::forward<F>(handler), where};
}

// default: handler().
template <class F = detail::no_handler>
default_case<std::decay_t<F>> on_default(
    F&& handler = {}, detail::source_location where = detail::source_location::current()) {
  return {std::forward<F>(handler), where};
}

// select {}: blocks forever (wait reason "select (no cases)").
[[noreturn]] inline int select(detail::source_location where = detail::source_location::current()) {
  detail::select_block_forever(where);
}

template <class... Cases, class = std::enable_if_t<(sizeof...(Cases) > 0) &&
                                                   (detail::is_select_case_v<Cases> && ...)>>
int select(Cases&&... cases) {
  constexpr std::size_t kCases = sizeof...(Cases);
  constexpr std::size_t kDefaults =
      (std::size_t{0} + ... + (std::remove_reference_t<Cases>::is_default ? 1 : 0));
  static_assert(kDefaults <= 1, "select: at most one on_default case");
  constexpr std::size_t kRaw = kCases - kDefaults;

  std::array<detail::select_case_raw, kRaw ? kRaw : 1> raw{};
  std::array<int, kRaw ? kRaw : 1> position{};  // raw index -> argument position
  int default_position = -1;
  int k = 0, i = 0;
  detail::source_location where{nullptr, 0};
  auto collect = [&](auto& c) {
    if (i == 0) where = c.where();
    if constexpr (std::remove_reference_t<decltype(c)>::is_default) {
      default_position = i;
    } else {
      raw[k] = c.raw();
      position[k] = i;
      ++k;
    }
    ++i;
  };
  (collect(cases), ...);

  detail::select_outcome r =
      detail::select_run(raw.data(), static_cast<int>(kRaw), kDefaults != 0, where);
  const int chosen = r.index < 0 ? default_position : position[r.index];
  int j = 0;
  auto fire = [&](auto& c) {
    if (j++ == chosen) c.fire(r.received);
  };
  (fire(cases), ...);
  return chosen;
}

// A select over a case list built at run time:
//
//   weft::select_set s;
//   for (auto& ch : inputs) s.add(weft::on_recv(ch, handler));
//   s.add(weft::on_recv(weft::after(1s), on_timeout));
//   int i = s.select();          // or weft::select(s)
//
// Positions are in add() order. A set may be selected on repeatedly; a send
// case that was chosen has had its value moved out (clear() and add again to
// send anew). disable(i) makes case i never fire again (Go's idiom of setting
// a channel variable to nil).
class select_set {
 public:
  select_set() = default;
  select_set(select_set&&) noexcept = default;
  select_set& operator=(select_set&&) noexcept = default;

  template <class Case, class = std::enable_if_t<detail::is_select_case_v<Case>>>
  int add(Case&& c) {
    using C = std::remove_cv_t<std::remove_reference_t<Case>>;
    if constexpr (C::is_default) {
      if (default_ >= 0) detail::panic("select_set: more than one default case");
      default_ = static_cast<int>(cases_.size());
    }
    cases_.push_back(std::make_unique<holder<C>>(std::forward<Case>(c)));
    return static_cast<int>(cases_.size()) - 1;
  }
  std::size_t size() const noexcept { return cases_.size(); }
  bool empty() const noexcept { return cases_.empty(); }
  void clear() noexcept {
    cases_.clear();
    default_ = -1;
  }
  // Case i never fires again (a default case is removed from consideration).
  void disable(int i) {
    if (i == default_) default_ = -1;
    cases_.at(static_cast<std::size_t>(i))->disable();
  }

  // Runs exactly one ready case's handler; returns its position.
  int select(detail::source_location where = detail::source_location::current()) {
    raw_.clear();
    position_.clear();
    for (std::size_t i = 0; i < cases_.size(); ++i) {
      if (cases_[i]->is_default()) continue;
      raw_.push_back(cases_[i]->raw());
      position_.push_back(static_cast<int>(i));
    }
    if (raw_.empty() && default_ < 0) detail::select_block_forever(where);
    detail::select_outcome r =
        detail::select_run(raw_.data(), static_cast<int>(raw_.size()), default_ >= 0, where);
    const int chosen = r.index < 0 ? default_ : position_[static_cast<std::size_t>(r.index)];
    cases_[static_cast<std::size_t>(chosen)]->fire(r.received);
    return chosen;
  }

 private:
  struct base {
    virtual ~base() = default;
    virtual bool is_default() const noexcept = 0;
    virtual detail::select_case_raw raw() noexcept = 0;
    virtual void fire(bool received) = 0;
    virtual void disable() noexcept = 0;
  };
  template <class C>
  struct holder final : base {
    explicit holder(C&& c) : c_(std::move(c)) {}
    explicit holder(const C& c) : c_(c) {}
    bool is_default() const noexcept override { return C::is_default; }
    detail::select_case_raw raw() noexcept override {
      if constexpr (C::is_default)
        return {nullptr, nullptr, false};
      else
        return disabled_ ? detail::select_case_raw{nullptr, nullptr, false} : c_.raw();
    }
    void fire(bool received) override { c_.fire(received); }
    void disable() noexcept override { disabled_ = true; }
    C c_;
    bool disabled_ = false;
  };

  std::vector<std::unique_ptr<base>> cases_;
  std::vector<detail::select_case_raw> raw_;
  std::vector<int> position_;
  int default_ = -1;
};

inline int select(select_set& s,
                  detail::source_location where = detail::source_location::current()) {
  return s.select(where);
}

}  // namespace weft
