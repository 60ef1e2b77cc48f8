// Moving a freshly built model to the run's device.
//
// Models are always built on the CPU, drawing their initial values from the run's Init stream, so
// a run on a GPU starts from exactly the bits a CPU run starts from; build_problem then moves the
// parameters and buffers to the device with move_model_to before FlatParameters packs them.
#pragma once

#include "core/device.h"
#include "core/module.h"

namespace deepobs::problems {

// Copies every parameter and buffer of `model` to `device` and re-points each tensor's shared
// implementation at the copy, so the handles layers keep (copies of the registered tensors) see
// the device memory without re-binding. requires_grad and tags are kept. A no-op for tensors
// already on `device`. Call it before any gradient exists and before FlatParameters is built.
void move_model_to(Module& model, Device device);

}  // namespace deepobs::problems
