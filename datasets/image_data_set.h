// CIFAR-10, CIFAR-100 and SVHN (SPEC §4.3–4.5) as DeepOBS 1.1 feeds them to its problems.
//
// The images are held once as u8 HWC [N,32,32,3] (uploaded as bytes to a GPU) and every batch is
// built by one op, ops::image_batch: gather, then for Train and TrainEval DeepOBS's augmentation
// (zero-pad to 36×36, random 32×32 crop, random horizontal flip — CIFAR only —, brightness on
// the 0..255 scale, saturation, contrast), then per-image standardisation for every phase.
// Batches: inputs f32 [B,3,32,32] (NCHW), labels i64 [B].
//
// Phases follow InMemoryDataSet: Train a permutation per --data_order; TrainEval the first
// ⌊train_eval_size / B⌋ batches of the training pipeline, augmented (SPEC A.4: DeepOBS's
// train_eval is `train_dataset.take(n)`); Test (and the v1.2 validation split) in stored order,
// standardisation only. Every random choice comes from the batch's BatchDraws, so --data_order
// tf1 replays the same augmented batches in every pass and a GPU builds the CPU's bits.
//
//   data set  files (DeepOBS's layout, data_dir.h)               train   test    train_eval
//   cifar10   cifar-10/data_batch_{1..5}.bin, test_batch.bin      50,000  10,000  10,000
//   cifar100  cifar-100/train.bin, test.bin                       50,000  10,000  10,000
//   svhn      svhn/data_batch_{0..4}.bin, test_batch.bin          64,000  26,032  26,032
//             + svhn/train_beyond_64000.bin for SvhnTrain::Full   73,257
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/ops/image_batch.h"
#include "datasets/data_dir.h"
#include "datasets/dataset.h"
#include "datasets/image_records.h"

namespace deepobs::datasets {

inline constexpr std::int64_t kCifarTrainSize = 50000;
inline constexpr std::int64_t kCifarTestSize = 10000;
inline constexpr std::int64_t kCifarTrainEvalSize = 10000;
inline constexpr std::int64_t kCifar10BatchFileRecords = 10000;  // per data_batch_k.bin
inline constexpr std::int64_t kSvhnTrainSize = 73257;            // train_32x32.mat
inline constexpr std::int64_t kSvhnDeepobsTrainSize = 64000;     // DeepOBS 1.1's truncation
inline constexpr std::int64_t kSvhnBatchFiles = 5;               // data_batch_0..4.bin
inline constexpr std::int64_t kSvhnTestSize = 26032;
inline constexpr std::int64_t kSvhnTrainEvalSize = 26032;
// Records 64,001 … 73,257 of train_32x32.mat, which DeepOBS's conversion drops. Named so that
// DeepOBS's own loader (pattern data_batch_*.bin) never reads it: a folder prepared by
// `deepobs prepare-data svhn` still gives DeepOBS exactly its 64,000 images.
inline constexpr const char* kSvhnTailFile = "train_beyond_64000.bin";

// The data choices of an image data set (SPEC A.4); the defaults are DeepOBS 1.1's, i.e. the
// baselines'.
struct ImageDataOptions {
  Cifar100Offset cifar100_offset = Cifar100Offset::Legacy;  // cifar100 only
  SvhnTrain svhn_train = SvhnTrain::First64000;             // svhn only
  // DeepOBS's data_augmentation argument: true for every CIFAR/SVHN problem of DeepOBS.
  bool augment = true;
  // true: every file must hold DeepOBS's record count (a truncated download fails loudly);
  // false: any whole number of records (the tests' small fixture files). The MNIST-format
  // reader honours it too (problems::mnist_data).
  bool official_sizes = true;
};

// What a run records in data_variant for these choices (before ":data_order=…"):
// "cifar10", "cifar100:offset=legacy|fixed", "svhn:train=64000|full", and "mnist"/"fmnist"/
// "imagenet" (their readers honour official_sizes too), each followed by ":sizes=any" without
// official_sizes; any other data set's name unchanged.
std::string image_data_variant(std::string_view data_set, const ImageDataOptions& options);

// The training-phase pipeline of a data set: CIFAR's, or SVHN's without the flip.
ops::ImagePipeline deepobs_image_pipeline(std::string_view data_set);

// An InMemoryDataSet whose batches ops::image_batch builds (gather and augmentation fused).
class ImageDataSet : public InMemoryDataSet {
 public:
  // spec.train/test/valid inputs: u8 [N,H,W,3] (spec.gather_inputs is ignored: the inputs always
  // come from ops::image_batch); `training` is the Train/TrainEval pipeline (its augment flag
  // false: standardisation only in every phase).
  ImageDataSet(InMemorySpec spec, const DataSetOptions& options, ops::ImagePipeline training);

  const ops::ImagePipeline& training_pipeline() const { return training_; }

 protected:
  void transform(Batch& batch, const BatchContext& context) override;

 private:
  ops::ImagePipeline training_;
};

// The data sets, read from find_data_set(<name>, root). Throw deepobs::Error with one line naming
// the file and `deepobs prepare-data <name>` when the folder or a file is missing, truncated or of
// the wrong size (with official_sizes), or holds an invalid label; for SvhnTrain::Full also when
// train_beyond_64000.bin is missing (DeepOBS's script does not write it).
std::unique_ptr<ImageDataSet> make_cifar10_data_set(const DataRoot& root,
                                                    const DataSetOptions& options,
                                                    const ImageDataOptions& image = {});
std::unique_ptr<ImageDataSet> make_cifar100_data_set(const DataRoot& root,
                                                     const DataSetOptions& options,
                                                     const ImageDataOptions& image = {});
std::unique_ptr<ImageDataSet> make_svhn_data_set(const DataRoot& root,
                                                 const DataSetOptions& options,
                                                 const ImageDataOptions& image = {});
// One of the three by name ("cifar10", "cifar100", "svhn"); throws for any other name.
std::unique_ptr<ImageDataSet> make_image_data_set(std::string_view name, const DataRoot& root,
                                                  const DataSetOptions& options,
                                                  const ImageDataOptions& image = {});

}  // namespace deepobs::datasets
