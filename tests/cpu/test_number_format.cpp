#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runner/number_format.h"

namespace deepobs::runner {
namespace {

TEST(NumberFormat, Float2StrMatchesDeepObs) {
  // The cases of SPEC §6.1 and folder names of the published baselines.
  EXPECT_EQ(float2str(0.9), "9.e-01");
  EXPECT_EQ(float2str(0.999), "9.99e-01");
  EXPECT_EQ(float2str(1e-8), "1.e-08");
  EXPECT_EQ(float2str(std::pow(10.0, -0.8)), "1.5848931925e-01");
  EXPECT_EQ(float2str(100.0), "1.e+02");
  EXPECT_EQ(float2str(0.99), "9.9e-01");
  EXPECT_EQ(float2str(std::pow(10.0, -3.4)), "3.9810717055e-04");
  EXPECT_EQ(float2str(2.5119e-3), "2.5119e-03");
  EXPECT_EQ(float2str(0.0), "0.e+00");
}

TEST(NumberFormat, PythonReprOfFloats) {
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(100.0), "100.0");
  EXPECT_EQ(python_float_repr(1e-8), "1e-08");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00001), "1e-05");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(353.4467654661159), "353.4467654661159");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::infinity()), "-Infinity");
}

}  // namespace
}  // namespace deepobs::runner
