// Central finite-difference gradient check in double precision (ARCHITECTURE §5.1).
//
// For y = f(x_1..x_k) the check compares the autograd gradient of the objective sum(r ⊙ y), with a
// fixed random r, against (J(x + h e_i) - J(x - h e_i)) / 2h for every element i of every
// differentiable input. The error is relative, floored at 1: |a - n| / max(1, |a|, |n|). A
// coordinate where the one-sided differences disagree sits on a kink (ReLU at 0, max-pool ties)
// and is skipped; the check fails if more than a quarter of the coordinates are skipped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace deepobs::testing {

struct GradCheckOptions {
  double step = 1e-6;
  double tolerance = 1e-6;
  double kink_threshold = 1e-3;
  unsigned seed = 1234;
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// `inputs` must be f64 CPU tensors; `differentiable[k]` (default: all true) says whether input k
// is checked (integer labels, for instance, are not). Reports failures through GoogleTest with
// `name`, the input index, the flat element index and both values.
void check_gradients(const std::string& name, const TensorFn& f, const std::vector<Tensor>& inputs,
                     std::vector<bool> differentiable = {}, GradCheckOptions options = {});

// A f64 CPU tensor of the given shape with entries uniform in [lo, hi) from a fixed seed.
Tensor random_tensor(const Shape& shape, unsigned seed, double lo = -1.0, double hi = 1.0);

}  // namespace deepobs::testing
