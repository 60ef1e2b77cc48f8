// Which work may be recorded into a CUDA graph (docs/DESIGN.md, "CUDA-graph training step").
//
// While a capture is open on the control thread (CaptureScope, opened by core/cuda_graph.h), every
// operation that cannot be replayed as recorded calls refuse_capture() first: a host read-back or
// upload (a recorded copy from host memory replays stale bytes, and a synchronisation is illegal
// inside a capture), an op whose launch arguments come from the host per call (cuDNN's RNN with
// host-side sequence lengths), and so on. It then throws NotCaptureSafe naming the operation and
// why, the capture is abandoned, and the runner falls back to eager steps with that reason.
// Outside a capture refuse_capture() costs one thread-local read and does nothing.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace deepobs {

// Thrown by refuse_capture(): what() is "<operation> is not CUDA-graph capture-safe: <why>".
class NotCaptureSafe : public Error {
 public:
  explicit NotCaptureSafe(const std::string& message) : Error(message) {}
};

// Marks the calling thread as recording a CUDA graph for the scope's lifetime (scopes nest).
class CaptureScope {
 public:
  CaptureScope();
  ~CaptureScope();
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;
};

// Whether a CaptureScope is open on the calling thread.
bool capture_active();

// Throws NotCaptureSafe("<operation> is not CUDA-graph capture-safe: <why>") while a capture is
// open on the calling thread; does nothing otherwise.
void refuse_capture(std::string_view operation, std::string_view why);

}  // namespace deepobs
