// The built-in optimizers: TensorFlow 1.x's GradientDescentOptimizer, MomentumOptimizer and
// AdamOptimizer (SPEC Part A.7), the three the DeepOBS baselines were run with. Each is a plugin
// compiled into the executable: an entry function with the signature of deepobs_optimizer_entry
// returning a static descriptor (optimizers/include/deepobs/optimizer_plugin.h), driven by the
// same host code as a plugin loaded from a shared library. The runner reaches them through
// registry.h, which lists them explicitly. The update loops are kernels/cpu/optimizer_updates.h
// (CPU) and kernels/cuda/optimizer_updates.h (CUDA).
#pragma once

#include <cstdint>
#include <memory>

#include "optimizers/optimizer.h"

namespace deepobs {

// θ -= lr·g. No hyperparameters, no state. Id org.deepobs.builtin.gradient_descent.
const deepobs_optimizer_descriptor* builtin_gradient_descent_entry(std::uint32_t host_abi_min,
                                                                   std::uint32_t host_abi_max,
                                                                   const deepobs_host* host);
// accum = m·accum + g; θ -= lr·accum, or with use_nesterov θ -= lr·(g + m·accum).
// Hyperparameters: momentum (f64 in [0, 1), required: DeepOBS gives it no default; the baselines
// use 0.99), use_nesterov (bool, default false). State: "accumulator" (like params).
// Id org.deepobs.builtin.momentum.
const deepobs_optimizer_descriptor* builtin_momentum_entry(std::uint32_t host_abi_min,
                                                           std::uint32_t host_abi_max,
                                                           const deepobs_host* host);
// m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; θ -= lr·√(1-β2ᵗ)/(1-β1ᵗ) · m/(√v + ε).
// Hyperparameters: beta1 (0.9), beta2 (0.999), both in [0, 1); epsilon (1e-8, > 0, log scale).
// State: "m", "v" (like params) and "step" (i64 scalar: updates applied so far; t = step + 1).
// Like TF's beta-power accumulators, the bias correction counts this optimizer's own updates
// (kept in the state, so it survives save/load), not StepContext::step; in a run that starts at
// step 0 the two agree. Id org.deepobs.builtin.adam.
const deepobs_optimizer_descriptor* builtin_adam_entry(std::uint32_t host_abi_min,
                                                       std::uint32_t host_abi_max,
                                                       const deepobs_host* host);

// The validated infos of the three (static, live for the program).
const OptimizerInfo& gradient_descent_info();
const OptimizerInfo& momentum_info();
const OptimizerInfo& adam_info();

// Factories: `flat` must outlive the optimizer; `hyperparameters` must hold exactly the
// optimizer's hyperparameters (resolve_hyperparameters), else deepobs::Error.
std::unique_ptr<Optimizer> make_gradient_descent(FlatParameters& flat,
                                                 const Hyperparameters& hyperparameters);
std::unique_ptr<Optimizer> make_momentum(FlatParameters& flat,
                                         const Hyperparameters& hyperparameters);
std::unique_ptr<Optimizer> make_adam(FlatParameters& flat, const Hyperparameters& hyperparameters);

}  // namespace deepobs
