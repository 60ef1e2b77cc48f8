#include "kernels/cuda/graph_capture.h"

#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/memory.h"

namespace deepobs::kernels::cuda {
namespace {

cudaGraph_t as_graph(void* p) {
  return static_cast<cudaGraph_t>(p);
}

cudaGraphExec_t as_exec(void* p) {
  return static_cast<cudaGraphExec_t>(p);
}

// DeviceGuard for destructors: never throws (a failure here means the runtime is already broken,
// which the next checked call reports).
class QuietDeviceGuard {
 public:
  explicit QuietDeviceGuard(int device) {
    if (cudaGetDevice(&previous_) != cudaSuccess) previous_ = -1;
    if (previous_ != device) cudaSetDevice(device);
  }
  ~QuietDeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  QuietDeviceGuard(const QuietDeviceGuard&) = delete;
  QuietDeviceGuard& operator=(const QuietDeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace

RecordedGraph::RecordedGraph(KernelContext& ctx, void* graph, void* exec, int pool)
    : ctx_(ctx), graph_(graph), exec_(exec), pool_(pool) {
  std::size_t count = 0;
  DEEPOBS_CUDA_CHECK(cudaGraphGetNodes(as_graph(graph_), nullptr, &count));
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0) DEEPOBS_CUDA_CHECK(cudaGraphGetNodes(as_graph(graph_), nodes.data(), &count));
  nodes_ = static_cast<std::int64_t>(count);
  for (cudaGraphNode_t n : nodes) {
    cudaGraphNodeType type{};
    DEEPOBS_CUDA_CHECK(cudaGraphNodeGetType(n, &type));
    if (type == cudaGraphNodeTypeKernel) ++kernel_nodes_;
  }
}

RecordedGraph::~RecordedGraph() {
  // An in-flight replay completes on its own (cudaGraphExecDestroy frees it asynchronously).
  QuietDeviceGuard guard(ctx_.device());
  if (exec_) cudaGraphExecDestroy(as_exec(exec_));
  if (graph_) cudaGraphDestroy(as_graph(graph_));
  try {
    device_release_private_pool(ctx_.device(), pool_);
  } catch (...) {  // an unknown pool cannot happen: the pool was opened for this graph
  }
}

void RecordedGraph::launch() {
  DeviceGuard guard(ctx_.device());
  DEEPOBS_CUDA_CHECK(cudaGraphLaunch(as_exec(exec_), ctx_.stream()));
}

StreamCapture::StreamCapture(KernelContext& ctx) : ctx_(ctx) {
  DeviceGuard guard(ctx_.device());
  // The handles exist before the capture: creating them inside would allocate and synchronise.
  (void)ctx_.cublas();
  (void)ctx_.cudnn();
  ctx_.retain_workspace();
  pool_ = device_begin_private_pool(ctx_.device());
  const cudaError_t st = cudaStreamBeginCapture(ctx_.stream(), cudaStreamCaptureModeRelaxed);
  if (st != cudaSuccess) {
    (void)cudaGetLastError();
    device_end_private_pool(ctx_.device());
    device_release_private_pool(ctx_.device(), pool_);
    DEEPOBS_CUDA_CHECK(st);
  }
  open_ = true;
}

StreamCapture::~StreamCapture() {
  if (!open_) return;
  QuietDeviceGuard guard(ctx_.device());
  cudaGraph_t graph = nullptr;
  // Ends capture mode whatever happened inside; the partial graph (if any) is discarded and the
  // error of an invalidated capture cleared so that it does not surface at the next launch.
  if (cudaStreamEndCapture(ctx_.stream(), &graph) != cudaSuccess) (void)cudaGetLastError();
  if (graph) cudaGraphDestroy(graph);
  device_end_private_pool(ctx_.device());
  try {
    device_release_private_pool(ctx_.device(), pool_);
  } catch (...) {  // cannot happen: the pool was opened by this capture
  }
}

std::unique_ptr<RecordedGraph> StreamCapture::finish() {
  DeviceGuard guard(ctx_.device());
  open_ = false;
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(ctx_.stream(), &graph);
  device_end_private_pool(ctx_.device());
  cudaGraphExec_t exec = nullptr;
  cudaError_t st = ended;
  if (st == cudaSuccess) st = cudaGraphInstantiate(&exec, graph, 0);
  if (st != cudaSuccess) {
    (void)cudaGetLastError();
    if (graph) cudaGraphDestroy(graph);
    device_release_private_pool(ctx_.device(), pool_);
    DEEPOBS_CUDA_CHECK(st);
  }
  try {
    return std::unique_ptr<RecordedGraph>(new RecordedGraph(ctx_, graph, exec, pool_));
  } catch (...) {
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    device_release_private_pool(ctx_.device(), pool_);
    throw;
  }
}

}  // namespace deepobs::kernels::cuda
