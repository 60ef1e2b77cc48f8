// Number formatting that reproduces Python's, so our folder names and JSON match DeepOBS's.
#pragma once

#include <string>

namespace deepobs::runner {

// DeepOBS's float2str (SPEC §6.1): "%.10e" with the mantissa's trailing zeros stripped but its
// dot kept: 0.9 → "9.e-01", 0.999 → "9.99e-01", 1e-8 → "1.e-08", 100 → "1.e+02".
std::string float2str(double x);

// Python's repr(float): the shortest string that reads back to the same double, in fixed notation
// for decimal exponents in [-4, 16) ("0.1", "100.0") and scientific otherwise ("1e-08", "1e+16");
// non-finite values as Python's json module writes them: "NaN", "Infinity", "-Infinity".
std::string python_float_repr(double x);

}  // namespace deepobs::runner
