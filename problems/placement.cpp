#include "problems/placement.h"

namespace deepobs::problems {
namespace {

void repoint(const Tensor& t, Device device) {
  if (!t.defined() || t.device() == device) return;
  const Tensor copy = t.to(device);
  auto& impl = t.impl();
  DEEPOBS_CHECK(!impl.grad, "move_model_to: ", t.str(),
                " already has a gradient; move the model before the first backward pass");
  impl.storage = copy.impl().storage;
  impl.offset = copy.impl().offset;
}

}  // namespace

void move_model_to(Module& model, Device device) {
  for (const auto& p : model.named_parameters())
    repoint(p.param->tensor, device);
  for (const auto& b : model.named_buffers())
    repoint(*b.buffer, device);
}

}  // namespace deepobs::problems
