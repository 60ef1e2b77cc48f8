#include "core/ops/l2.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/l2.h"
#include "kernels/cuda/l2.h"

namespace deepobs::ops {
namespace {

// grad += 2·scale·g·x on the segments (grad: the buffer itself or a zeroed tensor).
void accumulate(const Tensor& x, const Tensor& segments, const Tensor& g, double scale,
                const Tensor& grad) {
  backend::launch("l2_penalty backward", x, [&](auto be) {
    using T = typename decltype(be)::type;
    const auto* seg = segments.data<std::int64_t>();
    if constexpr (decltype(be)::is_cpu)
      kernels::cpu::l2_penalty_backward(x.data<T>(), seg, segments.size(0),
                                        static_cast<T>(g.item()), static_cast<T>(scale),
                                        grad.data<T>());
    else
      kernels::cuda::l2_penalty_backward(be.ctx, x.data<T>(), seg, segments.size(0), g.data<T>(),
                                         static_cast<T>(scale), grad.data<T>());
  });
}

}  // namespace

Tensor l2_penalty(const Tensor& flat, const Tensor& segments, double scale) {
  constexpr const char* op = "l2_penalty";
  check_rank(op, "flat", flat, 1);
  DEEPOBS_CHECK(segments.dtype() == DType::I64 && segments.dim() == 2 && segments.size(1) == 2 &&
                    segments.device() == flat.device(),
                op, ": segments must be i64 [K, 2] on ", flat.device().str(), ", got ",
                segments.str());
  // Σ x² over the segments: a multiply-add per element; the rule adds 2·scale·x·g into the
  // gradient (a multiply and a multiply-add per element: 3 FLOPs; x read, gradient read and
  // written).
  profile::OpScope scope(op, [&] {
    const std::int64_t n = flat.numel();
    const std::size_t es = dtype_size(flat.dtype());
    return profile::OpCost{{2.0 * static_cast<double>(n), profile::bytes_of(n, es)},
                           {3.0 * static_cast<double>(n), profile::bytes_of(3 * n, es)}};
  });
  Tensor y = Tensor::empty({}, flat.dtype(), flat.device());
  backend::launch(op, flat, [&](auto be) {
    using T = typename decltype(be)::type;
    const auto* seg = segments.data<std::int64_t>();
    if constexpr (decltype(be)::is_cpu) {
      for (std::int64_t k = 0; k < segments.size(0); ++k)
        DEEPOBS_CHECK(
            seg[2 * k] >= 0 && seg[2 * k + 1] >= 0 && seg[2 * k] + seg[2 * k + 1] <= flat.numel(),
            op, ": segment ", k, " [", seg[2 * k], ", +", seg[2 * k + 1], ") is outside ",
            flat.str());
      *y.data<T>() =
          kernels::cpu::l2_penalty(flat.data<T>(), seg, segments.size(0), static_cast<T>(scale));
    } else {
      kernels::cuda::l2_penalty(be.ctx, flat.data<T>(), seg, segments.size(0),
                                static_cast<T>(scale), y.data<T>());
    }
  });
  if (autograd::needs_grad({flat}))
    autograd::record(op, {flat}, {y}, {flat, segments}, [scale](const auto& g) {
      const Tensor &x = g.saved[0], &seg = g.saved[1];
      if (g.buffers[0].defined()) {  // the packed model's gradient buffer: no temporary
        accumulate(x, seg, g.g(), scale, g.buffers[0]);
        return std::vector<Tensor>{Tensor()};
      }
      Tensor grad = Tensor::zeros(x.shape(), x.dtype(), x.device());
      accumulate(x, seg, g.g(), scale, grad);
      return std::vector<Tensor>{grad};
    });
  return y;
}

}  // namespace deepobs::ops
