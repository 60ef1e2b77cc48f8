#include "kernels/cuda/lstm.h"

#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/cudnn_descriptors.cuh"
#include "kernels/cuda/lstm_pack.h"

namespace deepobs::kernels::cuda {
namespace {

// Device memory owned by a plan (cudaMalloc'ed once per plan, never in a step).
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(std::size_t bytes) { DEEPOBS_CUDA_CHECK(cudaMalloc(&p, bytes)); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

int as_int(std::int64_t v, const char* what) {
  return cudnn_int(v, "cuDNN LSTM", what, /*min=*/1);
}

// Everything about one (device, shape, math policy) that does not change between steps.
struct Plan {
  RnnDesc rnn;
  DropoutDesc dropout;
  RnnDataDesc x, y;
  TensorDesc state;                           // h and c: [layers = 1, batch, hidden]
  std::unique_ptr<DeviceBuffer> seq_lengths;  // int32 [batch], all = steps (cuDNN reads it)
  std::size_t weight_bytes = 0, work_bytes = 0, reserve_bytes = 0;
  LstmWeightOffsets offsets;
};

// Reads where cudnnGetRNNWeightParams puts each gate's matrices and bias, and checks that their
// sizes are those the pack kernel assumes (row-major [hidden, input] and [hidden, hidden]).
LstmWeightOffsets weight_offsets(KernelContext& ctx, Plan& p, const LstmShape& s) {
  DeviceBuffer space(p.weight_bytes);
  const auto* base = static_cast<const char*>(space.p);
  TensorDesc m, b;
  LstmWeightOffsets off;
  for (int lin = 0; lin < 8; ++lin) {
    void *m_addr = nullptr, *b_addr = nullptr;
    DEEPOBS_CUDNN_CHECK(cudnnGetRNNWeightParams(ctx.cudnn(), p.rnn.d, 0, p.weight_bytes, space.p,
                                                lin, m.d, &m_addr, b.d, &b_addr));
    // cuDNN stores each gate's matrix row-major as [hidden, cols] (the layout PyTorch's
    // weight_ih/weight_hh views rely on too); the descriptor must at least agree on its size.
    cudnnDataType_t type;
    int nb = 0, dims[3] = {}, strides[3] = {};
    DEEPOBS_CUDNN_CHECK(cudnnGetTensorNdDescriptor(m.d, 3, &type, &nb, dims, strides));
    const std::int64_t cols = lin < 4 ? s.input : s.hidden;
    std::int64_t numel = 1;
    for (int k = 0; k < nb && k < 3; ++k)
      numel *= dims[k];
    if (m_addr == nullptr || type != CUDNN_DATA_FLOAT || numel != s.hidden * cols)
      throw CudaError("cuDNN LSTM: weight matrix " + std::to_string(lin) + " has " +
                      std::to_string(numel) + " elements, expected " + std::to_string(s.hidden) +
                      "×" + std::to_string(cols) +
                      " floats: this cuDNN lays out its weight space "
                      "differently from what kernels/cuda/lstm_pack.cu assumes");
    const auto at = [&](const void* a) {
      return static_cast<std::int64_t>(static_cast<const char*>(a) - base) /
             static_cast<std::int64_t>(sizeof(float));
    };
    if (lin < 4) {
      if (b_addr == nullptr)
        throw CudaError("cuDNN LSTM: no input bias for gate " + std::to_string(lin) +
                        " under CUDNN_RNN_SINGLE_INP_BIAS");
      off.w[lin] = at(m_addr);
      off.b[lin] = at(b_addr);
    } else {
      off.r[lin - 4] = at(m_addr);
    }
  }
  return off;
}

std::unique_ptr<Plan> build_plan(KernelContext& ctx, const LstmShape& s) {
  auto p = std::make_unique<Plan>();
  const int batch = as_int(s.batch, "batch"), steps = as_int(s.steps, "steps");
  const int input = as_int(s.input, "input"), hidden = as_int(s.hidden, "hidden");
  as_int(s.batch * s.hidden, "batch·hidden");
  cudnnHandle_t h = ctx.cudnn();
  // No cuDNN dropout (one layer: cuDNN would apply none anyway); TF's masks are the model's.
  DEEPOBS_CUDNN_CHECK(cudnnSetDropoutDescriptor(p->dropout.d, h, 0.0f, nullptr, 0, 0));
  const cudnnMathType_t math = ctx.policies().tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  DEEPOBS_CUDNN_CHECK(cudnnSetRNNDescriptor_v8(
      p->rnn.d, CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM, CUDNN_RNN_SINGLE_INP_BIAS,
      CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, math, input,
      hidden, hidden, 1, p->dropout.d, CUDNN_RNN_PADDED_IO_DISABLED));
  std::vector<int> lengths(static_cast<std::size_t>(batch), steps);
  DEEPOBS_CUDNN_CHECK(cudnnSetRNNDataDescriptor(p->x.d, CUDNN_DATA_FLOAT,
                                                CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, steps,
                                                batch, input, lengths.data(), nullptr));
  DEEPOBS_CUDNN_CHECK(cudnnSetRNNDataDescriptor(p->y.d, CUDNN_DATA_FLOAT,
                                                CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, steps,
                                                batch, hidden, lengths.data(), nullptr));
  const int dims[3] = {1, batch, hidden}, strides[3] = {batch * hidden, hidden, 1};
  DEEPOBS_CUDNN_CHECK(cudnnSetTensorNdDescriptor(p->state.d, CUDNN_DATA_FLOAT, 3, dims, strides));
  DEEPOBS_CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(h, p->rnn.d, &p->weight_bytes));
  DEEPOBS_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(h, p->rnn.d, CUDNN_FWD_MODE_TRAINING, p->x.d,
                                                &p->work_bytes, &p->reserve_bytes));
  p->seq_lengths = std::make_unique<DeviceBuffer>(lengths.size() * sizeof(int));
  DEEPOBS_CUDA_CHECK(cudaMemcpy(p->seq_lengths->p, lengths.data(), lengths.size() * sizeof(int),
                                cudaMemcpyHostToDevice));
  p->offsets = weight_offsets(ctx, *p, s);
  return p;
}

struct Cache {
  std::mutex mu;
  std::map<std::tuple<int, bool, std::int64_t, std::int64_t, std::int64_t, std::int64_t>,
           std::unique_ptr<Plan>>
      plans;
};
// Lives for the whole process (never destroyed), so no exit-time ordering against the contexts.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

const Plan& plan_for(KernelContext& ctx, const LstmShape& s) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  const auto key =
      std::make_tuple(ctx.device(), ctx.policies().tf32, s.batch, s.steps, s.input, s.hidden);
  auto it = c.plans.find(key);
  if (it != c.plans.end()) return *it->second;
  return *c.plans.emplace(key, build_plan(ctx, s)).first->second;
}

const std::int32_t* seq_lengths(const Plan& p) {
  return static_cast<const std::int32_t*>(p.seq_lengths->p);
}

}  // namespace

LstmSpaceSizes lstm_space_sizes(KernelContext& ctx, const LstmShape& s) {
  DeviceGuard guard(ctx.device());
  const Plan& p = plan_for(ctx, s);
  return {p.weight_bytes, p.reserve_bytes};
}

void lstm_forward(KernelContext& ctx, const LstmShape& s, float forget_bias, const float* x,
                  const float* h0, const float* c0, const float* kernel, const float* bias,
                  float* y, float* h_out, float* c_out, void* weight_space, void* reserve) {
  DeviceGuard guard(ctx.device());
  const Plan& p = plan_for(ctx, s);
  lstm_pack_weights(ctx, s, p.offsets, forget_bias, kernel, bias,
                    static_cast<float*>(weight_space));
  void* work = ctx.workspace(p.work_bytes);
  DEEPOBS_CUDNN_CHECK(cudnnRNNForward(ctx.cudnn(), p.rnn.d, CUDNN_FWD_MODE_TRAINING, seq_lengths(p),
                                      p.x.d, x, p.y.d, y, p.state.d, h0, h_out, p.state.d, c0,
                                      c_out, p.weight_bytes, weight_space, p.work_bytes, work,
                                      p.reserve_bytes, reserve));
}

void lstm_backward(KernelContext& ctx, const LstmShape& s, const float* x, const float* h0,
                   const float* c0, const float* /*kernel*/, const float* y, const float* dy,
                   const float* dh_out, const float* dc_out, const void* weight_space,
                   void* reserve, float* dx, float* dh0, float* dc0, float* dkernel, float* dbias,
                   void* dweight_space) {
  DeviceGuard guard(ctx.device());
  const Plan& p = plan_for(ctx, s);
  void* work = ctx.workspace(p.work_bytes);
  // Data first: cuDNN requires it before the weights' backward pass, which reads what it left in
  // the reserve space.
  DEEPOBS_CUDNN_CHECK(cudnnRNNBackwardData_v8(ctx.cudnn(), p.rnn.d, seq_lengths(p), p.y.d, y, dy,
                                              p.x.d, dx, p.state.d, h0, dh_out, dh0, p.state.d, c0,
                                              dc_out, dc0, p.weight_bytes, weight_space,
                                              p.work_bytes, work, p.reserve_bytes, reserve));
  // cudnnRNNBackwardWeights_v8 only adds (CUDNN_WGRAD_MODE_ADD): start from zero.
  DEEPOBS_CUDA_CHECK(cudaMemsetAsync(dweight_space, 0, p.weight_bytes, ctx.stream()));
  DEEPOBS_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(
      ctx.cudnn(), p.rnn.d, CUDNN_WGRAD_MODE_ADD, seq_lengths(p), p.x.d, x, p.state.d, h0, p.y.d, y,
      p.weight_bytes, dweight_space, p.work_bytes, work, p.reserve_bytes, reserve));
  lstm_unpack_gradients(ctx, s, p.offsets, static_cast<const float*>(dweight_space), dkernel,
                        dbias);
}

}  // namespace deepobs::kernels::cuda
