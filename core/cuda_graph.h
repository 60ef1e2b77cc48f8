// Capturing device work into a CUDA graph and replaying it, for the layers above core/ (the
// runner's CUDA-graph training step; docs/DESIGN.md, "CUDA-graph training step"). Compiles in
// every build; in a CPU-only build, or for a CPU device, a capture cannot begin (Error).
//
//   CudaGraphCapture capture(device);   // the device's stream records from here on
//   ... enqueue the step's work ...     // nothing runs; refuse_capture() guards what cannot record
//   CudaGraph graph = capture.finish(); // instantiates; throws if the recording was invalidated
//   graph.replay();                     // runs the recorded work once, on the same stream
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/capture_safety.h"
#include "core/device.h"

namespace deepobs {

// A recorded, instantiated graph and the device memory its work uses (reserved for it until the
// graph is destroyed). Empty when default-constructed.
class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(CudaGraph&&) noexcept;
  CudaGraph& operator=(CudaGraph&&) noexcept;

  bool defined() const { return impl_ != nullptr; }
  // Enqueues the recorded work once on the device's stream. Throws Error when empty.
  void replay();
  // Every kernel, memset and memcpy node (what eager execution launches one call each for), and
  // the kernels among them; 0 when empty.
  std::int64_t nodes() const;
  std::int64_t kernel_nodes() const;

 private:
  friend class CudaGraphCapture;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One capture of a device's stream; until finish() also a CaptureScope for the thread
// (refuse_capture throws inside it). Destroying it unfinished discards the recording: the stream is
// usable eagerly again and nothing recorded has run.
class CudaGraphCapture {
 public:
  // Throws Error for a CPU device or a build without CUDA, CudaError when capture cannot begin.
  explicit CudaGraphCapture(Device device);
  ~CudaGraphCapture();
  CudaGraphCapture(const CudaGraphCapture&) = delete;
  CudaGraphCapture& operator=(const CudaGraphCapture&) = delete;

  // Ends the capture and instantiates the graph; throws (CudaError) when the recording was
  // invalidated. May be called once.
  CudaGraph finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::optional<CaptureScope> scope_;
};

}  // namespace deepobs
