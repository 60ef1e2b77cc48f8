#include "core/ops/batch_gather.h"

#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/batch_gather.h"
#include "kernels/cuda/batch_gather.h"

namespace deepobs::ops {
namespace {

void check_counter(const char* op, const Tensor& counter, Device device) {
  DEEPOBS_CHECK(counter.dtype() == DType::I64 && counter.numel() == 1 && counter.device() == device,
                op, ": the counter must be one i64 on ", device.str(), ", got ", counter.str());
}

// Validates order and range against `rows` source rows and returns the index pointer of the
// order (null for stored order).
const std::int64_t* batch_index(const char* op, const Tensor& source, std::int64_t rows,
                                const Tensor& order, const Tensor& first, std::int64_t count) {
  check_counter(op, first, source.device());
  // Read only where that costs no wait for a device; a GPU run trusts its data set's counter.
  const std::int64_t f = source.device().is_cpu() ? *first.data<std::int64_t>() : 0;
  DEEPOBS_CHECK(count >= 0 && f >= 0, op, ": first (", f, ") and count (", count,
                ") must be non-negative");
  if (!order.defined()) {
    DEEPOBS_CHECK(f + count <= rows, op, ": rows [", f, ", ", f + count, ") exceed the ", rows,
                  " examples of ", source.str());
    return nullptr;
  }
  DEEPOBS_CHECK(order.dtype() == DType::I64 && order.dim() == 1, op,
                ": the order must be an i64 vector, got ", order.str());
  DEEPOBS_CHECK(order.device() == source.device(), op, ": the order ", order.str(),
                " is not on the device of ", source.str());
  DEEPOBS_CHECK(f + count <= order.size(0), op, ": positions [", f, ", ", f + count,
                ") exceed the order of ", order.size(0), " entries");
  return order.data<std::int64_t>();
}

}  // namespace

Tensor gather_examples(const Tensor& examples, const Tensor& order, const Tensor& first,
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
  // A gather (u8 rows also divided: one FLOP per value): rows read, f32 batch written.
  profile::OpScope scope(op, [&] {
    const std::int64_t n = count * row;
    return profile::OpCost{
        {examples.dtype() == DType::U8 ? static_cast<double>(n) : 0.0,
         profile::bytes_of(n, dtype_size(examples.dtype())) + profile::bytes_of(n, 4)},
        {}};
  });
  Shape shape = examples.shape();
  shape[0] = count;
  Tensor out = Tensor::empty(shape, DType::F32, examples.device());
  backend::launch_any(op, examples, [&](auto be) {
    const std::int64_t* f = first.data<std::int64_t>();
    float* dst = out.data<float>();
    if constexpr (decltype(be)::is_cpu) {
      const std::int64_t* rows_at = index ? index + *f : nullptr;
      if (examples.dtype() == DType::U8)
        kernels::cpu::gather_rows_u8_to_f32(examples.data<std::uint8_t>(), rows_at, *f, count, row,
                                            u8_divisor, dst);
      else
        kernels::cpu::gather_rows_f32(examples.data<float>(), rows_at, *f, count, row, dst);
    } else if (examples.dtype() == DType::U8) {
      kernels::cuda::gather_rows_u8_to_f32(be.ctx, examples.data<std::uint8_t>(), index, f, count,
                                           row, u8_divisor, dst);
    } else {
      kernels::cuda::gather_rows_f32(be.ctx, examples.data<float>(), index, f, count, row, dst);
    }
  });
  return out;
}

Tensor gather_labels(const Tensor& labels, const Tensor& order, const Tensor& first,
                     std::int64_t count) {
  constexpr const char* op = "gather_labels";
  DEEPOBS_CHECK(labels.dtype() == DType::I64 && labels.dim() == 1, op,
                ": labels must be an i64 vector, got ", labels.str());
  const std::int64_t* index = batch_index(op, labels, labels.size(0), order, first, count);
  profile::OpScope scope(op, [&] {
    return profile::OpCost{{0, profile::bytes_of(2 * count, 8)}, {}};
  });
  Tensor out = Tensor::empty({count}, DType::I64, labels.device());
  backend::launch_any(op, labels, [&](auto be) {
    const std::int64_t* f = first.data<std::int64_t>();
    if constexpr (decltype(be)::is_cpu)
      kernels::cpu::gather_i64(labels.data<std::int64_t>(), index ? index + *f : nullptr, *f, count,
                               out.data<std::int64_t>());
    else
      kernels::cuda::gather_i64(be.ctx, labels.data<std::int64_t>(), index, f, count,
                                out.data<std::int64_t>());
  });
  return out;
}

void advance_(const Tensor& counter, std::int64_t delta) {
  check_counter("advance_", counter, counter.device());
  backend::launch_any("advance_", counter, [&](auto be) {
    if constexpr (decltype(be)::is_cpu)
      *counter.data<std::int64_t>() += delta;
    else
      kernels::cuda::add_i64(be.ctx, counter.data<std::int64_t>(), delta);
  });
}

}  // namespace deepobs::ops
