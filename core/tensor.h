// Tensor: a typed, shaped, contiguous window into a Storage, plus the autograd bookkeeping.
//
// Tensors are handles: copying a Tensor shares the same data (like a shared_ptr). Every tensor is
// contiguous in row-major order; the only views are reshape and narrow along dim 0, which are cheap
// and keep contiguity. Kernels therefore take raw pointers and sizes and never see strides.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

namespace deepobs {

namespace autograd {
struct Node;
}

namespace detail {
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;  // in elements from storage->data()
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  // The graph node that produced this tensor and which of its outputs it is; null for leaves and
  // for tensors made without recording (core/autograd.h).
  std::shared_ptr<autograd::Node> grad_fn;
  int output_index = 0;
  // Accumulated gradient of a leaf (same shape, dtype, device). Undefined until backward reaches
  // it.
  std::shared_ptr<TensorImpl> grad;
  // True when `grad` is a buffer this tensor owns exclusively (e.g. a view into the flat gradient
  // buffer) and may be accumulated into in place; false when it may alias another tensor.
  bool grad_owned = false;
  // True when `grad` was installed with set_grad_buffer(): it persists and zero_grad() zeroes it.
  bool grad_is_buffer = false;
};
}  // namespace detail

class Tensor {
 public:
  // An undefined tensor (defined() == false); most accessors throw on it.
  Tensor() = default;

  // ---- creation (contents are on the given device) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                     Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::F32, Device device = Device::cpu());
  // Copies `values` (numel(shape) of them) into a new CPU tensor of dtype_of<T>.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  // Wraps caller-owned CPU memory without copying; the caller keeps it alive.
  static Tensor wrap(void* data, const Shape& shape, DType dtype, Device device = Device::cpu());

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  // Extent of dimension d; negative d counts from the back.
  std::int64_t size(std::int64_t d) const;
  std::int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype()); }
  // "f32[2,3] on cpu", for error messages.
  std::string str() const;

  // ---- data access (the element type must match dtype(); host access needs a CPU tensor) ----
  template <class T>
  T* data() const;
  void* raw_data() const;
  // Copies the elements to a host vector (converting to T from any numeric dtype).
  template <class T>
  std::vector<T> to_vector() const;
  // The single element of a one-element tensor, converted to double.
  double item() const;

  // ---- copies and views ----
  // A view with a new shape (same numel); not recorded by autograd (use ops::reshape for that).
  Tensor view(const Shape& shape) const;
  // Rows [start, start+length) along dim 0 as a view; not recorded by autograd.
  Tensor narrow0(std::int64_t start, std::int64_t length) const;
  // A new tensor with its own storage and the same contents; not recorded by autograd.
  Tensor clone() const;
  // Converts to another dtype (a copy, even when the dtype is the same); not recorded by autograd.
  Tensor to(DType dtype) const;
  // Copies to another device; not recorded by autograd.
  Tensor to(Device device) const;
  // Copies the contents of `src` (same shape and dtype) into this tensor's memory.
  void copy_from(const Tensor& src) const;
  // Sets every element to `value`.
  void fill(double value) const;
  bool same_storage(const Tensor& other) const;
  // Makes this tensor (every handle sharing its implementation) use the memory of `source` (same
  // shape and dtype, any device) from now on: how a model is moved to a device or packed into a
  // flat buffer. Not for tensors that are part of a recorded graph or already have a gradient.
  void set_data(const Tensor& source) const;

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  // The same data without its place in a graph: no gradient flows through the result (an LSTM's
  // carried state, a target). Shares storage with this tensor.
  Tensor detach() const;
  // Marks a leaf as trainable (its gradient is accumulated by backward()).
  Tensor& set_requires_grad(bool on);
  // The accumulated gradient, or an undefined tensor before backward reached this tensor.
  Tensor grad() const;
  // Installs a buffer this tensor's gradient accumulates into in place (same shape/dtype/device).
  void set_grad_buffer(const Tensor& buffer) const;
  // Drops the gradient (unless it is an installed buffer, which is zeroed instead).
  void zero_grad() const;

  // Internal: autograd and ops reach the shared implementation through these.
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}
  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const { return impl_; }
  detail::TensorImpl& impl() const {
    DEEPOBS_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

// Throws unless `t` is f32 or f64.
void check_floating(const char* op, const char* what, const Tensor& t);
// Throws unless a and b have the same dtype and live on the same device.
void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b);
// Throws unless t.dim() == rank.
void check_rank(const char* op, const char* what, const Tensor& t, std::int64_t rank);

}  // namespace deepobs
