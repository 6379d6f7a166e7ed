// SPDX-License-Identifier: Apache-2.0
// Just enough JSON writing for the runner's one output document.
#ifndef Z3BRA_SIM_JSON_H_
#define Z3BRA_SIM_JSON_H_

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace z3bra {

inline void JsonString(std::string* out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(ch));
    } else if (ch < 0x20) {
      out->append("\\u00");
      out->push_back(hex[ch >> 4]);
      out->push_back(hex[ch & 15]);
    } else {
      out->push_back(static_cast<char>(ch));
    }
  }
  out->push_back('"');
}

// Shortest form that reads back to the same double.
inline void JsonNumber(std::string* out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

inline void JsonNumber(std::string* out, uint64_t v) { out->append(std::to_string(v)); }

inline void JsonInts(std::string* out, const std::vector<int>& v) {
  out->push_back('[');
  for (size_t k = 0; k < v.size(); ++k) {
    if (k) out->push_back(',');
    out->append(std::to_string(v[k]));
  }
  out->push_back(']');
}

}  // namespace z3bra

#endif  // Z3BRA_SIM_JSON_H_
