// MNIST-format loading on small files written here, its error paths, and the real Fashion-MNIST
// from the Debian package dataset-fashion-mnist when it is installed.
#include <gtest/gtest.h>

#include <array>

#include "core/error.h"
#include "datasets/mnist.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::idx_bytes;
using test_util::TempDir;
using test_util::write_gz;

const fs::path kFashionDir = "/usr/share/datasets/fashion-mnist";

// Writes n MNIST-shaped images (image e filled with byte e·3) and the given labels.
void write_split(const fs::path& images, const fs::path& labels, std::uint32_t n,
                 const std::vector<std::uint8_t>& label_values, std::uint32_t side = 28) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n) * side * side);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<std::uint8_t>((i / (side * side)) * 3);
  write_gz(images, idx_bytes({n, side, side}, pixels));
  write_gz(labels, idx_bytes({static_cast<std::uint32_t>(label_values.size())}, label_values));
}

std::string load_error(const fs::path& images, const fs::path& labels, std::int64_t expected = -1) {
  try {
    load_mnist_split(images, labels, expected);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_mnist_split did not throw";
  return "";
}

TEST(DataMnist, LoadsASplit) {
  TempDir dir;
  write_split(dir / "img.gz", dir / "lab.gz", 5, {7, 0, 9, 3, 3});
  const Examples ex = load_mnist_split(dir / "img.gz", dir / "lab.gz", 5);
  EXPECT_EQ(ex.size(), 5);
  EXPECT_EQ(ex.inputs.shape(), (Shape{5, 1, 28, 28}));
  EXPECT_EQ(ex.inputs.dtype(), DType::U8);
  EXPECT_EQ(ex.inputs.to_vector<std::uint8_t>()[4 * 784 + 100], 12);
  EXPECT_EQ(ex.labels.dtype(), DType::I64);
  EXPECT_EQ(ex.labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 0, 9, 3, 3}));
}

TEST(DataMnist, InconsistentFilesAreClearErrors) {
  TempDir dir;
  write_split(dir / "img.gz", dir / "lab.gz", 4, {1, 2, 3});
  std::string msg = load_error(dir / "img.gz", dir / "lab.gz");
  EXPECT_NE(msg.find("3 labels but " + (dir / "img.gz").string() + " has 4 images"),
            std::string::npos)
      << msg;

  write_split(dir / "img.gz", dir / "lab.gz", 3, {1, 10, 3});
  msg = load_error(dir / "img.gz", dir / "lab.gz");
  EXPECT_NE(msg.find("label 10 of example 1 is not a class index 0..9"), std::string::npos) << msg;

  write_split(dir / "img.gz", dir / "lab.gz", 3, {1, 2, 3});
  msg = load_error(dir / "img.gz", dir / "lab.gz", 60000);
  EXPECT_NE(msg.find("3 images, expected 60000"), std::string::npos) << msg;

  write_split(dir / "small.gz", dir / "lab.gz", 3, {1, 2, 3}, 27);
  msg = load_error(dir / "small.gz", dir / "lab.gz");
  EXPECT_NE(msg.find("expected MNIST images of shape [N,28,28], the IDX header says [3,27,27]"),
            std::string::npos)
      << msg;

  // Swapped files: labels where the images should be.
  msg = load_error(dir / "lab.gz", dir / "img.gz");
  EXPECT_NE(msg.find("the IDX header says [3]"), std::string::npos) << msg;
}

TEST(DataMnist, DataSetNeedsTheStandardSizesAndTheFiles) {
  TempDir dir;
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  try {
    make_mnist_data_set("mnist", root, {});
    ADD_FAILURE() << "no error without files";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deepobs prepare-data mnist"), std::string::npos)
        << e.what();
  }
  fs::create_directories(dir / "mnist");
  write_split(dir / "mnist" / "train-images-idx3-ubyte.gz",
              dir / "mnist" / "train-labels-idx1-ubyte.gz", 3, {1, 2, 3});
  write_split(dir / "mnist" / "t10k-images-idx3-ubyte.gz",
              dir / "mnist" / "t10k-labels-idx1-ubyte.gz", 3, {1, 2, 3});
  try {
    make_mnist_data_set("mnist", root, {});
    ADD_FAILURE() << "no error for a 3-image training set";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 images, expected 60000"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_mnist_data_set("cifar10", root, {}), Error);
}

bool fashion_installed() {
  for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    if (!fs::exists(kFashionDir / f)) return false;
  return true;
}

TEST(DataFashionMnistReal, ShapesPixelRangeAndLabelHistogram) {
  if (!fashion_installed())
    GTEST_SKIP() << "Fashion-MNIST not installed in " << kFashionDir
                 << " (apt-get install dataset-fashion-mnist)";
  // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
  for (const auto& [prefix, count] :
       {std::pair<std::string, std::int64_t>{"train", 60000}, {"t10k", 10000}}) {
    const Examples ex = load_mnist_split(kFashionDir / (prefix + "-images-idx3-ubyte.gz"),
                                         kFashionDir / (prefix + "-labels-idx1-ubyte.gz"), count);
    std::array<std::int64_t, 10> histogram{};
    for (std::int64_t l : ex.labels.to_vector<std::int64_t>())
      ++histogram[static_cast<std::size_t>(l)];
    for (std::int64_t h : histogram)
      EXPECT_EQ(h, count / 10) << prefix;
  }

  TempDir empty_root;  // nothing there: the files come from the system folder
  auto data =
      make_mnist_data_set("fmnist", {empty_root.path(), DataRoot::Source::Explicit}, {128, 42});
  EXPECT_EQ(data->name(), "fmnist");
  EXPECT_EQ(data->batches(Phase::Train), 468);
  EXPECT_EQ(data->batches(Phase::TrainEval), 78);
  EXPECT_EQ(data->batches(Phase::Test), 78);
  for (Phase phase : {Phase::Train, Phase::Test}) {
    data->start(phase);
    std::array<std::int64_t, 10> histogram{};
    std::int64_t batches = 0;
    float lo = 1, hi = 0;
    for (Batch b; data->next(b); ++batches) {
      ASSERT_EQ(b.inputs.shape(), (Shape{128, 1, 28, 28}));
      ASSERT_EQ(b.labels.shape(), (Shape{128}));
      for (float v : b.inputs.to_vector<float>()) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      for (std::int64_t l : b.labels.to_vector<std::int64_t>())
        ++histogram[static_cast<std::size_t>(l)];
    }
    EXPECT_EQ(batches, data->batches(phase));
    EXPECT_EQ(lo, 0.0f) << phase_name(phase);
    EXPECT_EQ(hi, 1.0f) << phase_name(phase);
    std::int64_t total = 0;
    for (std::int64_t h : histogram) {
      EXPECT_GT(h, 0);
      total += h;
    }
    EXPECT_EQ(total, batches * 128) << "remainder dropped";
  }

  auto split = make_mnist_data_set("fmnist", {empty_root.path(), DataRoot::Source::Explicit},
                                   {128, 42, true});
  EXPECT_EQ(split->batches(Phase::Train), 390);
  EXPECT_EQ(split->batches(Phase::Valid), 78);
  EXPECT_EQ(split->examples(Phase::Valid).size(), 10000);
}

}  // namespace
}  // namespace deepobs::datasets
