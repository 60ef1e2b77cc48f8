// The synthetic DeepOBS problems: quadratic_deep (SPEC §3.11) and the stochastic 2-D test
// functions (SPEC §3.12). No accuracy, no regulariser.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "problems/problem.h"

namespace deepobs::problems {

// The Hessian Q = Rᵀ·diag(λ)·R of quadratic_deep, 100×100 row-major in double, from numpy's
// RandomState(42) exactly as DeepOBS draws it (after PR #44: one stream for the eigenvalues
// uniform(0,1,90), uniform(30,60,10), then the Diaconis–Shahshahani rotation's uniform and
// normals of sizes 3..100; R is negated at the end).
std::vector<double> quadratic_deep_hessian();

// θ ∈ R^{1×100} initialised to ones; loss_i = ½ (θ − x_i)ᵀ Q (θ − x_i) with Q stored in f32.
std::unique_ptr<ProblemModel> make_quadratic_deep();

// `function` is "rosenbrock", "beale" or "branin": parameters u ("weight") and v ("bias"),
// scalars starting at DeepOBS's points; loss_i = f(u, v) + u·x_i + v·y_i for an input row (x, y).
std::unique_ptr<ProblemModel> make_two_d(std::string_view function);

}  // namespace deepobs::problems
