// trace.cpp: traces, replay tokens and value formatting.
//
// A trace is produced by replaying the failing execution with tracing on
// (the search itself records nothing but its choices), so the search stays
// fast and every reported failure is known to replay. One step a line:
//
//     12  T1  load   acquire  #3 = 1  (store 2 by T0, latest)  deque.cpp:41
//   step  thread  operation  order  object = value  (which store it read)  where
//
// A replay token is the execution's choices (thread ids and value indices)
// in order, run-length encoded: "1:" then items "v" or "v*n" joined by '.'.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "model/engine.hpp"

namespace weft::model::detail {

void engine::tracef(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    trace.append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n)
                                                               : sizeof buf - 1);
}

std::string engine::where(const char* file, unsigned line) const {
  if (!file) return "?";
  const char* base = std::strrchr(file, '/');
  base = base ? base + 1 : file;
  return std::string(base) + ":" + std::to_string(line);
}

const char* order_name(std::memory_order o) {
  switch (o) {
    case std::memory_order_relaxed:
      return "relaxed";
    case std::memory_order_consume:
      return "consume";
    case std::memory_order_acquire:
      return "acquire";
    case std::memory_order_release:
      return "release";
    case std::memory_order_acq_rel:
      return "acq_rel";
    case std::memory_order_seq_cst:
      return "seq_cst";
  }
  return "?";
}

std::string value_text(std::uint64_t v, rt::vkind k, unsigned size) {
  char b[32];
  switch (k) {
    case rt::vkind::boolean:
      return v ? "true" : "false";
    case rt::vkind::ptr:
      if (!v) return "null";
      std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
      return b;
    case rt::vkind::s: {
      unsigned shift = 64 - 8 * (size ? size : 8);
      auto s = static_cast<long long>(static_cast<std::int64_t>(v << shift) >> shift);
      std::snprintf(b, sizeof b, "%lld", s);
      return b;
    }
    case rt::vkind::u:
      break;
  }
  std::snprintf(b, sizeof b, "%llu", static_cast<unsigned long long>(v));
  return b;
}

std::string encode_choices(const std::vector<std::uint32_t>& v) {
  std::string s = "1:";
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j < v.size() && v[j] == v[i]) ++j;
    if (i) s += '.';
    s += std::to_string(v[i]);
    if (j - i > 1) s += "*" + std::to_string(j - i);
    i = j;
  }
  return s;
}

bool decode_choices(const std::string& s, std::vector<std::uint32_t>& out) {
  out.clear();
  if (s.compare(0, 2, "1:") != 0) return false;
  const char* p = s.c_str() + 2;
  while (*p) {
    char* end = nullptr;
    unsigned long v = std::strtoul(p, &end, 10);
    if (end == p) return false;
    unsigned long n = 1;
    p = end;
    if (*p == '*') {
      n = std::strtoul(p + 1, &end, 10);
      if (end == p + 1) return false;
      p = end;
    }
    out.insert(out.end(), n, static_cast<std::uint32_t>(v));
    if (*p == '.')
      ++p;
    else if (*p)
      return false;
  }
  return true;
}

}  // namespace weft::model::detail
