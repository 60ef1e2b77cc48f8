// ImageNet (ILSVRC-2012) as DeepOBS feeds it to imagenet_vgg16/19 and imagenet_inception_v3
// (SPEC §4.6): 1001 classes, 0 = background, 1..1000 the synsets in TF-slim's order (1 + the
// wnid's index in the sorted synset list).
//
// Batches: inputs f32 [B,3,224,224] (NCHW, per-image standardised), labels i64 [B] in 0..1000
// (in practice 1..1000), on DataSetOptions::device (built on the CPU, then uploaded).
// Train: aspect-preserving resize of the shorter side to 256, central crop/pad to 256, random
// 224 crop, random flip; Test (the ILSVRC validation set): central 224 crop; both then
// per-image standardisation (datasets/imagenet_preprocess.h).
//
// Phases (as InMemoryDataSet's, SPEC §4.0/A.5):
//   Train      a full permutation of the training images (Philox stream Shuffle/0; a documented
//              deviation from TF's file-order shuffle + 20,000-element buffer); Tf1: the same
//              permutation and the same crop/flip draws every epoch; Reshuffle: new ones.
//   TrainEval  the first ⌊50,000 / B⌋ batches of the training pipeline (Tf1: of its one order,
//              with its draws; Reshuffle: a fresh permutation (stream Shuffle/1) each time).
//   Valid      with the validation split: the first 50,000 training images of the index, test
//              preprocessing; Train and TrainEval then use the rest.
//   Test       the 50,000 validation images in index order, test preprocessing.
// Random draws: batch b's crop rows, columns and flips are the 3·B uniforms of its BatchDraws
// (dataset.h) call 0, image i taking elements 3i, 3i+1, 3i+2; so they depend on (seed, phase,
// pass, batch, position) only.
//
// Reading: `deepobs prepare-data imagenet --source DIR` must have indexed the images
// (datasets/imagenet_prepare.h); JPEGs are read and decoded on `threads` worker threads that
// stay up to `prefetch` batches ahead of the training step (datasets/batch_prefetcher.h). The
// bits of a batch do not depend on the number of threads.
#pragma once

#include <memory>

#include "datasets/data_dir.h"
#include "datasets/dataset.h"

namespace deepobs::datasets {

struct ImageNetOptions {
  // true: the index must hold ILSVRC-2012's 1,281,167 training and 50,000 validation images;
  // false (`--data_sizes any`): any number (small folders, the tests).
  bool official_sizes = true;
  // Decode threads; 0 = automatic: $DEEPOBS_DATA_THREADS when set, else for a CUDA device every
  // CPU of the process's affinity mask (the compute pool idles while the GPU runs the step), for
  // the CPU device 1 (the step's compute pool already uses every core; one decoder keeps up
  // with a CPU step of these networks, which takes seconds per batch).
  int threads = 0;
  // Batches decoded ahead of the consumer (>= 1); each holds B·602 KB of f32.
  int prefetch = 3;
};

// The decode threads `options.threads` resolves to for `device` (see ImageNetOptions::threads).
int imagenet_decode_threads(const ImageNetOptions& options, Device device);

// The ImageNet data set indexed under `root`/imagenet. Throws deepobs::Error naming what is
// missing and how to prepare it (`deepobs prepare-data imagenet --source DIR`), when the index
// does not hold the official counts under official_sizes, or when a phase has no batch.
std::unique_ptr<DataSet> make_imagenet_data_set(const DataRoot& root, const DataSetOptions& options,
                                                const ImageNetOptions& imagenet = {});

}  // namespace deepobs::datasets
