#include "kernels/cuda/cudnn_conv.h"

#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/conv_layout.h"
#include "kernels/cuda/conv_padding.h"
#include "kernels/cuda/cudnn_descriptor.cuh"

namespace deepobs::kernels::cuda {
namespace {

enum class ConvOp { kForward, kBackwardData, kBackwardFilter };

const char* op_name(ConvOp op) {
  switch (op) {
    case ConvOp::kForward:
      return "conv2d_forward";
    case ConvOp::kBackwardData:
      return "conv2d_backward_data";
    case ConvOp::kBackwardFilter:
      return "conv2d_backward_filter";
  }
  return "conv2d";
}

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "CUDNN_CONVOLUTION_FWD_ALGO_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "CUDNN_CONVOLUTION_FWD_ALGO_DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "CUDNN_CONVOLUTION_FWD_ALGO_FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED";
    default:
      return "CUDNN_CONVOLUTION_FWD_ALGO_(unknown)";
  }
}

const char* algo_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED";
    default:
      return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_(unknown)";
  }
}

const char* algo_name(cudnnConvolutionBwdFilterAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING";
    default:
      return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_(unknown)";
  }
}

// cuDNN documents these three as non-deterministic (they accumulate with atomics); excluded under
// the deterministic policy even if a heuristic entry claimed otherwise.
bool known_nondeterministic(cudnnConvolutionFwdAlgo_t) {
  return false;
}
bool known_nondeterministic(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
}
bool known_nondeterministic(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

// ---- RAII descriptors (kernels/cuda/cudnn_descriptor.cuh) ----
using TensorDesc = CudnnTensorDesc;
using FilterDesc = CudnnFilterDesc;
using ConvDesc = CudnnConvDesc;

int as_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw std::invalid_argument(std::string("cuDNN conv: ") + what + " = " + std::to_string(v) +
                                " is outside cuDNN's int range");
  return static_cast<int>(v);
}

struct Plan {
  TensorDesc x, y;  // x as cuDNN sees it (padded or not), y the conv output
  FilterDesc w;
  ConvDesc conv;
  bool padded = false;
  std::int64_t xh = 0, xw = 0;  // spatial size of the x cuDNN sees
  int algo = 0;                 // the op's cudnnConvolution*Algo_t
  std::size_t cudnn_workspace = 0;
  std::size_t pad_bytes = 0;  // padded-input buffer (0 on the direct path), 256-byte rounded
};

struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans;
  std::map<int, std::vector<ConvPlanInfo>> records;
};
// Lives for the whole process (never destroyed), so no exit-time ordering against the contexts.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

std::string key_of(int device, ConvOp op, const ConvGeometry& g, const Policies& p) {
  std::string k = std::to_string(device) + ":" + op_name(op);
  for (std::int64_t v :
       {g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.kernel_h, g.kernel_w, g.stride_h,
        g.stride_w, g.pad_top, g.pad_left, g.out_h, g.out_w})
    k += "," + std::to_string(v);
  k += p.deterministic ? ":det" : ":any";
  k += p.tf32 ? ":tf32" : ":fp32";
  return k;
}

std::string shape_of(const ConvGeometry& g, const Plan& p) {
  auto dims = [](std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
    return "[" + std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "," +
           std::to_string(d) + "]";
  };
  const std::int64_t pad_bottom = (g.out_h - 1) * g.stride_h + g.kernel_h - g.in_h - g.pad_top;
  const std::int64_t pad_right = (g.out_w - 1) * g.stride_w + g.kernel_w - g.in_w - g.pad_left;
  std::string s = "x" + dims(g.batch, g.in_channels, g.in_h, g.in_w) + " w" +
                  dims(g.out_channels, g.in_channels, g.kernel_h, g.kernel_w) + " y" +
                  dims(g.batch, g.out_channels, g.out_h, g.out_w) + " stride " +
                  std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) + " pad " +
                  std::to_string(g.pad_top) + "," + std::to_string(pad_bottom) + "," +
                  std::to_string(g.pad_left) + "," + std::to_string(pad_right);
  if (p.padded)
    s += " (explicitly padded input " + std::to_string(p.xh) + "x" + std::to_string(p.xw) + ")";
  return s;
}

// True when a heuristic result succeeded and fits the policies.
template <class Perf>
bool acceptable(const Perf& r, const Policies& pol) {
  if (r.status != CUDNN_STATUS_SUCCESS) return false;
  if (pol.deterministic && (r.determinism != CUDNN_DETERMINISTIC || known_nondeterministic(r.algo)))
    return false;
  if (!pol.tf32 &&
      (r.mathType == CUDNN_TENSOR_OP_MATH || r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
    return false;
  return true;
}

[[noreturn]] void no_algorithm(ConvOp op, const ConvGeometry& g, const Plan& p,
                               const Policies& pol) {
  throw std::invalid_argument(
      std::string("cuDNN conv: no ") + op_name(op) + " algorithm for " + shape_of(g, p) +
      " fits the policies (deterministic " + (pol.deterministic ? "on" : "off") + ", tf32 " +
      (pol.tf32 ? "on" : "off") + ") within 512 MiB of workspace; relax --deterministic");
}

// The most workspace one convolution may ask for. cuDNN's fastest-ranked algorithm can want
// gigabytes (FFT variants on large images); a cap keeps one layer from exhausting the device, and
// the implicit-GEMM algorithms, which need little or none, always fit.
constexpr std::size_t kMaxWorkspaceBytes = std::size_t{512} << 20;

// Walks the ranked heuristic results and keeps the first acceptable one whose workspace query
// succeeds under the math type it will run with (FMA only without TF32: cuDNN's default math
// would allow TF32 tensor cores on Ampere and newer; otherwise the type the heuristic ranked) and
// whose workspace fits kMaxWorkspaceBytes. `workspace(algo, bytes*)` returns the cuDNN status of
// the op's workspace-size query.
template <class Perf, class Workspace>
void choose(Plan& p, ConvOp op, const ConvGeometry& g, const std::vector<Perf>& perfs, int returned,
            const Policies& pol, Workspace workspace) {
  for (int i = 0; i < returned; ++i) {
    const Perf& r = perfs[static_cast<std::size_t>(i)];
    if (!acceptable(r, pol)) continue;
    DEEPOBS_CUDNN_CHECK(
        cudnnSetConvolutionMathType(p.conv.d, pol.tf32 ? r.mathType : CUDNN_FMA_MATH));
    std::size_t bytes = 0;
    if (workspace(r.algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > kMaxWorkspaceBytes) continue;
    p.algo = static_cast<int>(r.algo);
    p.cudnn_workspace = bytes;
    return;
  }
  no_algorithm(op, g, p, pol);
}

std::unique_ptr<Plan> build_plan(KernelContext& ctx, ConvOp op, const ConvGeometry& g) {
  const Policies& pol = ctx.policies();
  auto plan = std::make_unique<Plan>();
  Plan& p = *plan;
  const CudnnPadding padding = cudnn_padding(g);
  p.padded = padding.explicit_buffer;
  p.xh = padding.in_h;
  p.xw = padding.in_w;
  const int n = as_int(g.batch, "batch"), c = as_int(g.in_channels, "in_channels");
  const int o = as_int(g.out_channels, "out_channels");
  const int oh = as_int(g.out_h, "out_h"), ow = as_int(g.out_w, "out_w");
  DEEPOBS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.x.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c,
                                                 as_int(p.xh, "input height"),
                                                 as_int(p.xw, "input width")));
  DEEPOBS_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w.d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, o, c,
                                                 as_int(g.kernel_h, "kernel_h"),
                                                 as_int(g.kernel_w, "kernel_w")));
  DEEPOBS_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(p.y.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, o, oh, ow));
  DEEPOBS_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      p.conv.d, as_int(padding.pad_h, "pad_top"), as_int(padding.pad_w, "pad_left"),
      as_int(g.stride_h, "stride_h"), as_int(g.stride_w, "stride_w"), 1, 1, CUDNN_CROSS_CORRELATION,
      CUDNN_DATA_FLOAT));
  DEEPOBS_CUDNN_CHECK(
      cudnnSetConvolutionMathType(p.conv.d, pol.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  // The output size cuDNN derives must be ours; a mismatch would be a bug in the padding logic.
  int dn = 0, dc = 0, dh = 0, dw = 0;
  DEEPOBS_CUDNN_CHECK(
      cudnnGetConvolution2dForwardOutputDim(p.conv.d, p.x.d, p.w.d, &dn, &dc, &dh, &dw));
  if (dn != n || dc != o || dh != oh || dw != ow)
    throw std::logic_error("cuDNN conv: cuDNN's output " + std::to_string(dh) + "x" +
                           std::to_string(dw) + " differs from the expected " + shape_of(g, p));

  cudnnHandle_t h = ctx.cudnn();
  int count = 0, returned = 0;
  switch (op) {
    case ConvOp::kForward: {
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perfs(static_cast<std::size_t>(count));
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.d, p.w.d, p.conv.d, p.y.d,
                                                                 count, &returned, perfs.data()));
      choose(p, op, g, perfs, returned, pol, [&](cudnnConvolutionFwdAlgo_t a, std::size_t* bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, p.x.d, p.w.d, p.conv.d, p.y.d, a, bytes);
      });
      break;
    }
    case ConvOp::kBackwardData: {
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perfs(static_cast<std::size_t>(count));
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
          h, p.w.d, p.y.d, p.conv.d, p.x.d, count, &returned, perfs.data()));
      choose(p, op, g, perfs, returned, pol,
             [&](cudnnConvolutionBwdDataAlgo_t a, std::size_t* bytes) {
               return cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.w.d, p.y.d, p.conv.d, p.x.d,
                                                                   a, bytes);
             });
      break;
    }
    case ConvOp::kBackwardFilter: {
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perfs(static_cast<std::size_t>(count));
      DEEPOBS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
          h, p.x.d, p.y.d, p.conv.d, p.w.d, count, &returned, perfs.data()));
      choose(p, op, g, perfs, returned, pol,
             [&](cudnnConvolutionBwdFilterAlgo_t a, std::size_t* bytes) {
               return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.x.d, p.y.d, p.conv.d,
                                                                     p.w.d, a, bytes);
             });
      break;
    }
  }
  if (p.padded) {
    const std::size_t bytes =
        static_cast<std::size_t>(g.batch * g.in_channels * p.xh * p.xw) * sizeof(float);
    p.pad_bytes = (bytes + 255) / 256 * 256;
  }
  return plan;
}

std::string chosen_name(ConvOp op, int algo) {
  switch (op) {
    case ConvOp::kForward:
      return algo_name(static_cast<cudnnConvolutionFwdAlgo_t>(algo));
    case ConvOp::kBackwardData:
      return algo_name(static_cast<cudnnConvolutionBwdDataAlgo_t>(algo));
    case ConvOp::kBackwardFilter:
      return algo_name(static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo));
  }
  return "unknown";
}

const Plan& plan_for(KernelContext& ctx, ConvOp op, const ConvGeometry& g) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  const std::string key = key_of(ctx.device(), op, g, ctx.policies());
  auto it = c.plans.find(key);
  if (it != c.plans.end()) return *it->second;
  std::unique_ptr<Plan> plan = build_plan(ctx, op, g);
  c.records[ctx.device()].push_back(ConvPlanInfo{op_name(op), shape_of(g, *plan),
                                                 chosen_name(op, plan->algo),
                                                 plan->cudnn_workspace + plan->pad_bytes});
  return *c.plans.emplace(key, std::move(plan)).first->second;
}

// The workspace of one call: the padded-input buffer (if any) first, then cuDNN's scratch.
struct Scratch {
  float* padded = nullptr;
  void* cudnn = nullptr;
};
Scratch scratch_for(KernelContext& ctx, const Plan& p) {
  Scratch s;
  const std::size_t total = p.pad_bytes + p.cudnn_workspace;
  if (total == 0) return s;
  char* base = static_cast<char*>(ctx.workspace(total));
  if (p.pad_bytes) s.padded = reinterpret_cast<float*>(base);
  if (p.cudnn_workspace) s.cudnn = base + p.pad_bytes;
  return s;
}

bool empty_problem(const ConvGeometry& g) {
  return g.batch == 0 || g.in_channels == 0 || g.out_channels == 0 || g.out_h == 0 || g.out_w == 0;
}

}  // namespace

void conv2d_forward(KernelContext& ctx, const ConvGeometry& g, const float* x, const float* w,
                    float* y) {
  if (empty_problem(g)) return;
  DeviceGuard guard(ctx.device());
  const Plan& p = plan_for(ctx, ConvOp::kForward, g);
  const Scratch s = scratch_for(ctx, p);
  const float* input = x;
  if (p.padded) {
    place_planes(ctx, x, g.batch * g.in_channels, g.in_h, g.in_w, s.padded, p.xh, p.xw, g.pad_top,
                 g.pad_left);
    input = s.padded;
  }
  const float alpha = 1.0f, beta = 0.0f;
  DEEPOBS_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn(), &alpha, p.x.d, input, p.w.d, w, p.conv.d,
                                              static_cast<cudnnConvolutionFwdAlgo_t>(p.algo),
                                              s.cudnn, p.cudnn_workspace, &beta, p.y.d, y));
}

void conv2d_backward_data(KernelContext& ctx, const ConvGeometry& g, const float* dy,
                          const float* w, float* dx) {
  if (g.batch == 0 || g.in_channels == 0) return;
  DeviceGuard guard(ctx.device());
  const Plan& p = plan_for(ctx, ConvOp::kBackwardData, g);
  const Scratch s = scratch_for(ctx, p);
  const float alpha = 1.0f, beta = 0.0f;
  float* target = p.padded ? s.padded : dx;
  DEEPOBS_CUDNN_CHECK(
      cudnnConvolutionBackwardData(ctx.cudnn(), &alpha, p.w.d, w, p.y.d, dy, p.conv.d,
                                   static_cast<cudnnConvolutionBwdDataAlgo_t>(p.algo), s.cudnn,
                                   p.cudnn_workspace, &beta, p.x.d, target));
  // Crop: dx[h, w] = padded gradient at (h + pad_top, w + pad_left); pixels no window reads get 0.
  if (p.padded)
    place_planes(ctx, s.padded, g.batch * g.in_channels, p.xh, p.xw, dx, g.in_h, g.in_w, -g.pad_top,
                 -g.pad_left);
}

void conv2d_backward_filter(KernelContext& ctx, const ConvGeometry& g, const float* x,
                            const float* dy, float* dw) {
  if (g.out_channels == 0 || g.in_channels == 0) return;
  DeviceGuard guard(ctx.device());
  if (empty_problem(g)) {  // a sum over no images: dw = 0 (cuDNN rejects empty tensors)
    DEEPOBS_CUDA_CHECK(cudaMemsetAsync(
        dw, 0,
        static_cast<std::size_t>(g.out_channels * g.in_channels * g.kernel_h * g.kernel_w) *
            sizeof(float),
        ctx.stream()));
    return;
  }
  const Plan& p = plan_for(ctx, ConvOp::kBackwardFilter, g);
  const Scratch s = scratch_for(ctx, p);
  const float* input = x;
  if (p.padded) {
    place_planes(ctx, x, g.batch * g.in_channels, g.in_h, g.in_w, s.padded, p.xh, p.xw, g.pad_top,
                 g.pad_left);
    input = s.padded;
  }
  const float alpha = 1.0f, beta = 0.0f;
  DEEPOBS_CUDNN_CHECK(
      cudnnConvolutionBackwardFilter(ctx.cudnn(), &alpha, p.x.d, input, p.y.d, dy, p.conv.d,
                                     static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.algo), s.cudnn,
                                     p.cudnn_workspace, &beta, p.w.d, dw));
}

std::vector<ConvPlanInfo> conv_plan_records(int device) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.records.find(device);
  return it == c.records.end() ? std::vector<ConvPlanInfo>{} : it->second;
}

void clear_conv_plans(int device) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  const std::string prefix = std::to_string(device) + ":";
  for (auto it = c.plans.begin(); it != c.plans.end();) {
    if (it->first.rfind(prefix, 0) == 0)
      it = c.plans.erase(it);
    else
      ++it;
  }
  c.records.erase(device);
}

}  // namespace deepobs::kernels::cuda
