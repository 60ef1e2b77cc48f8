// The MNIST-family classifiers of DeepOBS (SPEC §3.1–3.3): logistic regression, the MLP and the
// 2c2d CNN. Inputs are [B,1,28,28] images in [0,1], labels i64 class indices [B]; the loss is the
// per-example softmax cross-entropy. Parameters are drawn from `gen` in layer order.
#pragma once

#include <memory>

#include "core/random/philox_generator.h"
#include "problems/problem.h"

namespace deepobs::problems {

// 784 → 10, kernel and bias initialised to 0 (7,850 parameters).
std::unique_ptr<ProblemModel> make_logreg(PhiloxGenerator& gen, int num_classes = 10);
// 784 → 1000 → 500 → 100 → 10 with ReLU; kernels truncated normal σ 0.03, biases 0
// (1,336,610 parameters).
std::unique_ptr<ProblemModel> make_mlp(PhiloxGenerator& gen, int num_classes = 10);
// conv5×5·32 'same' ReLU → maxpool 2×2/2 'same' → conv5×5·64 'same' ReLU → maxpool 2×2/2 'same'
// → dense 1024 ReLU → dense 10; kernels truncated normal σ 0.05, biases 0.05 (3,274,634).
std::unique_ptr<ProblemModel> make_2c2d(PhiloxGenerator& gen, int num_classes = 10);

}  // namespace deepobs::problems
