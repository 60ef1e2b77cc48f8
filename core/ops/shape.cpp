#include "core/ops/shape.h"

#include <cstddef>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/copy.h"
#include "kernels/cuda/copy.h"

namespace deepobs::ops {
namespace {

// x.view(shape), recorded as `op`. The gradient is a view of the incoming one: no copy either way.
Tensor view_recorded(const char* op, const Tensor& x, const Shape& shape) {
  profile::OpScope scope(op, [] { return profile::OpCost{}; });  // a view: nothing computed, moved
  Tensor y = x.view(shape);
  if (autograd::needs_grad({x}))
    autograd::record(op, {x}, {y}, {}, [xs = x.shape()](const auto& g) {
      return std::vector<Tensor>{g.g().view(xs)};
    });
  return y;
}

// Geometry of a concat along `axis`: the tensors are `outer` rows (the product of the extents
// before the axis), and within a row input k occupies `width[k]` consecutive elements.
struct ConcatGeometry {
  std::int64_t outer = 1;
  std::vector<std::int64_t> width;
  std::int64_t total = 0;  // Σ width: the row length of the result
};

// Row copies of bytes (any dtype) on the device of `like` (kernels/cpu/copy.h semantics).
void copy_rows(const Tensor& like, const void* src, std::int64_t src_pitch, void* dst,
               std::int64_t dst_pitch, std::int64_t rows, std::int64_t row_bytes) {
  backend::launch_any("concat", like, [&](auto be) {
    DEEPOBS_KERNEL(be, copy_rows, src, src_pitch, dst, dst_pitch, rows, row_bytes);
  });
}

ConcatGeometry concat_geometry(const std::vector<Tensor>& xs, std::size_t axis) {
  ConcatGeometry geo;
  const Shape& s0 = xs[0].shape();
  for (std::size_t d = 0; d < axis; ++d)
    geo.outer *= s0[d];
  for (const auto& x : xs) {
    std::int64_t w = 1;
    for (std::size_t d = axis; d < x.shape().size(); ++d)
      w *= x.shape()[d];
    geo.width.push_back(w);
    geo.total += w;
  }
  return geo;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  DEEPOBS_CHECK(x.defined(), "reshape: undefined tensor");
  Shape resolved = shape;
  std::size_t inferred = shape.size();  // index of the −1, or shape.size() for none
  std::int64_t known = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      DEEPOBS_CHECK(inferred == shape.size(), "reshape: ", shape_str(shape),
                    " has more than one -1 extent");
      inferred = d;
      continue;
    }
    DEEPOBS_CHECK(shape[d] >= 0, "reshape: ", shape_str(shape), " has the negative extent ",
                  shape[d]);
    known *= shape[d];
  }
  if (inferred < shape.size()) {
    DEEPOBS_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot reshape ",
                  shape_str(x.shape()), " (", x.numel(), " elements) to ", shape_str(shape));
    resolved[inferred] = x.numel() / known;
  }
  DEEPOBS_CHECK(shape_numel(resolved) == x.numel(), "reshape: cannot reshape ",
                shape_str(x.shape()), " (", x.numel(), " elements) to ", shape_str(shape));
  return view_recorded("reshape", x, resolved);
}

Tensor flatten(const Tensor& x) {
  DEEPOBS_CHECK(x.defined(), "flatten: undefined tensor");
  DEEPOBS_CHECK(x.dim() >= 1, "flatten: needs a batch dimension, got the scalar ", x.str());
  std::int64_t rest = 1;
  for (std::int64_t d = 1; d < x.dim(); ++d)
    rest *= x.shape()[static_cast<std::size_t>(d)];
  return view_recorded("flatten", x, {x.size(0), rest});
}

Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis) {
  DEEPOBS_CHECK(!xs.empty(), "concat: needs at least one tensor");
  const Tensor& x0 = xs[0];
  DEEPOBS_CHECK(x0.defined(), "concat: tensor 0 is undefined");
  const std::int64_t rank = x0.dim();
  DEEPOBS_CHECK(rank >= 1, "concat: cannot join scalars, got ", x0.str());
  DEEPOBS_CHECK(axis >= -rank && axis < rank, "concat: axis ", axis, " is out of range for ",
                shape_str(x0.shape()), " (rank ", rank, ")");
  const auto ax = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
  Shape out = x0.shape();
  out[ax] = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    DEEPOBS_CHECK(x.defined(), "concat: tensor ", k, " is undefined");
    check_same_dtype_device("concat", x0, x);
    bool match = x.dim() == rank;
    for (std::size_t d = 0; match && d < x.shape().size(); ++d)
      match = d == ax || x.shape()[d] == x0.shape()[d];
    DEEPOBS_CHECK(match, "concat: shapes ", shape_str(x0.shape()), " and ", shape_str(x.shape()),
                  " (tensor ", k, ") differ outside axis ", axis);
    out[ax] += x.shape()[ax];
  }
  // Plain byte copies (copy_rows): every dtype works on every device, f64 on CUDA included.

  const ConcatGeometry geo = concat_geometry(xs, ax);
  // Copies only: every input read and the result written (and back for the gradients).
  profile::OpScope scope("concat", [&] {
    const double bytes = profile::bytes_of(2 * shape_numel(out), dtype_size(x0.dtype()));
    return profile::OpCost{{0, bytes}, {0, bytes}};
  });
  const auto es = static_cast<std::int64_t>(dtype_size(x0.dtype()));
  Tensor y = Tensor::empty(out, x0.dtype(), x0.device());
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    copy_rows(x0, xs[k].raw_data(), geo.width[k] * es,
              static_cast<char*>(y.raw_data()) + offset * es, geo.total * es, geo.outer,
              geo.width[k] * es);
    offset += geo.width[k];
  }

  if (autograd::needs_grad(xs)) {
    std::vector<Shape> shapes;
    for (const auto& x : xs)
      shapes.push_back(x.shape());
    autograd::record("concat", xs, {y}, {}, [geo, shapes, es](const auto& g) {
      std::vector<Tensor> grads(shapes.size());
      std::int64_t off = 0;
      for (std::size_t k = 0; k < shapes.size(); ++k) {
        if (g.wants[k]) {
          grads[k] = Tensor::empty(shapes[k], g.g().dtype(), g.g().device());
          copy_rows(g.g(), static_cast<const char*>(g.g().raw_data()) + off * es, geo.total * es,
                    grads[k].raw_data(), geo.width[k] * es, geo.outer, geo.width[k] * es);
        }
        off += geo.width[k];
      }
      return grads;
    });
  }
  return y;
}

}  // namespace deepobs::ops
