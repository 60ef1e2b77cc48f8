#include "datasets/image_data_set.h"

#include <system_error>
#include <utility>
#include <vector>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

// Reads files[first, last) of a found data set as one split.
Examples read_split(const FoundDataSet& found, std::size_t first, std::size_t last,
                    const RecordFormat& format, std::int64_t records_per_file) {
  std::vector<Examples> parts;
  for (std::size_t i = first; i < last; ++i)
    parts.push_back(read_image_records(found.files.at(i), format, records_per_file));
  return concat_examples(parts);
}

std::unique_ptr<ImageDataSet> build(std::string name, Examples train, Examples test,
                                    std::int64_t train_eval_size, const DataSetOptions& options,
                                    const ImageDataOptions& image) {
  InMemorySpec spec;
  spec.name = name;
  spec.train = std::move(train);
  spec.test = std::move(test);
  spec.train_eval_size = train_eval_size;
  ops::ImagePipeline pipeline = deepobs_image_pipeline(name);
  pipeline.augment = image.augment;
  return std::make_unique<ImageDataSet>(std::move(spec), options, pipeline);
}

// The batches' inputs come from ops::image_batch (transform), never from the plain gather.
InMemorySpec without_gather(InMemorySpec spec) {
  spec.gather_inputs = false;
  return spec;
}

std::int64_t count_or_any(const ImageDataOptions& image, std::int64_t official) {
  return image.official_sizes ? official : -1;
}

// CIFAR-10/100: data_dir.cpp lists the training files (data_batch_1..5.bin or train.bin), then
// the test file.
std::unique_ptr<ImageDataSet> make_cifar(const char* name, const RecordFormat& format,
                                         std::int64_t train_records_per_file, const DataRoot& root,
                                         const DataSetOptions& options,
                                         const ImageDataOptions& image) {
  const FoundDataSet found = find_data_set(name, root);
  const std::size_t n = found.files.size();
  Examples train = read_split(found, 0, n - 1, format, count_or_any(image, train_records_per_file));
  Examples test = read_split(found, n - 1, n, format, count_or_any(image, kCifarTestSize));
  return build(name, std::move(train), std::move(test), kCifarTrainEvalSize, options, image);
}

}  // namespace

std::string image_data_variant(std::string_view data_set, const ImageDataOptions& options) {
  // Files of any size are never DeepOBS's data: say so, so that no such run passes for one.
  const char* sizes = options.official_sizes ? "" : ":sizes=any";
  if (data_set == "cifar100")
    return cat("cifar100:offset=", cifar100_offset_name(options.cifar100_offset), sizes);
  if (data_set == "svhn") return cat("svhn:train=", svhn_train_name(options.svhn_train), sizes);
  if (data_set == "cifar10" || data_set == "mnist" || data_set == "fmnist" ||
      data_set == "imagenet")
    return cat(data_set, sizes);
  return std::string(data_set);
}

ops::ImagePipeline deepobs_image_pipeline(std::string_view data_set) {
  ops::ImagePipeline p;                    // CIFAR-10/100 (cifar10.py, cifar100.py)
  if (data_set == "svhn") p.flip = false;  // svhn.py has no random_flip_left_right
  return p;
}

ImageDataSet::ImageDataSet(InMemorySpec spec, const DataSetOptions& options,
                           ops::ImagePipeline training)
    : InMemoryDataSet(without_gather(std::move(spec)), options), training_(training) {}

void ImageDataSet::transform(Batch& batch, const BatchContext& context) {
  ops::ImagePipeline pipeline = training_;
  // DeepOBS augments its training pipeline, which train_eval takes its batches from; the test
  // set (and the v1.2 validation split) only gets the standardisation.
  pipeline.augment =
      training_.augment && (context.phase == Phase::Train || context.phase == Phase::TrainEval);
  const ops::ImageDrawAddress draws{context.draws.seed, context.draws.stream(),
                                    context.draws.call(0)};
  batch.inputs =
      ops::image_batch(context.source, context.order, context.first, batch_size(), pipeline, draws);
}

std::unique_ptr<ImageDataSet> make_cifar10_data_set(const DataRoot& root,
                                                    const DataSetOptions& options,
                                                    const ImageDataOptions& image) {
  return make_cifar("cifar10", cifar10_format(), kCifar10BatchFileRecords, root, options, image);
}

std::unique_ptr<ImageDataSet> make_cifar100_data_set(const DataRoot& root,
                                                     const DataSetOptions& options,
                                                     const ImageDataOptions& image) {
  return make_cifar("cifar100", cifar100_format(image.cifar100_offset), kCifarTrainSize, root,
                    options, image);
}

std::unique_ptr<ImageDataSet> make_svhn_data_set(const DataRoot& root,
                                                 const DataSetOptions& options,
                                                 const ImageDataOptions& image) {
  const FoundDataSet found = find_data_set("svhn", root);
  const RecordFormat format = svhn_format();
  // data_dir.cpp lists data_batch_0..4.bin, then test_batch.bin.
  std::vector<Examples> train;
  for (std::size_t i = 0; i < kSvhnBatchFiles; ++i)
    train.push_back(read_image_records(
        found.files.at(i), format, count_or_any(image, kSvhnDeepobsTrainSize / kSvhnBatchFiles)));
  if (image.svhn_train == SvhnTrain::Full) {
    const fs::path tail = found.dir / kSvhnTailFile;
    std::error_code ec;
    DEEPOBS_CHECK(fs::is_regular_file(tail, ec), tail.string(),
                  ": no such file; --svhn_train full needs the SVHN training images beyond the "
                  "first 64,000, which DeepOBS's own preparation script does not keep; get them "
                  "with `deepobs prepare-data svhn",
                  root.source == DataRoot::Source::Default
                      ? std::string()
                      : cat(" --data_dir ", root.path.string()),
                  "`");
    train.push_back(read_image_records(
        tail, format, count_or_any(image, kSvhnTrainSize - kSvhnDeepobsTrainSize)));
  }
  Examples test = read_split(found, kSvhnBatchFiles, kSvhnBatchFiles + 1, format,
                             count_or_any(image, kSvhnTestSize));
  return build("svhn", concat_examples(train), std::move(test), kSvhnTrainEvalSize, options, image);
}

std::unique_ptr<ImageDataSet> make_image_data_set(std::string_view name, const DataRoot& root,
                                                  const DataSetOptions& options,
                                                  const ImageDataOptions& image) {
  if (name == "cifar10") return make_cifar10_data_set(root, options, image);
  if (name == "cifar100") return make_cifar100_data_set(root, options, image);
  if (name == "svhn") return make_svhn_data_set(root, options, image);
  throw Error(cat("make_image_data_set: '", name,
                  "' is not an image data set of this kind (cifar10, cifar100, svhn)"));
}

}  // namespace deepobs::datasets
