// chan.hpp: Go's channels. chan<T> is a copyable handle on a reference-counted,
// type-erased channel core (src/chan/chan.cpp, after Go's runtime/chan.go).
//
// The template layer is deliberately thin: it supplies the element's size,
// alignment, move and destroy operations (elem_ops) and turns raw storage into
// std::optional<T>. Everything that synchronizes lives in the core, compiled
// once: one lock per channel, FIFO wait queues of waiter records on the
// waiting task's stack, values handed straight to a parked receiver.
//
// Element requirements: T is move-constructible (it may be move-only, need not
// be default-constructible, may be large). T's move constructor and destructor
// run under the channel's lock and must not throw (a throw terminates).
//
// Invariants (the core's, stated here for users):
//   C1  every value sent is received exactly once or destroyed exactly once
//       (when the last handle of the channel goes, values left in its buffer
//       are destroyed)
//   C2  values are received in the order they were sent by each sender; a
//       buffered channel is FIFO across all senders
//   C3  after close(), buffered values are still delivered; then recv()
//       returns std::nullopt forever
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include <weft/runtime.hpp>

namespace weft {

// The outcome of a non-blocking operation.
enum class chan_status : std::uint8_t {
  ok,         // done: the value was sent / received
  not_ready,  // would block (and for the nil channel: always)
  closed,     // the channel is closed (for try_recv: closed and drained)
};

// The result of chan<T>::try_recv(): `value` holds the value iff status is ok.
template <class T>
struct try_recv_result {
  chan_status status;
  std::optional<T> value;
  explicit operator bool() const noexcept { return status == chan_status::ok; }
};

namespace detail {

// What the core needs to know about T.
struct elem_ops {
  std::size_t size;
  std::size_t align;
  void (*move_construct)(void* dst, void* src) noexcept;  // new (dst) T(std::move(*src))
  void (*destroy)(void* p) noexcept;                      // p->~T()
  // T is trivially copyable: a move is a byte copy and destroy does
  // nothing, so the core copies the bytes without calling either.
  bool trivial;
};
template <class T>
inline constexpr elem_ops elem_ops_for = {
    sizeof(T), alignof(T),
    [](void* dst, void* src) noexcept { ::new (dst) T(std::move(*static_cast<T*>(src))); },
    [](void* p) noexcept { static_cast<T*>(p)->~T(); },
    std::is_trivially_copyable_v<T>&& std::is_trivially_destructible_v<T>};

struct chan_core;  // src/chan/chan_core.hpp

// The core's entry points (src/chan/chan.cpp). A null core is the nil channel.
chan_core* chan_make(const elem_ops* ops, std::size_t capacity);
void chan_retain(chan_core* c) noexcept;
void chan_release(chan_core* c) noexcept;
// Moves from *value once the value is taken; panics if closed.
void chan_send(chan_core* c, void* value, source_location where);
// Returns true with a T move-constructed into *out; false once closed and drained.
bool chan_recv(chan_core* c, void* out, source_location where);
void chan_close(chan_core* c);
// Moves from *value only when it returns chan_status::ok.
chan_status chan_try_send(chan_core* c, void* value);
// Constructs into *out only when it returns chan_status::ok.
chan_status chan_try_recv(chan_core* c, void* out);
std::size_t chan_size(chan_core* c) noexcept;
std::size_t chan_capacity(chan_core* c) noexcept;

// Raw storage for one T, for the core to construct into.
template <class T>
struct elem_slot {
  alignas(T) unsigned char bytes[sizeof(T)];
  void* get() noexcept { return bytes; }
  T& ref() noexcept { return *std::launder(reinterpret_cast<T*>(bytes)); }
  // Moves the constructed T out and destroys it.
  std::optional<T> take() {
    std::optional<T> r(std::move(ref()));
    ref().~T();
    return r;
  }
};

template <class T>
class chan_iterator;
struct chan_sentinel {};

}  // namespace detail

// A Go channel of T. Copies refer to the same channel; a default-constructed
// chan is the nil channel (operations on it block forever; close panics).
// Operations are const: they act on the channel, not on the handle (as
// shared_ptr's operator-> is const), so a const chan& (e.g. timer::c())
// can be received from.
template <class T>
class chan {
  static_assert(std::is_move_constructible_v<T>, "chan<T>: T must be move-constructible");
  static_assert(!std::is_reference_v<T> && std::is_same_v<T, std::remove_cv_t<T>>,
                "chan<T>: T must be a non-const object type");

 public:
  using value_type = T;

  // The nil channel.
  chan() noexcept = default;
  // make(chan T, capacity); 0 = unbuffered (rendezvous).
  explicit chan(std::size_t capacity)
      : core_(detail::chan_make(&detail::elem_ops_for<T>, capacity)) {}

  chan(const chan& o) noexcept : core_(o.core_) {
    if (core_) detail::chan_retain(core_);
  }
  chan(chan&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
  chan& operator=(const chan& o) noexcept {
    chan(o).swap(*this);
    return *this;
  }
  chan& operator=(chan&& o) noexcept {
    chan(std::move(o)).swap(*this);
    return *this;
  }
  ~chan() {
    if (core_) detail::chan_release(core_);
  }
  void swap(chan& o) noexcept { std::swap(core_, o.core_); }

  // send: blocks until a receiver takes the value or buffer space frees up.
  // Panics "send on closed channel" if the channel is (or becomes) closed.
  void send(T value, detail::source_location where = detail::source_location::current()) const {
    detail::chan_send(core_, std::addressof(value), where);
  }

  // recv: blocks until a value arrives; std::nullopt once closed and drained.
  std::optional<T> recv(detail::source_location where = detail::source_location::current()) const {
    detail::elem_slot<T> slot;
    if (!detail::chan_recv(core_, slot.get(), where)) return std::nullopt;
    return slot.take();
  }

  // close: no more sends; receivers drain the buffer, then get nullopt.
  // Panics "close of nil channel" / "close of closed channel".
  void close() const { detail::chan_close(core_); }

  // try_send: never blocks. Moves from `value` only when it returns ok, so
  // on not_ready / closed the caller still owns the value. Unlike Go's
  // select-with-default, a closed channel is reported, not a panic.
  chan_status try_send(T&& value) const {
    return detail::chan_try_send(core_, std::addressof(value));
  }
  chan_status try_send(const T& value) const {
    static_assert(std::is_copy_constructible_v<T>, "try_send(const T&) copies the value");
    T copy(value);
    return try_send(std::move(copy));
  }

  // try_recv: never blocks. not_ready: nothing to take now; closed: closed
  // and drained.
  try_recv_result<T> try_recv() const {
    detail::elem_slot<T> slot;
    chan_status s = detail::chan_try_recv(core_, slot.get());
    if (s != chan_status::ok) return {s, std::nullopt};
    return {s, slot.take()};
  }

  // len(ch), cap(ch): 0 for the nil channel. size() is a snapshot.
  std::size_t size() const noexcept { return core_ ? detail::chan_size(core_) : 0; }
  std::size_t capacity() const noexcept { return core_ ? detail::chan_capacity(core_) : 0; }

  // for (T v : ch): receives until the channel is closed and drained.
  detail::chan_iterator<T> begin(
      detail::source_location where = detail::source_location::current()) const {
    return detail::chan_iterator<T>(*this, where);
  }
  detail::chan_sentinel end() const noexcept { return {}; }

  // Same channel (Go's ==). Two nil channels are equal.
  bool operator==(const chan& o) const noexcept { return core_ == o.core_; }
  bool operator!=(const chan& o) const noexcept { return core_ != o.core_; }
  // True unless this is the nil channel.
  explicit operator bool() const noexcept { return core_ != nullptr; }

  // For select (select.hpp) and weft's internals.
  detail::chan_core* core() const noexcept { return core_; }

 private:
  detail::chan_core* core_ = nullptr;
};

namespace detail {

// An input iterator receiving from a channel. operator* yields T& for
// copyable T and T&& for move-only T, so that both `for (T v : ch)` and
// `for (auto&& v : ch)` work for every T.
template <class T>
class chan_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = T*;
  using reference = std::conditional_t<std::is_copy_constructible_v<T>, T&, T&&>;

  chan_iterator(const chan<T>& ch, source_location where) : ch_(&ch), where_(where) { next(); }
  reference operator*() noexcept { return static_cast<reference>(*cur_); }
  T* operator->() noexcept { return std::addressof(*cur_); }
  chan_iterator& operator++() {
    next();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const chan_iterator& it, chan_sentinel) noexcept {
    return !it.cur_.has_value();
  }
  friend bool operator!=(const chan_iterator& it, chan_sentinel s) noexcept { return !(it == s); }
  friend bool operator==(chan_sentinel s, const chan_iterator& it) noexcept { return it == s; }
  friend bool operator!=(chan_sentinel s, const chan_iterator& it) noexcept { return !(it == s); }

 private:
  // Emplaces rather than assigns: T need not be move-assignable.
  void next() {
    cur_.reset();
    if (auto v = ch_->recv(where_)) cur_.emplace(std::move(*v));
  }
  const chan<T>* ch_;
  source_location where_;
  std::optional<T> cur_;
};

}  // namespace detail
}  // namespace weft
