// The CUDA path of the Adam example plugin (adam.cpp): one fused update kernel and one kernel that
// advances the step counter, both enqueued on the host's stream and never synchronised, as the
// ABI's STREAMS rules ask. The step counter lives in device memory (a state slot), so the bias
// correction is computed on the device from it: the host never has to read it back.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 4096;  // grid-stride loops cover any size with at most this many blocks

// t = *step + 1; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr·√(1−β2ᵗ)/(1−β1ᵗ)·m/(√v+ε),
// the TensorFlow 1.x AdamOptimizer rule (the bias correction folded into the step size).
template <class T>
__global__ void adam_update(T* __restrict__ params, const T* __restrict__ grads, T* __restrict__ m,
                            T* __restrict__ v, const std::int64_t* __restrict__ step,
                            std::int64_t n, double lr, double beta1, double beta2, double epsilon) {
  const double t = static_cast<double>(*step + 1);
  const T lr_t = static_cast<T>(lr * sqrt(1.0 - pow(beta2, t)) / (1.0 - pow(beta1, t)));
  const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2), eps = static_cast<T>(epsilon);
  const T one = static_cast<T>(1);
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const T g = grads[i];
    const T mi = b1 * m[i] + (one - b1) * g;
    const T vi = b2 * v[i] + (one - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] -= lr_t * mi / (sqrt(vi) + eps);
  }
}

__global__ void advance_step(std::int64_t* step) {
  *step += 1;
}

template <class T>
int launch(void* params, const void* grads, void* m, void* v, std::int64_t* step, std::int64_t n,
           double lr, double beta1, double beta2, double epsilon, cudaStream_t stream) {
  if (n > 0) {
    const std::int64_t wanted = (n + kThreads - 1) / kThreads;
    const int blocks = static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks);
    adam_update<T><<<blocks, kThreads, 0, stream>>>(
        static_cast<T*>(params), static_cast<const T*>(grads), static_cast<T*>(m),
        static_cast<T*>(v), step, n, lr, beta1, beta2, epsilon);
    const cudaError_t launched = cudaGetLastError();
    if (launched != cudaSuccess) return static_cast<int>(launched);
  }
  advance_step<<<1, 1, 0, stream>>>(step);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

// Declared in adam.cpp. Returns a cudaError_t as int (0 = success); `is_f64` selects double.
extern "C" int example_adam_cuda_step(int is_f64, void* params, const void* grads, void* m, void* v,
                                      std::int64_t* step, std::int64_t n, double lr, double beta1,
                                      double beta2, double epsilon, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  return is_f64 ? launch<double>(params, grads, m, v, step, n, lr, beta1, beta2, epsilon, s)
                : launch<float>(params, grads, m, v, step, n, lr, beta1, beta2, epsilon, s);
}

extern "C" const char* example_adam_cuda_error_string(int code) {
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}
