#include "core/ops/dispatch.h"

namespace deepobs::ops::detail {

void no_kernel_for_device(const char* op, const Tensor& t) {
  throw Error(cat(op, ": no kernel for ", t.str(),
                  " in this build (the CUDA backend is not "
                  "built yet; use --device cpu)"));
}

}  // namespace deepobs::ops::detail
