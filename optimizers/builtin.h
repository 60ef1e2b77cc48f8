// The built-in optimizers: TensorFlow 1.x's GradientDescentOptimizer, MomentumOptimizer and
// AdamOptimizer (SPEC Part A.7), the three the DeepOBS baselines were run with. Each is an info
// (static, lives for the program) and a factory; the runner reaches them through registry.h,
// which lists them explicitly. The update loops are kernels/cpu/optimizer_updates.h.
#pragma once

#include <memory>

#include "optimizers/optimizer.h"

namespace deepobs {

// θ -= lr·g. No hyperparameters, no state.
const OptimizerInfo& gradient_descent_info();
// accum = m·accum + g; θ -= lr·accum, or with use_nesterov θ -= lr·(g + m·accum).
// Hyperparameters: momentum (f64 in [0, 1), required: DeepOBS gives it no default; the baselines
// use 0.99), use_nesterov (bool, default false). State: "accumulator" (like params).
const OptimizerInfo& momentum_info();
// m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; θ -= lr·√(1-β2ᵗ)/(1-β1ᵗ) · m/(√v + ε).
// Hyperparameters: beta1 (0.9), beta2 (0.999), both in [0, 1); epsilon (1e-8, > 0, log scale).
// State: "m", "v" (like params) and "step" (i64 scalar: updates applied so far; t = step + 1).
// Like TF's beta-power accumulators, the bias correction counts this optimizer's own updates
// (kept in the state, so it survives save/load), not StepContext::step; in a run that starts at
// step 0 the two agree.
const OptimizerInfo& adam_info();

// Factories: `flat` must outlive the optimizer; `hyperparameters` must hold exactly the
// optimizer's hyperparameters (resolve_hyperparameters), else deepobs::Error.
std::unique_ptr<Optimizer> make_gradient_descent(FlatParameters& flat,
                                                 const Hyperparameters& hyperparameters);
std::unique_ptr<Optimizer> make_momentum(FlatParameters& flat,
                                         const Hyperparameters& hyperparameters);
std::unique_ptr<Optimizer> make_adam(FlatParameters& flat, const Hyperparameters& hyperparameters);

}  // namespace deepobs
