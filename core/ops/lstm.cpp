#include "core/ops/lstm.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/capture_safety.h"
#include "core/profiler.h"
#include "kernels/cpu/lstm.h"
#include "kernels/cuda/lstm.h"

namespace deepobs::ops {
namespace {

using kernels::LstmShape;
using kernels::LstmSpaceSizes;

// The backend's extra memory for one call: bytes on its device (undefined when none).
Tensor bytes(std::size_t n, Device device) {
  return n == 0 ? Tensor() : Tensor::empty({static_cast<std::int64_t>(n)}, DType::U8, device);
}
void* ptr(const Tensor& t) {
  return t.defined() ? t.data<std::uint8_t>() : nullptr;
}

template <class B>
LstmSpaceSizes space_sizes(B be, const LstmShape& s) {
  if constexpr (B::is_cpu)
    return kernels::cpu::lstm_space_sizes<typename B::type>(s);
  else
    return kernels::cuda::lstm_space_sizes(be.ctx, s);
}

// The profiler's cost of an LSTM layer: per time step one product [x_t, h] [B, I + H] · kernel
// [I + H, 4H] (2 FLOPs per multiply-add) and 22 FLOPs per hidden unit of the cell (4 bias adds,
// three sigmoids of 4, tanh of the candidate, c = f·c + i·g (3), tanh c, h = o·tanh c); the
// backward rule twice the products (input/state and kernel gradients) and 30 per hidden unit.
// Bytes: x, h0, c0, kernel, bias read, y, h, c written (backward: those read again plus dy, and
// every gradient written); the reserve space of cuDNN / our CPU twin is not counted.
profile::OpCost lstm_cost(const LstmShape& s, const Tensor& x) {
  const std::size_t es = dtype_size(x.dtype());
  const double bt = static_cast<double>(s.batch * s.steps);
  const double product = 2.0 * bt * static_cast<double>((s.input + s.hidden) * 4 * s.hidden);
  const double cell = bt * static_cast<double>(s.hidden);
  const std::int64_t params = (s.input + s.hidden) * 4 * s.hidden + 4 * s.hidden;
  const std::int64_t io = s.batch * s.steps * (s.input + s.hidden) + 4 * s.batch * s.hidden;
  profile::OpCost c;
  c.forward = {product + 22 * cell, profile::bytes_of(io + params, es)};
  c.backward = {2 * product + 30 * cell, profile::bytes_of(2 * io + 2 * params, es)};
  return c;
}

}  // namespace

LstmResult lstm(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                const Tensor& bias, double forget_bias) {
  constexpr const char* op = "lstm";
  check_rank(op, "input", x, 3);
  check_rank(op, "h0", h0, 2);
  check_rank(op, "c0", c0, 2);
  check_rank(op, "kernel", kernel, 2);
  check_rank(op, "bias", bias, 1);
  check_floating(op, "input", x);
  for (const Tensor* t : {&h0, &c0, &kernel, &bias})
    check_same_dtype_device(op, x, *t);
  const LstmShape s{x.size(0), x.size(1), x.size(2), h0.size(1)};
  DEEPOBS_CHECK(s.batch >= 1 && s.steps >= 1 && s.input >= 1 && s.hidden >= 1, op, ": empty input ",
                shape_str(x.shape()), " or state ", shape_str(h0.shape()));
  DEEPOBS_CHECK(h0.shape() == (Shape{s.batch, s.hidden}) && c0.shape() == h0.shape(), op,
                ": states h0 ", shape_str(h0.shape()), " and c0 ", shape_str(c0.shape()),
                " must both be [", s.batch, ", hidden] for input ", shape_str(x.shape()));
  DEEPOBS_CHECK(kernel.shape() == (Shape{s.input + s.hidden, 4 * s.hidden}), op, ": kernel ",
                shape_str(kernel.shape()), " must be [input + hidden, 4·hidden] = [",
                s.input + s.hidden, ", ", 4 * s.hidden, "] for input ", shape_str(x.shape()),
                " and hidden size ", s.hidden);
  DEEPOBS_CHECK(bias.shape() == (Shape{4 * s.hidden}), op, ": bias ", shape_str(bias.shape()),
                " must be [", 4 * s.hidden, "]");
  profile::OpScope scope(op, [&] { return lstm_cost(s, x); });
  const Device dev = x.device();
  if (dev.is_cuda())
    refuse_capture(op,
                   "cuDNN's RNN plan uploads host-side sequence lengths with a synchronous "
                   "copy, and a recurrent model carries its state from step to step");
  Tensor y = Tensor::empty({s.batch, s.steps, s.hidden}, x.dtype(), dev);
  Tensor h = Tensor::empty({s.batch, s.hidden}, x.dtype(), dev);
  Tensor c = Tensor::empty({s.batch, s.hidden}, x.dtype(), dev);
  Tensor weights, reserve;
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    const LstmSpaceSizes sizes = space_sizes(be, s);
    weights = bytes(sizes.weight_bytes, dev);
    reserve = bytes(sizes.reserve_bytes, dev);
    DEEPOBS_KERNEL(be, lstm_forward, s, static_cast<T>(forget_bias), x.data<T>(), h0.data<T>(),
                   c0.data<T>(), kernel.data<T>(), bias.data<T>(), y.data<T>(), h.data<T>(),
                   c.data<T>(), ptr(weights), ptr(reserve));
  });
  if (autograd::needs_grad({x, h0, c0, kernel, bias}))
    autograd::record(
        op, {x, h0, c0, kernel, bias}, {y, h, c}, {x, h0, c0, kernel, y, weights, reserve},
        [s](const autograd::Grads& g) {
          const Tensor &sx = g.saved[0], &sh0 = g.saved[1], &sc0 = g.saved[2], &sk = g.saved[3],
                       &sy = g.saved[4], &sw = g.saved[5], &sr = g.saved[6];
          // cuDNN reads dy in any case: a missing one is zeros.
          const Tensor dy =
              g.out[0].defined() ? g.out[0] : Tensor::zeros(sy.shape(), sy.dtype(), sy.device());
          const Tensor &dh = g.out[1], &dc = g.out[2];
          Tensor dx = Tensor::empty(sx.shape(), sx.dtype(), sx.device());
          Tensor dh0 = Tensor::empty(sh0.shape(), sx.dtype(), sx.device());
          Tensor dc0 = Tensor::empty(sc0.shape(), sx.dtype(), sx.device());
          Tensor dk = Tensor::empty(sk.shape(), sx.dtype(), sx.device());
          Tensor db = Tensor::empty({4 * s.hidden}, sx.dtype(), sx.device());
          const Tensor dw =
              sw.defined() ? Tensor::empty(sw.shape(), DType::U8, sw.device()) : Tensor();
          backend::launch("lstm backward", sx, [&](auto be) {
            using T = typename decltype(be)::type;
            const auto opt = [](const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
            DEEPOBS_KERNEL(be, lstm_backward, s, sx.data<T>(), sh0.data<T>(), sc0.data<T>(),
                           sk.data<T>(), sy.data<T>(), dy.data<T>(), opt(dh), opt(dc), ptr(sw),
                           ptr(sr), dx.data<T>(), dh0.data<T>(), dc0.data<T>(), dk.data<T>(),
                           db.data<T>(), ptr(dw));
          });
          return std::vector<Tensor>{dx, dh0, dc0, dk, db};
        });
  return {y, h, c};
}

}  // namespace deepobs::ops
