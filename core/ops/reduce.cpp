#include "core/ops/reduce.h"

#include <cstddef>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "core/ops/elementwise_detail.h"
#include "kernels/cpu/reduce.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/reduce.h"
#endif

namespace deepobs::ops {
namespace {

// The shapes of one reduction: `keep` is x's shape with the reduced extents set to 1 (what the
// kernel writes and what the gradient broadcasts from), `out` the shape returned to the caller.
struct Reduction {
  Shape keep;
  Shape out;
  std::int64_t count = 1;  // elements summed into each output element
};

Reduction reduce_all(const Tensor& x) {
  return Reduction{Shape(x.shape().size(), 1), Shape{}, x.numel()};
}

Reduction reduce_axes(const char* op, const Tensor& x, const std::vector<std::int64_t>& axes,
                      bool keepdim) {
  const std::int64_t rank = x.dim();
  DEEPOBS_CHECK(!axes.empty(), op, ": empty axis list for ", x.str(), " (use ", op,
                "(x) to reduce every element)");
  std::vector<bool> reduced(static_cast<std::size_t>(rank), false);
  for (const std::int64_t a : axes) {
    DEEPOBS_CHECK(a >= -rank && a < rank, op, ": axis ", a, " is out of range for ",
                  shape_str(x.shape()), " (rank ", rank, ")");
    const auto d = static_cast<std::size_t>(a < 0 ? a + rank : a);
    DEEPOBS_CHECK(!reduced[d], op, ": axis ", a, " names dimension ", d, " of ",
                  shape_str(x.shape()), " a second time");
    reduced[d] = true;
  }
  Reduction r;
  for (std::size_t d = 0; d < reduced.size(); ++d) {
    const std::int64_t e = x.shape()[d];
    r.keep.push_back(reduced[d] ? 1 : e);
    if (reduced[d]) r.count *= e;
    if (!reduced[d] || keepdim) r.out.push_back(reduced[d] ? 1 : e);
  }
  return r;
}

Tensor reduce(const char* op, const Tensor& x, const Reduction& r, bool is_mean) {
  DEEPOBS_CHECK(!is_mean || r.count > 0, op, ": cannot average over zero elements of ", x.str());
  const auto backend = detail::backend_for(op, x);
  const double scale = is_mean ? 1.0 / static_cast<double>(r.count) : 1.0;
  Tensor y = Tensor::empty(r.out, x.dtype(), x.device());
  if (backend == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::sum_to_shape(detail::cuda_context(x), x.shape(), x.data<float>(), r.keep,
                                y.data<float>(), scale);
#endif
  } else {
    detail::dispatch_floating(op, x, [&](auto t) {
      using T = decltype(t);
      kernels::cpu::sum_to_shape<T>(x.shape(), x.data<T>(), r.keep, y.data<T>(), scale);
    });
  }
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, y, [xs = x.shape(), keep = r.keep, scale](const Tensor& g) {
      // Every reduced element contributed with weight `scale`, so each receives scale·g.
      Tensor gx = detail::broadcast_to_raw(g.view(keep), xs);
      if (scale != 1.0) gx = detail::scale_raw(gx, scale);
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace

Tensor sum(const Tensor& x) {
  check_floating("sum", "input", x);
  return reduce("sum", x, reduce_all(x), false);
}

Tensor mean(const Tensor& x) {
  check_floating("mean", "input", x);
  return reduce("mean", x, reduce_all(x), true);
}

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  check_floating("sum", "input", x);
  return reduce("sum", x, reduce_axes("sum", x, axes, keepdim), false);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  check_floating("mean", "input", x);
  return reduce("mean", x, reduce_axes("mean", x, axes, keepdim), true);
}

}  // namespace deepobs::ops
