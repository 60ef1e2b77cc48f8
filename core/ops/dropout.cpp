#include "core/ops/dropout.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cuda/dropout.h"

namespace deepobs::ops {
namespace {

// y = x ⊙ mask, not recorded; the forward and the backward pass both go through here.
Tensor apply_mask(const char* op, const Tensor& x, const Tensor& mask) {
  check_same_dtype_device(op, x, mask);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, apply_mask, x.data<T>(), mask.data<T>(), y.data<T>(), x.numel());
  });
  return y;
}

}  // namespace

Tensor dropout(const Tensor& x, double rate, PhiloxGenerator& gen, const Tensor& call) {
  DEEPOBS_CHECK(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1), got ", rate);
  backend::launch("dropout", x, [](auto) {});  // dtype and device first: a bad call draws nothing
  if (rate == 0) return x;
  // The mask draw (one comparison per element; the Philox rounds are not counted) and one multiply
  // per element; the rule multiplies again. Bytes: x, mask and y (dy, mask and dx).
  profile::OpScope scope("dropout", [&] {
    return profile::elementwise_cost(x.numel(), dtype_size(x.dtype()), 2, 1, 1,
                                     x.requires_grad() ? 1 : 0, 2);
  });
  // The mask stores 0 or the scale itself, so forward and backward are one multiply each.
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  gen.keep_mask_(mask, rate, 1.0 / (1.0 - rate), call);
  Tensor y = apply_mask("dropout", x, mask);
  if (autograd::needs_grad({x}))
    autograd::record("dropout", {x}, {y}, {mask}, [](const auto& g) {
      return std::vector<Tensor>{apply_mask("dropout backward", g.g(), g.saved[0])};
    });
  return y;
}

}  // namespace deepobs::ops
