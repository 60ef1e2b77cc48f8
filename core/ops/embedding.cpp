#include "core/ops/embedding.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cuda/embedding.h"

namespace deepobs::ops {

Tensor embedding(const Tensor& table, const Tensor& ids) {
  constexpr const char* op = "embedding";
  check_rank(op, "table", table, 2);
  check_floating(op, "table", table);
  DEEPOBS_CHECK(ids.dtype() == DType::I64, op, ": ids must be i64, got ", ids.str());
  DEEPOBS_CHECK(ids.device() == table.device(), op, ": ids ", ids.str(),
                " are not on the device of the table ", table.str());
  const std::int64_t vocabulary = table.size(0), width = table.size(1), count = ids.numel();
  if (ids.device().is_cpu()) {
    const std::int64_t* p = ids.data<std::int64_t>();
    for (std::int64_t n = 0; n < count; ++n)
      DEEPOBS_CHECK(p[n] >= 0 && p[n] < vocabulary, op, ": id ", p[n], " at position ", n,
                    " is outside the vocabulary [0, ", vocabulary, ") of table ", table.str());
  }
  // A gather: no FLOPs; the ids and the rows read, the output written. The rule zeroes the table
  // gradient and adds every output gradient row into it (one addition per element).
  profile::OpScope scope(op, [&] {
    const std::size_t es = dtype_size(table.dtype());
    const std::int64_t n = count * width;
    return profile::OpCost{
        {0, profile::bytes_of(2 * n, es) + profile::bytes_of(count, 8)},
        {table.requires_grad() ? static_cast<double>(n) : 0.0,
         profile::bytes_of(n + table.numel(), es) + profile::bytes_of(count, 8)}};
  });
  Shape shape = ids.shape();
  shape.push_back(width);
  Tensor out = Tensor::empty(shape, table.dtype(), table.device());
  backend::launch(op, table, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, embedding_forward, table.data<T>(), ids.data<std::int64_t>(), count,
                   vocabulary, width, out.data<T>());
  });
  if (autograd::needs_grad({table}))
    autograd::record(op, {table}, {out}, {ids}, [vocabulary, width](const autograd::Grads& g) {
      const Tensor &sid = g.saved[0], &dy = g.g();
      Tensor grad = Tensor::empty({vocabulary, width}, dy.dtype(), dy.device());
      backend::launch("embedding backward", dy, [&](auto be) {
        using T = typename decltype(be)::type;
        DEEPOBS_KERNEL(be, embedding_backward, dy.data<T>(), sid.data<std::int64_t>(), sid.numel(),
                       vocabulary, width, grad.data<T>());
      });
      return std::vector<Tensor>{grad};
    });
  return out;
}

}  // namespace deepobs::ops
