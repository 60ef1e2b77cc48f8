#include "datasets/imagenet.h"

#include "core/error.h"

namespace deepobs::datasets {

// Interface placeholder for the parallel work on issue 16: replaced by the real loader before the
// issue lands.
std::unique_ptr<DataSet> make_imagenet_data_set(const DataRoot& root, const DataSetOptions&) {
  throw Error(cat("ImageNet loading is not implemented yet (data root ", root.describe(), ")"));
}

}  // namespace deepobs::datasets
