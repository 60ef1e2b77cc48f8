#include "core/ops/dropout.h"

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/dropout.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/dropout.h"
#endif

namespace deepobs::ops {
namespace {

// y = x ⊙ mask without autograd; the forward and the backward pass both go through here.
Tensor apply_mask(const char* op, const Tensor& x, const Tensor& mask) {
  check_same_dtype_device(op, x, mask);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (detail::backend_for(op, x) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::apply_mask(detail::cuda_context(x), x.data<float>(), mask.data<float>(),
                              y.data<float>(), x.numel());
#endif
    return y;
  }
  detail::dispatch_floating(op, x, [&](auto v) {
    using T = decltype(v);
    kernels::cpu::apply_mask<T>(x.data<T>(), mask.data<T>(), y.data<T>(), x.numel());
  });
  return y;
}

}  // namespace

Tensor dropout(const Tensor& x, double rate, PhiloxGenerator& gen) {
  DEEPOBS_CHECK(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1), got ", rate);
  check_floating("dropout", "input", x);
  (void)detail::backend_for("dropout", x);
  if (rate == 0) return x;
  // The mask stores 0 or the scale itself, so forward and backward are one multiply each.
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  gen.keep_mask_(mask, rate, 1.0 / (1.0 - rate));
  Tensor y = apply_mask("dropout", x, mask);
  if (autograd::needs_grad({x})) {
    autograd::record("dropout", {x}, y, [mask](const Tensor& g) {
      return std::vector<Tensor>{apply_mask("dropout backward", g, mask)};
    });
  }
  return y;
}

}  // namespace deepobs::ops
