// RAII owners of cuDNN descriptors (created in the constructor, destroyed with the owner, every
// creation checked with file, line and cuDNN's message) and the int-range check of cuDNN's size
// arguments, shared by the convolution, batch-norm and LSTM wrappers. Internal to kernels/cuda
// (includes CUDA headers).
#pragma once

#include <cudnn.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"

namespace deepobs::kernels::cuda {

template <class Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
struct CudnnDescriptor {
  Handle d = nullptr;
  CudnnDescriptor() { DEEPOBS_CUDNN_CHECK(Create(&d)); }
  ~CudnnDescriptor() { Destroy(d); }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
};

using TensorDesc = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                                   cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor,
                                   cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                                 cudnnDestroyConvolutionDescriptor>;
using RnnDesc =
    CudnnDescriptor<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using RnnDataDesc = CudnnDescriptor<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor,
                                    cudnnDestroyRNNDataDescriptor>;
using DropoutDesc = CudnnDescriptor<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor,
                                    cudnnDestroyDropoutDescriptor>;

// v as the int cuDNN takes; throws std::invalid_argument "<op>: <what> = v is outside cuDNN's int
// range" for v outside [min, INT_MAX].
inline int cudnn_int(std::int64_t v, const char* op, const char* what, std::int64_t min = 0) {
  if (v < min || v > INT_MAX)
    throw std::invalid_argument(std::string(op) + ": " + what + " = " + std::to_string(v) +
                                " is outside cuDNN's int range");
  return static_cast<int>(v);
}

}  // namespace deepobs::kernels::cuda
