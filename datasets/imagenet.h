// ImageNet (ILSVRC-2012) as DeepOBS feeds it to imagenet_vgg16/19 and imagenet_inception_v3
// (SPEC §4.6): 1001 classes, 0 = background, 1..1000 the synsets in TF-slim's order.
//
// Batches: inputs f32 [B,3,224,224] (NCHW, per-image standardised), labels i64 [B] in 0..1000.
// Train: aspect-preserving resize of the shorter side to 256, central crop/pad to 256, random
// 224 crop, random flip; Test (the ILSVRC validation set): central 224 crop; both then
// per-image standardisation.
#pragma once

#include <memory>

#include "datasets/data_dir.h"
#include "datasets/dataset.h"

namespace deepobs::datasets {

// The ImageNet data set under `root`/imagenet (a folder that `deepobs prepare-data imagenet`
// checked and indexed). Throws deepobs::Error naming what is missing and how to prepare it.
std::unique_ptr<DataSet> make_imagenet_data_set(const DataRoot& root,
                                                const DataSetOptions& options);

}  // namespace deepobs::datasets
