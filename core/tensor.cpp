#include "core/tensor.h"

#include <cmath>
#include <cstring>

#include "core/backend.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/memory.h"

namespace deepobs {
namespace {

std::shared_ptr<detail::TensorImpl> make_impl(std::shared_ptr<Storage> storage, std::int64_t offset,
                                              const Shape& shape, DType dtype) {
  auto impl = std::make_shared<detail::TensorImpl>();
  impl->storage = std::move(storage);
  impl->offset = offset;
  impl->shape = shape;
  impl->dtype = dtype;
  return impl;
}

kernels::cuda::ElementType element_type(DType d) {
  return static_cast<kernels::cuda::ElementType>(static_cast<int>(d));  // same order
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  const auto bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  return Tensor(make_impl(std::make_shared<Storage>(bytes, device), 0, shape, dtype));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype, Device device) {
  return full({}, value, dtype, device);
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  DEEPOBS_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(shape),
                "Tensor::from_vector: ", values.size(), " values do not fill shape ",
                shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, Device device) {
  const auto bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  return Tensor(make_impl(Storage::wrap(data, bytes, device), 0, shape, dtype));
}

std::int64_t Tensor::size(std::int64_t d) const {
  const auto r = dim();
  const auto i = d < 0 ? d + r : d;
  DEEPOBS_CHECK(i >= 0 && i < r, "Tensor::size: dimension ", d, " out of range for ", str());
  return impl().shape[static_cast<std::size_t>(i)];
}

std::string Tensor::str() const {
  if (!defined()) return "undefined tensor";
  return cat(dtype_name(dtype()), shape_str(shape()), " on ", device().str());
}

template <class T>
T* Tensor::data() const {
  DEEPOBS_CHECK(dtype() == dtype_of<T>, "Tensor::data: requested ", dtype_name(dtype_of<T>),
                " from ", str());
  return static_cast<T*>(raw_data());
}

void* Tensor::raw_data() const {
  auto& i = impl();
  if (!i.storage->data()) return nullptr;
  return static_cast<char*>(i.storage->data()) +
         i.offset * static_cast<std::int64_t>(dtype_size(i.dtype));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  // A device tensor is copied to the host first (this synchronises with its stream).
  if (defined() && device().is_cuda()) return to(Device::cpu()).to_vector<T>();
  std::vector<T> out(static_cast<std::size_t>(numel()));
  visit_dtype(dtype(), [&](auto s) {
    const auto* p = static_cast<const decltype(s)*>(raw_data());
    for (std::size_t k = 0; k < out.size(); ++k)
      out[k] = static_cast<T>(p[k]);
  });
  return out;
}

#define DEEPOBS_INSTANTIATE(T)                                              \
  template Tensor Tensor::from_vector(const std::vector<T>&, const Shape&); \
  template T* Tensor::data<T>() const;                                      \
  template std::vector<T> Tensor::to_vector() const;
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
DEEPOBS_INSTANTIATE(std::int32_t)
DEEPOBS_INSTANTIATE(std::int64_t)
DEEPOBS_INSTANTIATE(std::uint8_t)
#undef DEEPOBS_INSTANTIATE

double Tensor::item() const {
  DEEPOBS_CHECK(numel() == 1, "Tensor::item: needs exactly one element, got ", str());
  return to_vector<double>()[0];
}

Tensor Tensor::view(const Shape& new_shape) const {
  DEEPOBS_CHECK(shape_numel(new_shape) == numel(), "view: cannot view ", str(), " as ",
                shape_str(new_shape), " (element counts differ)");
  return Tensor(make_impl(impl().storage, impl().offset, new_shape, dtype()));
}

Tensor Tensor::narrow0(std::int64_t start, std::int64_t length) const {
  DEEPOBS_CHECK(dim() >= 1, "narrow0: needs at least one dimension, got ", str());
  DEEPOBS_CHECK(start >= 0 && length >= 0 && start + length <= shape()[0], "narrow0: rows [", start,
                ", ", start + length, ") out of range for ", str());
  Shape s = shape();
  const std::int64_t row = s[0] == 0 ? 0 : numel() / s[0];
  s[0] = length;
  return Tensor(make_impl(impl().storage, impl().offset + start * row, s, dtype()));
}

Tensor Tensor::detach() const {
  return view(shape());
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(DType target) const {
  Tensor out = empty(shape(), target, device());
  const auto n = numel();
  backend::launch_any("Tensor::to(dtype)", *this, [&](auto b) {
    if constexpr (decltype(b)::is_cpu) {
      visit_dtype(dtype(), [&](auto s) {
        visit_dtype(target, [&](auto d) {
          const auto* src = static_cast<const decltype(s)*>(raw_data());
          auto* dst = static_cast<decltype(d)*>(out.raw_data());
          for (std::int64_t k = 0; k < n; ++k)
            dst[k] = static_cast<decltype(d)>(src[k]);
        });
      });
    } else {
      // One conversion kernel on the stream (the GPU data path converts each batch this way).
      kernels::cuda::convert(b.ctx, raw_data(), element_type(dtype()), out.raw_data(),
                             element_type(target), n);
    }
  });
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return clone();
  Tensor out = empty(shape(), dtype(), target);  // throws for a device this build lacks
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) const {
  DEEPOBS_CHECK(src.shape() == shape() && src.dtype() == dtype(), "copy_from: source ", src.str(),
                " does not match destination ", str());
  backend::copy_bytes(device(), raw_data(), src.device(), src.raw_data(), nbytes());
}

void Tensor::fill(double value) const {
  const auto n = numel();
  backend::launch_any("fill", *this, [&](auto b) {
    if constexpr (decltype(b)::is_cpu) {
      visit_dtype(dtype(), [&](auto s) {
        auto* p = static_cast<decltype(s)*>(raw_data());
        for (std::int64_t k = 0; k < n; ++k)
          p[k] = static_cast<decltype(s)>(value);
      });
    } else if (value == 0.0 && !std::signbit(value)) {
      kernels::cuda::memset_zero(device().index, raw_data(), nbytes());  // zero_grad: one memset
    } else {
      kernels::cuda::fill(b.ctx, raw_data(), element_type(dtype()), n, value);
    }
  });
}

bool Tensor::same_storage(const Tensor& other) const {
  return defined() && other.defined() && impl().storage == other.impl().storage;
}

void Tensor::set_data(const Tensor& source) const {
  auto& i = impl();
  DEEPOBS_CHECK(source.shape() == shape() && source.dtype() == dtype(), "set_data: ", source.str(),
                " cannot replace the data of ", str());
  DEEPOBS_CHECK(!i.grad_fn && !i.grad, "set_data: ", str(),
                " is part of a recorded graph or has a gradient (move or pack a model before its "
                "first backward pass)");
  i.storage = source.impl().storage;
  i.offset = source.impl().offset;
}

Tensor& Tensor::set_requires_grad(bool on) {
  DEEPOBS_CHECK(!on || is_floating(dtype()),
                "set_requires_grad: only floating tensors can have gradients, got ", str());
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  return impl().grad ? Tensor(impl().grad) : Tensor();
}

void Tensor::set_grad_buffer(const Tensor& buffer) const {
  DEEPOBS_CHECK(
      buffer.shape() == shape() && buffer.dtype() == dtype() && buffer.device() == device(),
      "set_grad_buffer: buffer ", buffer.str(), " does not match tensor ", str());
  impl().grad = buffer.impl_ptr();
  impl().grad_owned = true;
  impl().grad_is_buffer = true;
}

void Tensor::zero_grad() const {
  auto& i = impl();
  if (i.grad && i.grad_is_buffer) {
    Tensor(i.grad).fill(0.0);
  } else {
    i.grad.reset();
    i.grad_owned = false;
  }
}

void check_floating(const char* op, const char* what, const Tensor& t) {
  DEEPOBS_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  DEEPOBS_CHECK(is_floating(t.dtype()), op, ": ", what, " must be f32 or f64, got ", t.str());
}

void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b) {
  DEEPOBS_CHECK(a.defined() && b.defined(), op, ": undefined tensor argument");
  DEEPOBS_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: ", a.str(), " vs ", b.str());
  DEEPOBS_CHECK(a.device() == b.device(), op, ": devices differ: ", a.str(), " vs ", b.str());
}

void check_rank(const char* op, const char* what, const Tensor& t, std::int64_t rank) {
  DEEPOBS_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  DEEPOBS_CHECK(t.dim() == rank, op, ": ", what, " must have ", rank, " dimensions, got ", t.str());
}

}  // namespace deepobs
