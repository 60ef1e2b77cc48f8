// Runs one differentiable expression on the CPU and on the GPU for the nn-op twin tests: the same
// inputs become leaves on each device, the output is back-propagated with the same upstream
// gradient, and the output and every leaf gradient come back to the CPU for comparison.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_backend.h"
#include "core/tensor.h"
#include "twin.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/context.h"
#endif

namespace deepobs::twin {

struct Evaluated {
  Tensor output;              // on the CPU
  std::vector<Tensor> grads;  // one per input, on the CPU
};

using Expression = std::function<Tensor(const std::vector<Tensor>&)>;

// Evaluates `f` on `device` with `inputs` (CPU tensors) as gradient-requiring leaves; `upstream`
// (a CPU tensor shaped like the output) seeds the backward pass.
inline Evaluated evaluate(Device device, const std::vector<Tensor>& inputs, const Tensor& upstream,
                          const Expression& f) {
  std::vector<Tensor> leaves;
  for (const Tensor& t : inputs) {
    Tensor leaf = t.to(device);
    leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  const Tensor y = f(leaves);
  autograd::backward(y, upstream.to(device));
  Evaluated r;
  r.output = y.to(Device::cpu());
  for (const Tensor& leaf : leaves)
    r.grads.push_back(leaf.grad().to(Device::cpu()));
  return r;
}

// The tolerance of a sum of `terms` products of values in [−1, 1] computed in f32 in two different
// orders (CPU blocked Eigen/im2col vs cuBLAS/cuDNN tiling, TF32 off): both roundings are
// random-walk like, ~sqrt(terms)·2⁻²⁴ per unit of partial-sum magnitude, and the partial sums grow
// like sqrt(terms); 8× margin. An indexing error is O(1) and still fails.
inline double f32_sum_atol(double terms) {
  return 8.0 * terms * std::ldexp(1.0, -24) + 1e-6;
}

// Scoped numerical policies for CUDA device 0; restores the previous ones. Without CUDA in the
// build it does nothing (the tests that use it skip before reaching it).
class ScopedPolicies {
 public:
  ScopedPolicies(bool deterministic, bool tf32) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = kernels::cuda::context(0);
    previous_ = kernels::cuda::policies(ctx);
    kernels::cuda::Policies p;
    p.deterministic = deterministic;
    p.tf32 = tf32;
    kernels::cuda::set_policies(ctx, p);
#else
    (void)deterministic;
    (void)tf32;
#endif
  }
  ~ScopedPolicies() {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::set_policies(kernels::cuda::context(0), previous_);
#endif
  }
  ScopedPolicies(const ScopedPolicies&) = delete;
  ScopedPolicies& operator=(const ScopedPolicies&) = delete;

#if DEEPOBS_WITH_CUDA
 private:
  kernels::cuda::Policies previous_;
#endif
};

}  // namespace deepobs::twin
