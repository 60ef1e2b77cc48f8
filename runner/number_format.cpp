#include "runner/number_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace deepobs::runner {

std::string float2str(double x) {
  if (!std::isfinite(x)) return python_float_repr(x);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10e", x);
  const std::string s(buf);
  const auto e = s.find('e');
  std::string mantissa = s.substr(0, e);
  while (!mantissa.empty() && mantissa.back() == '0')
    mantissa.pop_back();
  return mantissa + s.substr(e);
}

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits and decimal exponent from the scientific form "d.ddde±XX".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const auto e = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c >= '0' && c <= '9') digits += c;
  const int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  // Built with append(): GCC 12 reports a false -Wrestrict on chains of string operator+.
  std::string out = negative ? "-" : "";
  if (exp10 >= -4 && exp10 < 16) {
    const auto point = static_cast<std::size_t>(exp10 + 1);  // digits before the dot
    if (exp10 < 0) {
      out.append("0.").append(static_cast<std::size_t>(-exp10 - 1), '0').append(digits);
    } else if (digits.size() <= point) {
      out.append(digits).append(point - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, point).append(".").append(digits, point);
    }
    return out;
  }
  out.append(digits, 0, 1);
  if (digits.size() > 1) out.append(".").append(digits, 1);
  char expbuf[16];
  std::snprintf(expbuf, sizeof expbuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
  return out + expbuf;
}

}  // namespace deepobs::runner
