// Runs one expression on the CPU and on the GPU and compares what comes out: the values and the
// gradients of every input, after a backward pass seeded with the same random output gradient.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/tensor.h"
#include "twin.h"

namespace deepobs::twin {

using Expression = std::function<Tensor(const std::vector<Tensor>&)>;

// Evaluates `f` on `cpu_inputs` (CPU f32 tensors, all requiring gradients) and on copies on
// cuda:0; expects the outputs and the input gradients to agree within rtol/atol (`why` gives the
// reason for the tolerance). The backward pass is seeded with twin::random_tensor(seed).
inline void expect_op_twin(const Expression& f, const std::vector<Tensor>& cpu_inputs, double rtol,
                           double atol, const std::string& why, std::uint64_t seed = 7) {
  std::vector<Tensor> cpu, gpu;
  for (const Tensor& x : cpu_inputs) {
    Tensor c = x.clone();
    c.set_requires_grad(true);
    cpu.push_back(c);
    Tensor g = x.to(Device::cuda(0));
    g.set_requires_grad(true);
    gpu.push_back(g);
  }
  const Tensor y_cpu = f(cpu);
  const Tensor y_gpu = f(gpu);
  ASSERT_TRUE(y_gpu.device().is_cuda()) << y_gpu.str();
  expect_close(y_gpu, y_cpu, rtol, atol, "forward: " + why);
  const Tensor seed_grad = random_tensor(y_cpu.shape(), seed);
  autograd::backward(y_cpu, seed_grad);
  autograd::backward(y_gpu, seed_grad.to(Device::cuda(0)));
  for (std::size_t k = 0; k < cpu.size(); ++k) {
    ASSERT_TRUE(cpu[k].grad().defined()) << "input " << k;
    ASSERT_TRUE(gpu[k].grad().defined()) << "input " << k;
    EXPECT_TRUE(gpu[k].grad().device().is_cuda());
    expect_close(gpu[k].grad(), cpu[k].grad(), rtol, atol,
                 "gradient of input " + std::to_string(k) + ": " + why);
  }
}

}  // namespace deepobs::twin
