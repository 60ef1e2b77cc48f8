// Recording the work of a device's context stream into a CUDA graph and replaying it (the
// CUDA-graph training step, docs/DESIGN.md). CUDA-free header; defined only in a CUDA build.
//
// A capture puts the context stream into capture mode (cudaStreamCaptureModeRelaxed: our own
// allocator may still serve from cudaMalloc, which relaxed mode allows; a synchronisation of the
// stream or a copy that waits on it still invalidates the capture) and opens a private memory pool
// (memory.h) so the blocks the recorded work uses stay reserved for the graph. Nothing recorded
// runs until the graph is launched.
#pragma once

#include <cstdint>
#include <memory>

namespace deepobs::kernels::cuda {

class KernelContext;

// An instantiated graph and the private pool its blocks belong to. Destroying it destroys the
// graph (work already launched still completes) and hands the pool back to the shared cache: the
// stream orders every later user of those blocks behind the launched replays.
class RecordedGraph {
 public:
  ~RecordedGraph();
  RecordedGraph(const RecordedGraph&) = delete;
  RecordedGraph& operator=(const RecordedGraph&) = delete;

  // Enqueues one replay on the context stream (throws CudaError on failure).
  void launch();
  // Nodes of the graph: every kernel, memset and memcpy the recorded work enqueued (what eager
  // execution launches one API call each for), and the kernel nodes among them.
  std::int64_t nodes() const { return nodes_; }
  std::int64_t kernel_nodes() const { return kernel_nodes_; }

 private:
  friend class StreamCapture;
  RecordedGraph(KernelContext& ctx, void* graph, void* exec, int pool);
  KernelContext& ctx_;
  void* graph_;  // cudaGraph_t
  void* exec_;   // cudaGraphExec_t
  int pool_;
  std::int64_t nodes_ = 0, kernel_nodes_ = 0;
};

// One capture of a context stream. The constructor begins it (throws CudaError when the stream
// cannot capture); finish() ends and instantiates it (throws CudaError when the capture was
// invalidated, e.g. by a synchronisation, naming the cause). Destroying an unfinished capture ends
// it, discards what was recorded and releases its pool, so an exception thrown by the recorded
// work leaves the stream usable for eager work.
class StreamCapture {
 public:
  explicit StreamCapture(KernelContext& ctx);
  ~StreamCapture();
  StreamCapture(const StreamCapture&) = delete;
  StreamCapture& operator=(const StreamCapture&) = delete;

  std::unique_ptr<RecordedGraph> finish();

 private:
  KernelContext& ctx_;
  int pool_ = 0;
  bool open_ = false;
};

}  // namespace deepobs::kernels::cuda
