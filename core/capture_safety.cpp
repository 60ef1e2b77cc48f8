#include "core/capture_safety.h"

namespace deepobs {
namespace {

// One control thread drives a device (kernels/cuda/context.h); a per-thread depth keeps a second
// thread (a CPU test running beside it) from seeing the first one's capture.
thread_local int capture_depth = 0;

}  // namespace

CaptureScope::CaptureScope() {
  ++capture_depth;
}

CaptureScope::~CaptureScope() {
  --capture_depth;
}

bool capture_active() {
  return capture_depth > 0;
}

void refuse_capture(std::string_view operation, std::string_view why) {
  if (capture_depth > 0)
    throw NotCaptureSafe(cat(operation, " is not CUDA-graph capture-safe: ", why));
}

}  // namespace deepobs
