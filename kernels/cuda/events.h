// CUDA events for timing work on a context stream, seen from code that must not include CUDA
// headers. Events are cudaEvent_t passed as void*. CUDA-free header; defined in events.cpp.
#pragma once

namespace deepobs::kernels::cuda {

class KernelContext;

// Creates a timing event on ctx's device (throws CudaError on failure).
void* event_create(KernelContext& ctx);
// Destroys an event from event_create (nullptr is ignored); never throws.
void event_destroy(void* event) noexcept;
// Records `event` on ctx's stream.
void event_record(KernelContext& ctx, void* event);
// Blocks the calling thread until the work recorded before `event` has finished.
void event_synchronize(void* event);
// Waits for `stop` and returns the milliseconds between `start` and `stop` (both recorded).
double event_elapsed_ms(void* start, void* stop);

}  // namespace deepobs::kernels::cuda
