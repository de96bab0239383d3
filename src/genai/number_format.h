// Shortest round-trip decimal text of floating-point values: whatever a
// service sent is printed back with full precision (0.1 stays "0.1").
#pragma once

#include <charconv>
#include <string>

namespace gp::genai {

inline void append_double(std::string& out, double value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

// For values that were float32 on the wire (base64 answers): printing them as
// doubles would show the float's binary noise (0.1f as 0.10000000149011612).
inline void append_float(std::string& out, float value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

inline std::string format_double(double value) {
  std::string s;
  append_double(s, value);
  return s;
}

}  // namespace gp::genai
