#include "core/tensor.h"

#include <cmath>
#include <cstring>

#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/context.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/memory.h"
#endif

namespace deepobs {
namespace {

std::shared_ptr<detail::TensorImpl> make_impl(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<detail::TensorImpl>();
  const auto n = shape_numel(shape);
  impl->storage =
      std::make_shared<Storage>(static_cast<std::size_t>(n) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return impl;
}

void require_cpu(const char* what, const Tensor& t) {
  DEEPOBS_CHECK(t.device().is_cpu(), what, ": needs a CPU tensor, got ", t.str(),
                " (the CUDA backend is not part of this build)");
}

#if DEEPOBS_WITH_CUDA
kernels::cuda::ElementType element_type(DType d) {
  switch (d) {
    case DType::F32:
      return kernels::cuda::ElementType::kF32;
    case DType::F64:
      return kernels::cuda::ElementType::kF64;
    case DType::I32:
      return kernels::cuda::ElementType::kI32;
    case DType::I64:
      return kernels::cuda::ElementType::kI64;
    case DType::U8:
      return kernels::cuda::ElementType::kU8;
  }
  throw Error(cat("unknown dtype ", static_cast<int>(d)));
}

// Copies nbytes between any two devices (either may be the CPU). Transfers that involve the host
// return once the data has arrived; device-to-device copies on one device are stream-ordered.
void copy_bytes(Device dst_dev, void* dst, Device src_dev, const void* src, std::size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_dev.is_cpu() && src_dev.is_cpu()) {
    if (dst != src) std::memmove(dst, src, nbytes);
  } else if (src_dev.is_cpu()) {
    kernels::cuda::copy_host_to_device(dst_dev.index, dst, src, nbytes);
  } else if (dst_dev.is_cpu()) {
    kernels::cuda::copy_device_to_host(src_dev.index, dst, src, nbytes);
  } else if (dst != src || dst_dev != src_dev) {
    kernels::cuda::copy_between_devices(dst_dev.index, dst, src_dev.index, src, nbytes);
  }
}
#endif

// Calls f(T*) with the typed pointer of a CPU tensor.
template <class F>
void dispatch_all(const Tensor& t, F&& f) {
  switch (t.dtype()) {
    case DType::F32:
      f(t.data<float>());
      return;
    case DType::F64:
      f(t.data<double>());
      return;
    case DType::I32:
      f(t.data<std::int32_t>());
      return;
    case DType::I64:
      f(t.data<std::int64_t>());
      return;
    case DType::U8:
      f(t.data<std::uint8_t>());
      return;
  }
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return Tensor(make_impl(shape, dtype, device));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill(0.0);
  return t;
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
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::int32_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::int64_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::uint8_t>&, const Shape&);

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<detail::TensorImpl>();
  impl->storage =
      Storage::wrap(data, static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
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
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template std::int32_t* Tensor::data<std::int32_t>() const;
template std::int64_t* Tensor::data<std::int64_t>() const;
template std::uint8_t* Tensor::data<std::uint8_t>() const;

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
  require_cpu("Tensor::to_vector", *this);
  std::vector<T> out(static_cast<std::size_t>(numel()));
  dispatch_all(*this, [&](auto* p) {
    for (std::size_t k = 0; k < out.size(); ++k)
      out[k] = static_cast<T>(p[k]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector() const;
template std::vector<double> Tensor::to_vector() const;
template std::vector<std::int32_t> Tensor::to_vector() const;
template std::vector<std::int64_t> Tensor::to_vector() const;
template std::vector<std::uint8_t> Tensor::to_vector() const;

double Tensor::item() const {
  DEEPOBS_CHECK(numel() == 1, "Tensor::item: needs exactly one element, got ", str());
  return to_vector<double>()[0];
}

Tensor Tensor::view(const Shape& new_shape) const {
  DEEPOBS_CHECK(shape_numel(new_shape) == numel(), "view: cannot view ", str(), " as ",
                shape_str(new_shape), " (element counts differ)");
  auto v = std::make_shared<detail::TensorImpl>();
  v->storage = impl().storage;
  v->offset = impl().offset;
  v->shape = new_shape;
  v->dtype = dtype();
  return Tensor(std::move(v));
}

Tensor Tensor::narrow0(std::int64_t start, std::int64_t length) const {
  DEEPOBS_CHECK(dim() >= 1, "narrow0: needs at least one dimension, got ", str());
  DEEPOBS_CHECK(start >= 0 && length >= 0 && start + length <= shape()[0], "narrow0: rows [", start,
                ", ", start + length, ") out of range for ", str());
  auto v = std::make_shared<detail::TensorImpl>();
  v->storage = impl().storage;
  Shape s = shape();
  const std::int64_t row = s[0] == 0 ? 0 : numel() / s[0];
  s[0] = length;
  v->offset = impl().offset + start * row;
  v->shape = std::move(s);
  v->dtype = dtype();
  return Tensor(std::move(v));
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(DType target) const {
  Tensor out = empty(shape(), target, device());
#if DEEPOBS_WITH_CUDA
  // On the device: one conversion kernel on the stream (used per batch by the data path, so no
  // host round trip).
  if (device().is_cuda()) {
    kernels::cuda::convert(kernels::cuda::context(device().index), raw_data(),
                           element_type(dtype()), out.raw_data(), element_type(target), numel());
    return out;
  }
#endif
  require_cpu("Tensor::to(dtype)", *this);
  const auto n = static_cast<std::size_t>(numel());
  dispatch_all(*this, [&](auto* src) {
    dispatch_all(out, [&](auto* dst) {
      using D = std::remove_pointer_t<decltype(dst)>;
      for (std::size_t k = 0; k < n; ++k)
        dst[k] = static_cast<D>(src[k]);
    });
  });
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return clone();
#if !DEEPOBS_WITH_CUDA
  require_cpu("Tensor::to(device)", *this);
#endif
  Tensor out = empty(shape(), dtype(), target);  // throws for a device this build lacks
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) const {
  DEEPOBS_CHECK(src.shape() == shape() && src.dtype() == dtype(), "copy_from: source ", src.str(),
                " does not match destination ", str());
#if DEEPOBS_WITH_CUDA
  copy_bytes(device(), raw_data(), src.device(), src.raw_data(), nbytes());
#else
  require_cpu("copy_from", *this);
  require_cpu("copy_from", src);
  if (nbytes() && raw_data() != src.raw_data()) std::memmove(raw_data(), src.raw_data(), nbytes());
#endif
}

void Tensor::fill(double value) const {
#if DEEPOBS_WITH_CUDA
  if (device().is_cuda()) {
    // Zero (FlatParameters::zero_grad, Tensor::zeros) is one memset on the stream.
    if (value == 0.0 && !std::signbit(value)) {
      kernels::cuda::memset_zero(device().index, raw_data(), nbytes());
    } else {
      kernels::cuda::fill(kernels::cuda::context(device().index), raw_data(), element_type(dtype()),
                          numel(), value);
    }
    return;
  }
#endif
  require_cpu("fill", *this);
  const auto n = static_cast<std::size_t>(numel());
  dispatch_all(*this, [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    const T v = static_cast<T>(value);
    for (std::size_t k = 0; k < n; ++k)
      p[k] = v;
  });
}

bool Tensor::same_storage(const Tensor& other) const {
  return defined() && other.defined() && impl().storage == other.impl().storage;
}

Tensor& Tensor::set_requires_grad(bool on) {
  DEEPOBS_CHECK(!on || is_floating(dtype()),
                "set_requires_grad: only floating tensors can have "
                "gradients, got ",
                str());
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

void check_dtype(const char* op, const char* what, const Tensor& t, DType want) {
  DEEPOBS_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  DEEPOBS_CHECK(t.dtype() == want, op, ": ", what, " must be ", dtype_name(want), ", got ",
                t.str());
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
