#include "core/cuda_graph.h"

#include <utility>

#include "core/backend.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/graph_capture.h"
#endif

namespace deepobs {

#if DEEPOBS_WITH_CUDA
struct CudaGraph::Impl {
  std::unique_ptr<kernels::cuda::RecordedGraph> graph;
};
struct CudaGraphCapture::Impl {
  std::unique_ptr<kernels::cuda::StreamCapture> capture;
};
#else
struct CudaGraph::Impl {};
struct CudaGraphCapture::Impl {};
#endif

CudaGraph::CudaGraph() = default;
CudaGraph::~CudaGraph() = default;
CudaGraph::CudaGraph(CudaGraph&&) noexcept = default;
CudaGraph& CudaGraph::operator=(CudaGraph&&) noexcept = default;

void CudaGraph::replay() {
  DEEPOBS_CHECK(impl_, "CudaGraph::replay: no graph was recorded");
#if DEEPOBS_WITH_CUDA
  impl_->graph->launch();
#endif
}

std::int64_t CudaGraph::nodes() const {
#if DEEPOBS_WITH_CUDA
  if (impl_) return impl_->graph->nodes();
#endif
  return 0;
}

std::int64_t CudaGraph::kernel_nodes() const {
#if DEEPOBS_WITH_CUDA
  if (impl_) return impl_->graph->kernel_nodes();
#endif
  return 0;
}

CudaGraphCapture::CudaGraphCapture(Device device) {
  DEEPOBS_CHECK(device.is_cuda(), "a CUDA graph records work of a CUDA device, not ", device.str());
#if DEEPOBS_WITH_CUDA
  impl_ = std::make_unique<Impl>();
  impl_->capture = std::make_unique<kernels::cuda::StreamCapture>(backend::context(device));
  scope_.emplace();
#else
  throw Error("a CUDA graph needs a build with CUDA (this one is CPU-only)");
#endif
}

CudaGraphCapture::~CudaGraphCapture() = default;

CudaGraph CudaGraphCapture::finish() {
  DEEPOBS_CHECK(impl_, "CudaGraphCapture::finish called twice");
  scope_.reset();
  CudaGraph out;
#if DEEPOBS_WITH_CUDA
  auto graph = impl_->capture->finish();
  out.impl_ = std::make_unique<CudaGraph::Impl>();
  out.impl_->graph = std::move(graph);
#endif
  impl_.reset();
  return out;
}

}  // namespace deepobs
