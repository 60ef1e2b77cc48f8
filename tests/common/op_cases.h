// The op test table (ARCHITECTURE §5, like ggml's test-backend-ops): every op case is declared
// once — its inputs, its parameters, and the tolerance of each check with the reason for it — and
// drives two checks:
//   - tests/cpu/test_op_table.cpp: the double-precision central finite-difference gradient check
//     on the CPU (tests/common/gradcheck.h);
//   - tests/gpu/test_op_table.cpp: the CPU-vs-CUDA twin comparison in f32 of the output and of
//     every input gradient, for one random upstream gradient (label `gpu`, skipped without one).
// A new op adds its rows here and is checked on both backends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "tests/common/gradcheck.h"

namespace deepobs::testing {

struct OpInput {
  Shape shape;
  double lo = -1.0, hi = 1.0;  // uniform values in [lo, hi)
  double gap = 0.0;            // moved at least this far from 0 (the kink of relu and friends)
  std::int64_t classes = 0;    // > 0: i64 labels in [0, classes) instead (never differentiated)
  bool differentiable = true;
};

struct OpCase {
  std::string name;
  std::vector<OpInput> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> f;
  GradCheckOptions grad{};  // the f64 finite-difference check (the default suits every op)
  // CPU vs CUDA in f32, output and gradients: |gpu − cpu| ≤ atol + rtol·|cpu|, because `why`.
  double rtol = 0.0, atol = 0.0;
  std::string why;
};

const std::vector<OpCase>& op_cases();
// Case i's name as a GoogleTest name (letters, digits and '_').
std::string op_case_test_name(std::size_t i);

// The inputs of a case as CPU tensors of `dtype` (labels stay i64); the same values for every
// dtype and every call (seeded by the case's position and the input's index).
std::vector<Tensor> op_inputs(const OpCase& c, DType dtype);

}  // namespace deepobs::testing
