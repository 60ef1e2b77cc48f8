// Every row of the op test table (tests/common/op_cases.h) on the GPU against its CPU twin: the
// output and every input gradient, in f32, for the same inputs and the same upstream gradient.
// Each device's graph is recorded and back-propagated on its own.
#include <gtest/gtest.h>

#include "core/autograd.h"
#include "tests/common/op_cases.h"
#include "twin.h"

namespace deepobs::testing {
namespace {

class OpTableTwin : public ::testing::TestWithParam<std::size_t> {};

TEST_P(OpTableTwin, CudaMatchesTheCpu) {
  SKIP_WITHOUT_GPU();
  const OpCase& c = op_cases()[GetParam()];
  const std::vector<Tensor> inputs = op_inputs(c, DType::F32);
  const auto run = [&](Device device, std::vector<Tensor>& grads) {
    std::vector<Tensor> leaves;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      Tensor t = inputs[k].to(device);
      if (c.inputs[k].differentiable && c.inputs[k].classes == 0) t.set_requires_grad(true);
      leaves.push_back(t);
    }
    const Tensor y = c.f(leaves);
    autograd::backward(y, twin::random_tensor(y.shape(), 7).to(device));
    for (const Tensor& t : leaves)
      grads.push_back(t.requires_grad() ? t.grad().to(Device::cpu()) : Tensor());
    return y.to(Device::cpu());
  };
  std::vector<Tensor> gc, gg;
  const Tensor yc = run(Device::cpu(), gc);
  const Tensor yg = run(Device::cuda(0), gg);
  twin::expect_close(yg, yc, c.rtol, c.atol, c.name + " forward: " + c.why);
  for (std::size_t k = 0; k < gc.size(); ++k) {
    if (!gc[k].defined()) continue;
    ASSERT_TRUE(gg[k].defined()) << c.name << ": input " << k << " got no gradient on the GPU";
    twin::expect_close(gg[k], gc[k], c.rtol, c.atol,
                       c.name + " gradient of input " + std::to_string(k) + ": " + c.why);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpTableTwin, ::testing::Range<std::size_t>(0, op_cases().size()),
                         [](const auto& p) { return op_case_test_name(p.param); });

}  // namespace
}  // namespace deepobs::testing
