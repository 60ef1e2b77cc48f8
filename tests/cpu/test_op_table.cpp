// Every row of the op test table (tests/common/op_cases.h) against central finite differences in
// double precision on the CPU.
#include <gtest/gtest.h>

#include "tests/common/op_cases.h"

namespace deepobs::testing {
namespace {

class OpTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(OpTable, GradientMatchesFiniteDifferences) {
  const OpCase& c = op_cases()[GetParam()];
  std::vector<bool> differentiable;
  for (const OpInput& in : c.inputs)
    differentiable.push_back(in.differentiable && in.classes == 0);
  check_gradients(c.name, c.f, op_inputs(c, DType::F64), differentiable, c.grad);
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpTable, ::testing::Range<std::size_t>(0, op_cases().size()),
                         [](const auto& p) { return op_case_test_name(p.param); });

}  // namespace
}  // namespace deepobs::testing
