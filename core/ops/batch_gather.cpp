#include "core/ops/batch_gather.h"

#include "core/ops/dispatch.h"
#include "kernels/cpu/batch_gather.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/batch_gather.h"
#include "kernels/cuda/context.h"
#endif

namespace deepobs::ops {
namespace {

// Validates order and range against `rows` source rows and returns the index pointer of the
// batch (null for stored order).
const std::int64_t* batch_index(const char* op, const Tensor& source, std::int64_t rows,
                                const Tensor& order, std::int64_t first, std::int64_t count) {
  DEEPOBS_CHECK(count >= 0 && first >= 0, op, ": first (", first, ") and count (", count,
                ") must be non-negative");
  if (!order.defined()) {
    DEEPOBS_CHECK(first + count <= rows, op, ": rows [", first, ", ", first + count,
                  ") exceed the ", rows, " examples of ", source.str());
    return nullptr;
  }
  DEEPOBS_CHECK(order.dtype() == DType::I64 && order.dim() == 1, op,
                ": the order must be an i64 vector, got ", order.str());
  DEEPOBS_CHECK(order.device() == source.device(), op, ": the order ", order.str(),
                " is not on the device of ", source.str());
  DEEPOBS_CHECK(first + count <= order.size(0), op, ": positions [", first, ", ", first + count,
                ") exceed the order of ", order.size(0), " entries");
  return order.data<std::int64_t>() + first;
}

#if DEEPOBS_WITH_CUDA
void* stream_of(const Tensor& t) {
  return kernels::cuda::stream(kernels::cuda::context(t.device().index));
}
#endif

}  // namespace

Tensor gather_examples(const Tensor& examples, const Tensor& order, std::int64_t first,
                       std::int64_t count, float u8_divisor) {
  constexpr const char* op = "gather_examples";
  DEEPOBS_CHECK(examples.dtype() == DType::U8 || examples.dtype() == DType::F32, op,
                ": examples must be u8 or f32, got ", examples.str());
  DEEPOBS_CHECK(examples.dim() >= 1, op, ": examples need a leading example dimension, got ",
                examples.str());
  DEEPOBS_CHECK(u8_divisor > 0.0f, op, ": u8_divisor must be positive, got ", u8_divisor);
  const std::int64_t rows = examples.size(0);
  const std::int64_t row = rows > 0 ? examples.numel() / rows : 0;
  const std::int64_t* index = batch_index(op, examples, rows, order, first, count);
  Shape shape = examples.shape();
  shape[0] = count;
  Tensor out = Tensor::empty(shape, DType::F32, examples.device());
  const bool bytes = examples.dtype() == DType::U8;
  if (examples.device().is_cpu()) {
    if (bytes)
      kernels::cpu::gather_rows_u8_to_f32(examples.data<std::uint8_t>(), index, first, count, row,
                                          u8_divisor, out.data<float>());
    else
      kernels::cpu::gather_rows_f32(examples.data<float>(), index, first, count, row,
                                    out.data<float>());
    return out;
  }
#if DEEPOBS_WITH_CUDA
  if (bytes)
    kernels::cuda::gather_rows_u8_to_f32(examples.data<std::uint8_t>(), index, first, count, row,
                                         u8_divisor, out.data<float>(), stream_of(examples));
  else
    kernels::cuda::gather_rows_f32(examples.data<float>(), index, first, count, row,
                                   out.data<float>(), stream_of(examples));
  return out;
#else
  detail::no_kernel_for_device(op, examples);
#endif
}

Tensor gather_labels(const Tensor& labels, const Tensor& order, std::int64_t first,
                     std::int64_t count) {
  constexpr const char* op = "gather_labels";
  DEEPOBS_CHECK(labels.dtype() == DType::I64 && labels.dim() == 1, op,
                ": labels must be an i64 vector, got ", labels.str());
  const std::int64_t* index = batch_index(op, labels, labels.size(0), order, first, count);
  Tensor out = Tensor::empty({count}, DType::I64, labels.device());
  if (labels.device().is_cpu()) {
    kernels::cpu::gather_i64(labels.data<std::int64_t>(), index, first, count,
                             out.data<std::int64_t>());
    return out;
  }
#if DEEPOBS_WITH_CUDA
  kernels::cuda::gather_i64(labels.data<std::int64_t>(), index, first, count,
                            out.data<std::int64_t>(), stream_of(labels));
  return out;
#else
  detail::no_kernel_for_device(op, labels);
#endif
}

}  // namespace deepobs::ops
