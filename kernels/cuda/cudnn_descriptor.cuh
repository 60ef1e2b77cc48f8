// RAII for cuDNN descriptors: created in the constructor, destroyed with the owner, checked with
// file, line and cuDNN's message. Internal to kernels/cuda (includes CUDA headers).
#pragma once

#include <cudnn.h>

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

using CudnnTensorDesc = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                                        cudnnDestroyTensorDescriptor>;
using CudnnFilterDesc = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor,
                                        cudnnDestroyFilterDescriptor>;
using CudnnConvDesc =
    CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                    cudnnDestroyConvolutionDescriptor>;
using CudnnRnnDesc =
    CudnnDescriptor<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using CudnnRnnDataDesc = CudnnDescriptor<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor,
                                         cudnnDestroyRNNDataDescriptor>;
using CudnnDropoutDesc = CudnnDescriptor<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor,
                                         cudnnDestroyDropoutDescriptor>;

}  // namespace deepobs::kernels::cuda
