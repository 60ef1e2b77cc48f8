#include "core/ops/batch_norm.h"

#include <cmath>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/ops/elementwise.h"
#include "core/profiler.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/cuda/batch_norm.h"

namespace deepobs::ops {
namespace {

using V = std::vector<Tensor>;

struct Layout {
  std::int64_t batch, channels, spatial;
};

// The checks of both modes; returns x as [N, C, spatial].
Layout check_operands(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                      double epsilon) {
  DEEPOBS_CHECK(x.defined() && gamma.defined() && beta.defined(), op,
                ": x, gamma and beta must all be given");
  DEEPOBS_CHECK(x.dim() >= 2, op, ": input ", shape_str(x.shape()),
                " needs rank >= 2 ([N, C, spatial...])");
  check_floating(op, "input", x);
  check_same_dtype_device(op, x, gamma);
  check_same_dtype_device(op, x, beta);
  const std::int64_t c = x.size(1);
  DEEPOBS_CHECK(gamma.dim() == 1 && gamma.size(0) == c && beta.dim() == 1 && beta.size(0) == c, op,
                ": gamma ", shape_str(gamma.shape()), " and beta ", shape_str(beta.shape()),
                " must be [", c, "] for input ", shape_str(x.shape()));
  DEEPOBS_CHECK(std::isfinite(epsilon) && epsilon > 0, op, ": epsilon must be > 0, got ", epsilon);
  DEEPOBS_CHECK(x.numel() > 0, op, ": input ", shape_str(x.shape()), " is empty");
  backend::launch(op, x, [](auto) {});  // fails early for a device or dtype without kernels
  return {x.size(0), c, x.numel() / (x.size(0) * c)};
}

Tensor channel_vector(const Tensor& like, std::int64_t c) {
  return Tensor::empty({c}, like.dtype(), like.device());
}

// [C] viewed so that it broadcasts against x [N, C, ...].
Tensor per_channel(const Tensor& v, const Tensor& x) {
  Shape s(static_cast<std::size_t>(x.dim()), 1);
  s[1] = x.size(1);
  return v.view(s);
}

// The profiler's cost of batch norm over x's n elements: training counts 8 FLOPs per element
// (mean: 1, variance: 3, (x − mean)·inv_std·gamma + beta: 4) and its backward 9 (dbeta 1, dgamma
// 3, dx 5); inference 4 forward and 4 backward. Bytes: x and y (and dy, dx) plus the [C] vectors.
profile::OpCost batch_norm_cost(const Tensor& x, const Layout& l, bool train, int vectors) {
  const std::size_t es = dtype_size(x.dtype());
  const std::int64_t n = x.numel();
  const std::int64_t v = vectors * l.channels;
  profile::OpCost c;
  c.forward = {static_cast<double>(n) * (train ? 8 : 4), profile::bytes_of(2 * n + v, es)};
  c.backward = {static_cast<double>(n) * (train ? 9 : 4), profile::bytes_of(3 * n + v, es)};
  return c;
}

}  // namespace

Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon,
                        BatchStatistics* statistics) {
  constexpr const char* op = "batch_norm_train";
  const Layout l = check_operands(op, x, gamma, beta, epsilon);
  profile::OpScope scope(op, [&] { return batch_norm_cost(x, l, true, 6); });
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor save_mean = channel_vector(x, l.channels), save_inv_std = channel_vector(x, l.channels);
  if (statistics) *statistics = {channel_vector(x, l.channels), channel_vector(x, l.channels)};
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    T* bm = statistics ? statistics->mean.data<T>() : nullptr;
    T* bv = statistics ? statistics->variance.data<T>() : nullptr;
    DEEPOBS_KERNEL(be, batch_norm_forward_train, x.data<T>(), gamma.data<T>(), beta.data<T>(),
                   l.batch, l.channels, l.spatial, epsilon, y.data<T>(), save_mean.data<T>(),
                   save_inv_std.data<T>(), bm, bv);
  });
  if (autograd::needs_grad({x, gamma, beta}))
    autograd::record(
        op, {x, gamma, beta}, {y}, {x, gamma, save_mean, save_inv_std},
        [l, epsilon](const autograd::Grads& gr) {
          constexpr const char* bop = "batch_norm_train backward";
          const Tensor &sx = gr.saved[0], &sg = gr.saved[1], &dy = gr.g();
          Tensor dx = gr.wants[0] ? Tensor::empty(sx.shape(), sx.dtype(), sx.device()) : Tensor();
          Tensor dgamma = channel_vector(sx, l.channels), dbeta = channel_vector(sx, l.channels);
          backend::launch(bop, sx, [&](auto be) {
            using T = typename decltype(be)::type;
            DEEPOBS_KERNEL(be, batch_norm_backward, sx.data<T>(), dy.data<T>(), sg.data<T>(),
                           gr.saved[2].data<T>(), gr.saved[3].data<T>(), l.batch, l.channels,
                           l.spatial, epsilon, dx.defined() ? dx.data<T>() : nullptr,
                           dgamma.data<T>(), dbeta.data<T>());
          });
          return V{dx, gr.wants[1] ? dgamma : Tensor(), gr.wants[2] ? dbeta : Tensor()};
        });
  return y;
}

Tensor batch_norm_inference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& mean, const Tensor& variance, double epsilon) {
  constexpr const char* op = "batch_norm_inference";
  const Layout l = check_operands(op, x, gamma, beta, epsilon);
  DEEPOBS_CHECK(mean.defined() && variance.defined(), op, ": mean and variance must be given");
  check_same_dtype_device(op, x, mean);
  check_same_dtype_device(op, x, variance);
  DEEPOBS_CHECK(mean.dim() == 1 && mean.size(0) == l.channels && variance.dim() == 1 &&
                    variance.size(0) == l.channels,
                op, ": mean ", shape_str(mean.shape()), " and variance ",
                shape_str(variance.shape()), " must be [", l.channels, "] for input ",
                shape_str(x.shape()));
  DEEPOBS_CHECK(!mean.requires_grad() && !variance.requires_grad(), op,
                ": the statistics are constants here and must not require gradients");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, batch_norm_forward_inference, x.data<T>(), gamma.data<T>(), beta.data<T>(),
                   mean.data<T>(), variance.data<T>(), l.batch, l.channels, l.spatial, epsilon,
                   y.data<T>());
  });
  if (autograd::needs_grad({x, gamma, beta}))
    // With fixed statistics the map is affine per channel: y = x̂·gamma + beta with
    // x̂ = (x − mean)·s, s = 1/sqrt(variance + epsilon). Written with the ops (the rule runs under
    // NoGrad); evaluation never records it (the runner evaluates under NoGrad).
    autograd::record(op, {x, gamma, beta}, {y}, {x, gamma, mean, variance},
                     [epsilon](const autograd::Grads& gr) {
                       const Tensor &sx = gr.saved[0], &dy = gr.g();
                       const Tensor s = pow(add_scalar(gr.saved[3], epsilon), -0.5);
                       const Shape channel_shape = per_channel(s, sx).shape();
                       V out(3);
                       if (gr.wants[0]) out[0] = mul(dy, per_channel(mul(gr.saved[1], s), sx));
                       if (gr.wants[1]) {
                         const Tensor xhat =
                             mul(sub(sx, per_channel(gr.saved[2], sx)), per_channel(s, sx));
                         out[1] = sum_to(mul(dy, xhat), channel_shape).view(s.shape());
                       }
                       if (gr.wants[2]) out[2] = sum_to(dy, channel_shape).view(s.shape());
                       return out;
                     });
  return y;
}

void update_moving_statistics_(const Tensor& moving_mean, const Tensor& moving_variance,
                               const BatchStatistics& batch, double momentum) {
  constexpr const char* op = "update_moving_statistics_";
  DEEPOBS_CHECK(moving_mean.defined() && moving_variance.defined() && batch.mean.defined() &&
                    batch.variance.defined(),
                op, ": the moving and the batch statistics must all be given");
  for (const Tensor* t : {&moving_variance, &batch.mean, &batch.variance}) {
    check_same_dtype_device(op, moving_mean, *t);
    DEEPOBS_CHECK(t->shape() == moving_mean.shape() && moving_mean.dim() == 1, op, ": statistics ",
                  shape_str(t->shape()), " and ", shape_str(moving_mean.shape()),
                  " must be equal [C] vectors");
  }
  DEEPOBS_CHECK(momentum >= 0 && momentum <= 1, op, ": momentum must be in [0, 1], got ", momentum);
  // Two lerps (3 FLOPs each) per channel over four [C] vectors, two of them written back.
  profile::OpScope scope(op, [&] {
    const std::int64_t c = moving_mean.numel();
    return profile::OpCost{
        {6.0 * static_cast<double>(c), profile::bytes_of(6 * c, dtype_size(moving_mean.dtype()))},
        {}};
  });
  backend::launch(op, moving_mean, [&](auto be) {
    using T = typename decltype(be)::type;
    const T decay = T(1) - static_cast<T>(momentum);
    DEEPOBS_KERNEL(be, batch_norm_update_moving, moving_mean.data<T>(), moving_variance.data<T>(),
                   batch.mean.data<T>(), batch.variance.data<T>(), moving_mean.numel(), decay);
  });
}

}  // namespace deepobs::ops
