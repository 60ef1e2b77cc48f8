#include "datasets/imagenet.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/batch_prefetcher.h"
#include "datasets/imagenet_index.h"
#include "datasets/imagenet_preprocess.h"
#include "datasets/imagenet_records.h"
#include "datasets/jpeg.h"

namespace deepobs::datasets {
namespace {

constexpr std::int64_t kDrawsPerImage = 3;  // crop row, crop column, flip

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// What one decode thread keeps between images.
struct WorkerState {
  JpegDecoder decoder;
  RgbImage image;
  std::string bytes;
};

class ImageNetDataSet : public DataSet {
 public:
  ImageNetDataSet(ImageNetIndex index, const DataSetOptions& options, const ImageNetOptions& in)
      : index_(std::move(index)),
        batch_size_(options.batch_size),
        seed_(options.seed),
        order_kind_(options.order),
        device_(options.device),
        threads_(imagenet_decode_threads(in, options.device)),
        depth_(in.prefetch),
        workers_(static_cast<std::size_t>(threads_)) {
    DEEPOBS_CHECK(batch_size_ >= 1, "imagenet: batch size must be >= 1, got ", batch_size_);
    DEEPOBS_CHECK(depth_ >= 1, "imagenet: prefetch must be >= 1, got ", depth_);
    const auto n_train = static_cast<std::int64_t>(index_.train.entries.size());
    train_ = {&index_.train, 0, n_train};
    test_ = {&index_.validation, 0, static_cast<std::int64_t>(index_.validation.entries.size())};
    if (options.validation) {
      DEEPOBS_CHECK(kImageNetTrainEvalSize < n_train, "imagenet: cannot carve a validation set of ",
                    kImageNetTrainEvalSize, " images out of ", n_train, " training images");
      has_valid_ = true;
      valid_ = {&index_.train, 0, kImageNetTrainEvalSize};
      train_ = {&index_.train, kImageNetTrainEvalSize, n_train - kImageNetTrainEvalSize};
    }
    const std::int64_t train_batches = train_.size / batch_size_;
    train_eval_batches_ = std::min(kImageNetTrainEvalSize / batch_size_, train_batches);
    check_batches(Phase::Train, train_.size);
    check_batches(Phase::TrainEval, std::min(kImageNetTrainEvalSize, train_.size));
    check_batches(Phase::Test, test_.size);
    if (has_valid_) check_batches(Phase::Valid, valid_.size);
    draws_.resize(static_cast<std::size_t>(depth_));
  }

  ~ImageNetDataSet() override { prefetcher_.reset(); }

  const std::string& name() const override { return name_; }
  std::int64_t batch_size() const override { return batch_size_; }
  bool has_labels() const override { return true; }
  bool has_phase(Phase phase) const override { return phase != Phase::Valid || has_valid_; }

  std::int64_t batches(Phase phase) const override {
    if (phase == Phase::TrainEval) return train_eval_batches_;
    return range(phase).size / batch_size_;
  }

  void start(Phase phase) override {
    prefetcher_.reset();  // abandons a pass in progress
    const Range& r = range(phase);
    const std::int64_t pass = starts_[static_cast<std::size_t>(phase)]++;
    phase_ = phase;
    started_ = true;
    source_ = &r;
    order_ = pass_order(phase, pass, r.size);
    pass_ = pass;
    augment_ = phase == Phase::Train || phase == Phase::TrainEval;
    prefetcher_ = std::make_unique<BatchPrefetcher>(
        batches(phase), batch_size_, kImageNetImageFloats, threads_, depth_,
        [this](std::int64_t b) { prepare_batch(b); },
        [this](int w, std::int64_t e, float* out) { fill(w, e, out); });
  }

  bool next(Batch& batch) override {
    DEEPOBS_CHECK(started_, "imagenet: next() before start()");
    if (!prefetcher_) return false;
    const std::int64_t b = prefetcher_->consumed();
    Tensor inputs = prefetcher_->next();
    if (!inputs.defined()) return false;
    std::vector<std::int64_t> labels(static_cast<std::size_t>(batch_size_));
    for (std::int64_t i = 0; i < batch_size_; ++i)
      labels[static_cast<std::size_t>(i)] = entry(b * batch_size_ + i).label;
    Tensor x = inputs.view({batch_size_, 3, kImageNetCropSide, kImageNetCropSide});
    Tensor y = Tensor::from_vector(labels, {batch_size_});
    batch.inputs = device_.is_cpu() ? x : x.to(device_);
    batch.labels = device_.is_cpu() ? y : y.to(device_);
    return true;
  }

  Phase phase() const override {
    DEEPOBS_CHECK(started_, "imagenet: phase() before the first start()");
    return phase_;
  }

 private:
  // A contiguous run of one split's entries.
  struct Range {
    const ImageNetSplit* split = nullptr;
    std::int64_t first = 0;
    std::int64_t size = 0;
  };

  const Range& range(Phase phase) const {
    switch (phase) {
      case Phase::Train:
      case Phase::TrainEval:
        return train_;
      case Phase::Test:
        return test_;
      case Phase::Valid:
        break;
    }
    DEEPOBS_CHECK(has_valid_, "imagenet: there is no valid phase without the validation split ",
                  "(--validation)");
    return valid_;
  }

  void check_batches(Phase phase, std::int64_t examples) const {
    DEEPOBS_CHECK(examples >= batch_size_, "imagenet: phase ", phase_name(phase), " has ", examples,
                  " images, fewer than one batch of ", batch_size_,
                  " (every phase drops the remainder); use a smaller batch size");
  }

  // Positions (within the range) in pass order; empty for the stored order.
  std::vector<std::int64_t> pass_order(Phase phase, std::int64_t pass, std::int64_t n) const {
    const Tensor perm = pass_permutation(seed_, order_kind_, phase, pass, n);
    if (!perm.defined()) return {};
    const std::int64_t* p = perm.data<std::int64_t>();
    return std::vector<std::int64_t>(p, p + n);
  }

  const ImageNetEntry& entry(std::int64_t example) const {
    const std::int64_t pos = order_.empty() ? example : order_[static_cast<std::size_t>(example)];
    return source_->split->entries[static_cast<std::size_t>(source_->first + pos)];
  }

  // The batch's 3·B uniforms, on the consumer thread (PhiloxGenerator is not shared).
  void prepare_batch(std::int64_t b) {
    if (!augment_) return;
    const BatchDraws d = phase_batch_draws(seed_, order_kind_, phase_, pass_, b, name_);
    Tensor u = Tensor::empty({batch_size_ * kDrawsPerImage}, DType::F64);
    d.generator(0).uniform_(u, 0.0, 1.0);
    const double* p = u.data<double>();
    draws_[static_cast<std::size_t>(b % depth_)].assign(p, p + batch_size_ * kDrawsPerImage);
  }

  void fill(int worker, std::int64_t example, float* out) {
    WorkerState& w = workers_[static_cast<std::size_t>(worker)];
    const ImageNetEntry& e = entry(example);
    const std::string_view jpeg = load_imagenet_jpeg(index_, *source_->split, e, w.bytes);
    const std::string what =
        index_.layout == ImageNetLayout::TFRecord
            ? cat(imagenet_entry_path(index_, *source_->split, e), " record at byte ", e.offset)
            : imagenet_entry_path(index_, *source_->split, e);
    w.decoder.decode(jpeg, what, w.image);
    const ImageSize resized = aspect_preserving_size(w.image.height, w.image.width);
    CropWindow window = test_window(resized);
    if (augment_) {
      const std::int64_t b = example / batch_size_;
      const double* u = draws_[static_cast<std::size_t>(b % depth_)].data() +
                        (example % batch_size_) * kDrawsPerImage;
      window = train_window(resized, u[0], u[1], u[2]);
    }
    preprocess_image(w.image, resized, window, out);
  }

  std::string name_ = "imagenet";
  ImageNetIndex index_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  DataOrder order_kind_;
  Device device_;
  int threads_;
  int depth_;
  std::vector<WorkerState> workers_;
  Range train_, valid_, test_;
  bool has_valid_ = false;
  std::int64_t train_eval_batches_ = 0;
  std::int64_t starts_[4] = {0, 0, 0, 0};

  // The current pass.
  bool started_ = false;
  Phase phase_ = Phase::Train;
  const Range* source_ = nullptr;
  std::vector<std::int64_t> order_;
  std::int64_t pass_ = 0;
  bool augment_ = false;
  std::vector<std::vector<double>> draws_;  // per prefetch slot: batch b in b % depth
  std::unique_ptr<BatchPrefetcher> prefetcher_;
};

}  // namespace

int imagenet_decode_threads(const ImageNetOptions& options, Device device) {
  if (options.threads > 0) return options.threads;
  if (const char* env = std::getenv("DEEPOBS_DATA_THREADS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    DEEPOBS_CHECK(end != env && *end == '\0' && n >= 1 && n <= 1024,
                  "DEEPOBS_DATA_THREADS must be a whole number from 1 to 1024, got '", env, "'");
    return static_cast<int>(n);
  }
  return device.is_cpu() ? 1 : affinity_cpus();
}

std::unique_ptr<DataSet> make_imagenet_data_set(const DataRoot& root, const DataSetOptions& options,
                                                const ImageNetOptions& imagenet) {
  const std::filesystem::path path = imagenet_index_path(root);
  DEEPOBS_CHECK(std::filesystem::is_regular_file(path), "imagenet: no index at ", path.string(),
                " (data root ", root.describe(), "); ImageNet cannot be downloaded (its licence ",
                "needs a registration at image-net.org): download ILSVRC-2012 yourself, then run ",
                "`deepobs prepare-data imagenet --source DIR` (DIR: train/ and val/ JPEG folders, ",
                "or TFRecord shards train-* and validation-*)");
  ImageNetIndex index = read_imagenet_index(path);
  if (imagenet.official_sizes) {
    const auto train = static_cast<std::int64_t>(index.train.entries.size());
    const auto test = static_cast<std::int64_t>(index.validation.entries.size());
    DEEPOBS_CHECK(train == kImageNetTrainSize && test == kImageNetTestSize,
                  "imagenet: ", path.string(), " indexes ", train, " training and ", test,
                  " validation images, ILSVRC-2012 has ", kImageNetTrainSize, " and ",
                  kImageNetTestSize, "; prepare the full set, or run with --data_sizes any");
  }
  return std::make_unique<ImageNetDataSet>(std::move(index), options, imagenet);
}

}  // namespace deepobs::datasets
