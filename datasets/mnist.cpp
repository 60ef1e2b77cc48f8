#include "datasets/mnist.h"

#include <algorithm>

#include "core/error.h"
#include "datasets/idx_reader.h"

namespace deepobs::datasets {

Examples load_mnist_split(const std::filesystem::path& images, const std::filesystem::path& labels,
                          std::int64_t expected_count) {
  const Tensor raw_images = read_idx(images);
  DEEPOBS_CHECK(
      raw_images.dim() == 3 && raw_images.size(1) == kMnistSide && raw_images.size(2) == kMnistSide,
      images.string(), ": expected MNIST images of shape [N,28,28], the IDX header says ",
      shape_str(raw_images.shape()));
  const Tensor raw_labels = read_idx(labels);
  DEEPOBS_CHECK(raw_labels.dim() == 1, labels.string(),
                ": expected MNIST labels of shape [N], the IDX header says ",
                shape_str(raw_labels.shape()));
  const std::int64_t n = raw_images.size(0);
  DEEPOBS_CHECK(raw_labels.size(0) == n, labels.string(), ": ", raw_labels.size(0), " labels but ",
                images.string(), " has ", n, " images");
  DEEPOBS_CHECK(expected_count < 0 || n == expected_count, images.string(), ": ", n,
                " images, expected ", expected_count, " (an incomplete or different data set?)");

  Examples out;
  out.inputs = raw_images.view({n, 1, kMnistSide, kMnistSide});
  out.labels = Tensor::empty({n}, DType::I64);
  const std::uint8_t* src = raw_labels.data<std::uint8_t>();
  std::int64_t* dst = out.labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    DEEPOBS_CHECK(src[i] < kMnistClasses, labels.string(), ": label ", int{src[i]}, " of example ",
                  i, " is not a class index 0..", kMnistClasses - 1);
    dst[i] = src[i];
  }
  return out;
}

std::unique_ptr<InMemoryDataSet> make_mnist_data_set(std::string_view name, const DataRoot& root,
                                                     const DataSetOptions& options,
                                                     bool official_sizes) {
  DEEPOBS_CHECK(name == "mnist" || name == "fmnist", "make_mnist_data_set: '", name,
                "' is not an MNIST-format data set (mnist, fmnist)");
  const FoundDataSet found = find_data_set(name, root);
  // data_dir.cpp lists the files as train images, train labels, test images, test labels.
  InMemorySpec spec;
  spec.name = std::string(name);
  spec.train =
      load_mnist_split(found.files.at(0), found.files.at(1), official_sizes ? kMnistTrainSize : -1);
  spec.test =
      load_mnist_split(found.files.at(2), found.files.at(3), official_sizes ? kMnistTestSize : -1);
  spec.train_eval_size = std::min(kMnistTrainEvalSize, spec.train.inputs.size(0));
  spec.u8_divisor = 255.0f;
  return std::make_unique<InMemoryDataSet>(std::move(spec), options);
}

}  // namespace deepobs::datasets
