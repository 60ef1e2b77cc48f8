#include "core/ops/reduce.h"

#include <cstddef>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/ops/elementwise.h"
#include "core/profiler.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/reduce.h"

namespace deepobs::ops {
namespace {

// The shapes of one reduction: `keep` is x's shape with the reduced extents set to 1 (what the
// kernel writes and what the gradient broadcasts from), `out` the shape returned to the caller.
struct Reduction {
  Shape keep;
  Shape out;
  std::int64_t count = 1;  // elements summed into each output element
};

Reduction reduce_axes(const char* op, const Tensor& x, const std::vector<std::int64_t>& axes,
                      bool keepdim) {
  check_floating(op, "input", x);
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
  const double scale = is_mean ? 1.0 / static_cast<double>(r.count) : 1.0;
  // One addition per input element (and mean's scaling per output); the rule broadcasts the
  // gradient back (and scales it for mean: one FLOP per input element).
  profile::OpScope scope(op, [&] {
    const std::int64_t out = shape_numel(r.out);
    const double bytes = profile::bytes_of(x.numel() + out, dtype_size(x.dtype()));
    return profile::OpCost{
        {static_cast<double>(x.numel() + (is_mean ? out : 0)), bytes},
        {is_mean && x.requires_grad() ? static_cast<double>(x.numel()) : 0.0, bytes}};
  });
  Tensor y = Tensor::empty(r.out, x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, sum_to_shape, x.shape(), x.data<T>(), r.keep, y.data<T>(), scale);
  });
  if (autograd::needs_grad({x}))
    autograd::record(op, {x}, {y}, {}, [xs = x.shape(), keep = r.keep, scale](const auto& g) {
      // Every reduced element contributed with weight `scale`, so each receives scale·g.
      Tensor gx = broadcast_to(g.g().view(keep), xs);
      return std::vector<Tensor>{scale != 1.0 ? mul_scalar(gx, scale) : gx};
    });
  return y;
}

Reduction reduce_all(const char* op, const Tensor& x) {
  check_floating(op, "input", x);
  return Reduction{Shape(x.shape().size(), 1), Shape{}, x.numel()};
}

}  // namespace

Tensor sum(const Tensor& x) {
  return reduce("sum", x, reduce_all("sum", x), false);
}

Tensor mean(const Tensor& x) {
  return reduce("mean", x, reduce_all("mean", x), true);
}

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return reduce("sum", x, reduce_axes("sum", x, axes, keepdim), false);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return reduce("mean", x, reduce_axes("mean", x, axes, keepdim), true);
}

}  // namespace deepobs::ops
