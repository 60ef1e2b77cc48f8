// RAII owners of cuDNN descriptors and the int-range check of cuDNN's size arguments, shared by
// the convolution and batch-norm wrappers. Internal to kernels/cuda (includes CUDA headers).
#pragma once

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"

namespace deepobs::kernels::cuda {

struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc() { DEEPOBS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d)); }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};
struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc() { DEEPOBS_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d)); }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};
struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  ConvDesc() { DEEPOBS_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d)); }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

// v as the int cuDNN takes; throws std::invalid_argument "<op>: <what> = v is outside cuDNN's int
// range" for v outside [min, INT_MAX].
inline int cudnn_int(std::int64_t v, const char* op, const char* what, std::int64_t min = 0) {
  if (v < min || v > INT_MAX)
    throw std::invalid_argument(std::string(op) + ": " + what + " = " + std::to_string(v) +
                                " is outside cuDNN's int range");
  return static_cast<int>(v);
}

}  // namespace deepobs::kernels::cuda
