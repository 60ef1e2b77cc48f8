// CIFAR-10, CIFAR-100 and SVHN readers and data sets on fixture files in the real formats
// (written by tests/common/image_fixtures.h into temporary folders): record layouts, the
// CIFAR-100 offset quirk, SVHN's label mapping and .mat conversion, the phases with DeepOBS's
// augmentation and the data orders' replay semantics, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/image_batch.h"
#include "datasets/image_data_set.h"
#include "datasets/image_records.h"
#include "datasets/svhn_mat.h"
#include "test_datasets_util.h"
#include "tests/common/expect_error.h"
#include "tests/common/image_fixtures.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_images::pixel;
using test_util::TempDir;

// The HWC image of `ex` at (row, col, channel), read from the u8 tensor.
int hwc(const Examples& ex, std::int64_t i, int row, int col, int ch) {
  return ex.inputs.data<std::uint8_t>()[i * kImageBytes + (row * 32 + col) * 3 + ch];
}

TEST(ImageRecords, Cifar10PlanesBecomeHwcImages) {
  TempDir dir;
  test_images::write_file(dir / "b.bin", test_images::records("cifar10", 3, 2));
  const Examples ex = read_image_records(dir / "b.bin", cifar10_format(), 2);
  ASSERT_EQ(ex.inputs.shape(), (Shape{2, 32, 32, 3}));
  EXPECT_EQ(ex.labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 4}));
  // Planar record: byte k = channel k / 1024, pixel k % 1024.
  EXPECT_EQ(hwc(ex, 0, 0, 0, 0), pixel(3, 0));
  EXPECT_EQ(hwc(ex, 0, 0, 0, 1), pixel(3, 1024));
  EXPECT_EQ(hwc(ex, 1, 5, 7, 2), pixel(4, 2048 + 5 * 32 + 7));
  EXPECT_EQ(hwc(ex, 1, 31, 31, 2), pixel(4, 3071));
}

TEST(ImageRecords, Cifar100LegacyOffsetShiftsEveryImageByOneByte) {
  // One crafted record: coarse label 3, fine label 7, image bytes pixel(0, 0..3071).
  TempDir dir;
  test_images::write_file(dir / "r.bin", test_images::record({3, 7}, 0));
  const Examples legacy =
      read_image_records(dir / "r.bin", cifar100_format(Cifar100Offset::Legacy));
  const Examples fixed = read_image_records(dir / "r.bin", cifar100_format(Cifar100Offset::Fixed));
  // Both use the fine label.
  EXPECT_EQ(legacy.labels.to_vector<std::int64_t>(), std::vector<std::int64_t>{7});
  EXPECT_EQ(fixed.labels.to_vector<std::int64_t>(), std::vector<std::int64_t>{7});
  // Fixed: the image as stored.
  EXPECT_EQ(hwc(fixed, 0, 0, 0, 0), pixel(0, 0));
  EXPECT_EQ(hwc(fixed, 0, 0, 0, 1), pixel(0, 1024));
  EXPECT_EQ(hwc(fixed, 0, 31, 31, 2), pixel(0, 3071));
  // Legacy (DeepOBS 1.1: tf.slice(record, [label_bytes], [image_bytes]) with label_bytes = 1):
  // planar byte k is record byte 1 + k, i.e. the fine label for k = 0 and image byte k − 1 after
  // that; the last blue byte is never read.
  EXPECT_EQ(hwc(legacy, 0, 0, 0, 0), 7);
  EXPECT_EQ(hwc(legacy, 0, 0, 1, 0), pixel(0, 0));
  EXPECT_EQ(hwc(legacy, 0, 0, 0, 1), pixel(0, 1023));  // green starts with red's last byte
  EXPECT_EQ(hwc(legacy, 0, 0, 0, 2), pixel(0, 2047));
  EXPECT_EQ(hwc(legacy, 0, 31, 31, 2), pixel(0, 3070));
}

TEST(ImageRecords, SvhnRecordsAreHwc) {
  TempDir dir;
  test_images::write_file(dir / "s.bin", test_images::records("svhn", 0, 3));
  const Examples ex = read_image_records(dir / "s.bin", svhn_format());
  ASSERT_EQ(ex.size(), 3);
  EXPECT_EQ(hwc(ex, 2, 0, 0, 0), pixel(2, 0));
  EXPECT_EQ(hwc(ex, 2, 0, 0, 1), pixel(2, 1));
  EXPECT_EQ(hwc(ex, 2, 1, 2, 2), pixel(2, (32 + 2) * 3 + 2));
}

TEST(ImageRecords, BadFilesAreOneLineErrorsNamingFileAndFix) {
  TempDir dir;
  const fs::path f = dir / "data_batch_1.bin";
  const auto good = test_images::records("cifar10", 0, 3);
  auto truncated = good;
  truncated.resize(good.size() - 100);
  test_images::write_file(f, truncated);
  testing::expect_error(
      [&] { read_image_records(f, cifar10_format()); },
      {f.string(), "not a whole number of 3073-byte records", "`deepobs prepare-data cifar10`"});
  test_images::write_file(f, good);
  testing::expect_error(
      [&] { read_image_records(f, cifar10_format(), 10000); },
      {f.string(), "3 records, expected 10000", "`deepobs prepare-data cifar10`"});
  auto bad_label = good;
  bad_label[3073] = 10;
  test_images::write_file(f, bad_label);
  testing::expect_error([&] { read_image_records(f, cifar10_format()); },
                        {f.string(), "label 10 of record 1", "prepare-data cifar10"});
  test_images::write_file(f, {});
  testing::expect_error([&] { read_image_records(f, svhn_format()); },
                        {f.string(), "empty", "`deepobs prepare-data svhn`"});
  testing::expect_error([&] { read_image_records(dir / "nope.bin", cifar100_format({})); },
                        {(dir / "nope.bin").string(), "no such file", "prepare-data cifar100"});
  try {
    read_image_records(f, cifar10_format());
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

DataSetOptions opts(std::int64_t batch, DataOrder order = DataOrder::Tf1) {
  DataSetOptions o;
  o.batch_size = batch;
  o.seed = 42;
  o.order = order;
  return o;
}

ImageDataOptions fixtures() {
  ImageDataOptions o;
  o.official_sizes = false;
  return o;
}

std::vector<std::vector<float>> pass(DataSet& data, Phase phase,
                                     std::vector<std::int64_t>* labels = nullptr) {
  data.start(phase);
  std::vector<std::vector<float>> out;
  for (Batch b; data.next(b);) {
    EXPECT_EQ(b.inputs.shape(), (Shape{data.batch_size(), 3, 32, 32}));
    EXPECT_EQ(b.inputs.dtype(), DType::F32);
    out.push_back(b.inputs.to_vector<float>());
    if (labels)
      for (auto l : b.labels.to_vector<std::int64_t>())
        labels->push_back(l);
  }
  EXPECT_EQ(static_cast<std::int64_t>(out.size()), data.batches(phase));
  return out;
}

TEST(ImageDataSets, MissingFolderOrFileNamesTheFix) {
  TempDir dir;
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  testing::expect_error([&] { make_cifar10_data_set(root, opts(4)); },
                        {"cifar10", (dir / "cifar-10").string(), "no such directory",
                         "deepobs prepare-data cifar10 --data_dir"});
  test_images::write_data_set(dir.path(), "svhn", 2, 3);
  fs::remove(dir / "svhn" / "data_batch_3.bin");
  testing::expect_error([&] { make_svhn_data_set(root, opts(2), fixtures()); },
                        {"svhn", "missing data_batch_3.bin", "deepobs prepare-data svhn"});
  // Official sizes (the default): fixture files are too small.
  test_images::write_data_set(dir.path(), "cifar100", 6, 4);
  testing::expect_error([&] { make_cifar100_data_set(root, opts(2)); },
                        {(dir / "cifar-100" / "train.bin").string(), "6 records, expected 50000",
                         "deepobs prepare-data cifar100"});
}

TEST(ImageDataSets, TestBatchesAreStandardisedStoredImages) {
  TempDir dir;
  test_images::write_data_set(dir.path(), "cifar10", 4, 6);
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  auto data = make_cifar10_data_set(root, opts(3), fixtures());
  EXPECT_EQ(data->name(), "cifar10");
  EXPECT_EQ(data->batches(Phase::Train), 6);      // 20 / 3
  EXPECT_EQ(data->batches(Phase::TrainEval), 6);  // train_eval_size 10,000 > the whole pass
  EXPECT_EQ(data->batches(Phase::Test), 2);
  EXPECT_TRUE(data->training_pipeline().flip);
  std::vector<std::int64_t> labels;
  const auto test = pass(*data, Phase::Test, &labels);
  // Test examples 1000..1005 in stored order, labels e % 10.
  EXPECT_EQ(labels, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  ops::ImagePipeline plain;
  plain.augment = false;
  const Tensor images = data->examples(Phase::Test).inputs;
  EXPECT_EQ(test[1], ops::image_batch(images, Tensor(), 3, 3, plain, {}).to_vector<float>());
  // Standardised: every image has mean ~0 and standard deviation ~1.
  for (int i = 0; i < 3; ++i) {
    double sum = 0, sq = 0;
    for (int k = 0; k < 3072; ++k) {
      const double v = test[0][static_cast<std::size_t>(i * 3072 + k)];
      sum += v;
      sq += v * v;
    }
    EXPECT_NEAR(sum / 3072, 0.0, 1e-5);
    EXPECT_NEAR(sq / 3072, 1.0, 1e-4);
  }
}

TEST(ImageDataSets, Tf1ReplaysTheSameAugmentedBatchesEveryPass) {
  TempDir dir;
  test_images::write_data_set(dir.path(), "cifar10", 4, 4);
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  auto data = make_cifar10_data_set(root, opts(4), fixtures());
  std::vector<std::int64_t> l1, l2, le;
  const auto e1 = pass(*data, Phase::Train, &l1);
  const auto ev = pass(*data, Phase::TrainEval, &le);
  const auto e2 = pass(*data, Phase::Train, &l2);
  EXPECT_EQ(e1, e2) << "tf1: one order and one set of augmentation draws per run";
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(ev, e1) << "tf1: train_eval is the training pipeline's first batches, augmented";
  // Augmented: not the plain standardisation of the same examples.
  ops::ImagePipeline plain;
  plain.augment = false;
  const Tensor order = data->pass_order(Phase::Train, 0);
  EXPECT_NE(e1[0], ops::image_batch(data->examples(Phase::Train).inputs, order, 0, 4, plain, {})
                       .to_vector<float>());
  // The same seed gives the same batches in a second data set; another seed does not.
  auto again = make_cifar10_data_set(root, opts(4), fixtures());
  EXPECT_EQ(pass(*again, Phase::Train), e1);
  DataSetOptions other = opts(4);
  other.seed = 43;
  auto third = make_cifar10_data_set(root, other, fixtures());
  EXPECT_NE(pass(*third, Phase::Train), e1);
}

TEST(ImageDataSets, ReshuffleDrawsAfreshEveryPass) {
  TempDir dir;
  test_images::write_data_set(dir.path(), "cifar10", 4, 20);
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  auto data = make_cifar10_data_set(root, opts(20, DataOrder::Reshuffle), fixtures());
  // One batch of all 20 examples: the order differs between passes, and so do the draws. The
  // sorted per-image sums of |x| ignore the order, so they differ only through the draws.
  const auto p1 = pass(*data, Phase::Train);
  const auto p2 = pass(*data, Phase::Train);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_NE(p1, p2);
  auto sums = [](const std::vector<float>& b) {
    std::vector<double> s;
    for (int i = 0; i < 20; ++i) {
      double t = 0;
      for (int k = 0; k < 3072; ++k)
        t += std::abs(b[static_cast<std::size_t>(i * 3072 + k)]);
      s.push_back(t);
    }
    std::sort(s.begin(), s.end());
    return s;
  };
  EXPECT_NE(sums(p1[0]), sums(p2[0])) << "new augmentation draws, not only a new order";
}

TEST(ImageDataSets, Cifar100UsesTheFineLabelAndTheChosenOffset) {
  TempDir dir;
  test_images::write_data_set(dir.path(), "cifar100", 8, 4);
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  auto legacy = make_cifar100_data_set(root, opts(4), fixtures());
  ImageDataOptions f = fixtures();
  f.cifar100_offset = Cifar100Offset::Fixed;
  auto fixed = make_cifar100_data_set(root, opts(4), f);
  std::vector<std::int64_t> labels;
  const auto a = pass(*legacy, Phase::Test, &labels);
  EXPECT_EQ(labels, (std::vector<std::int64_t>{0, 1, 2, 3}));  // fine labels (1000 + e) % 100
  EXPECT_NE(a, pass(*fixed, Phase::Test));
  EXPECT_EQ(hwc(legacy->examples(Phase::Test), 1, 0, 0, 0), 1);  // the fine label byte
  EXPECT_EQ(hwc(fixed->examples(Phase::Test), 1, 0, 0, 0), pixel(1001, 0));
}

TEST(ImageDataSets, SvhnFirst64000OrFullAndNoFlip) {
  TempDir dir;
  test_images::write_data_set(dir.path(), "svhn", 2, 4);
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  auto first = make_svhn_data_set(root, opts(2), fixtures());
  EXPECT_FALSE(first->training_pipeline().flip);
  EXPECT_EQ(first->examples(Phase::Train).size(), 10);
  ImageDataOptions full = fixtures();
  full.svhn_train = SvhnTrain::Full;
  // DeepOBS's own script keeps no images beyond 64,000: a clear error naming the file and fix.
  testing::expect_error([&] { make_svhn_data_set(root, opts(2), full); },
                        {(dir / "svhn" / kSvhnTailFile).string(), "--svhn_train full",
                         "deepobs prepare-data svhn --data_dir"});
  test_images::write_data_set(dir.path(), "svhn", 2, 4, 3);
  auto all = make_svhn_data_set(root, opts(2), full);
  const Examples& train = all->examples(Phase::Train);
  ASSERT_EQ(train.size(), 13);
  EXPECT_EQ(train.labels.to_vector<std::int64_t>().back(), 12 % 10);  // the tail follows in order
  EXPECT_EQ(hwc(train, 12, 0, 0, 0), pixel(12, 0));
}

TEST(ImageDataSets, DataVariantsAndPipelines) {
  ImageDataOptions o;
  EXPECT_EQ(image_data_variant("cifar10", o), "cifar10");
  EXPECT_EQ(image_data_variant("cifar100", o), "cifar100:offset=legacy");
  EXPECT_EQ(image_data_variant("svhn", o), "svhn:train=64000");
  o.cifar100_offset = Cifar100Offset::Fixed;
  o.svhn_train = SvhnTrain::Full;
  EXPECT_EQ(image_data_variant("cifar100", o), "cifar100:offset=fixed");
  EXPECT_EQ(image_data_variant("svhn", o), "svhn:train=full");
  EXPECT_EQ(image_data_variant("fmnist", o), "fmnist");
  EXPECT_EQ(parse_cifar100_offset("fixed"), Cifar100Offset::Fixed);
  EXPECT_EQ(parse_svhn_train("full"), SvhnTrain::Full);
  testing::expect_error([] { parse_cifar100_offset("2"); }, {"legacy", "fixed"});
  testing::expect_error([] { parse_svhn_train("all"); }, {"64000", "full"});
  const ops::ImagePipeline c = deepobs_image_pipeline("cifar100");
  EXPECT_TRUE(c.flip && c.augment);
  EXPECT_EQ(c.pad, 2);
  EXPECT_EQ(c.brightness_max_delta, static_cast<float>(63.0 / 255.0));
  EXPECT_EQ(c.saturation_lower, 0.5f);
  EXPECT_EQ(c.saturation_upper, 1.5f);
  EXPECT_EQ(c.contrast_lower, 0.2f);
  EXPECT_EQ(c.contrast_upper, 1.8f);
  EXPECT_FALSE(deepobs_image_pipeline("svhn").flip);
}

#if DEEPOBS_WITH_MATIO
TEST(SvhnMat, ConvertsToDeepobsRecordsWithLabelTenAsZero) {
  TempDir dir;
  const fs::path mat = dir / "train_32x32.mat";
  test_images::write_svhn_mat(mat, {1, 10, 5});
  const SvhnRecords r = svhn_records_from_mat(mat, 3);
  ASSERT_EQ(r.count, 3);
  ASSERT_EQ(r.bytes.size(), 3u * 3073);
  EXPECT_EQ(r.bytes[0], 1);
  EXPECT_EQ(r.bytes[3073], 0) << "label 10 (the digit 0) becomes 0";
  EXPECT_EQ(r.bytes[2 * 3073], 5);
  // HWC: record byte 1 + (row·32 + col)·3 + ch is X(row, col, ch, i).
  for (int k : {0, 1, 2, 3, 95, 96, 3071})
    EXPECT_EQ(r.bytes[3073 + 1 + static_cast<std::size_t>(k)], pixel(1, k)) << k;
  // Uncompressed MATLAB 5 files read the same.
  test_images::write_svhn_mat(dir / "plain.mat", {1, 10, 5}, false);
  EXPECT_EQ(svhn_records_from_mat(dir / "plain.mat").bytes, r.bytes);
}

TEST(SvhnMat, BadFilesAreOneLineErrors) {
  TempDir dir;
  const fs::path garbage = dir / "test_32x32.mat";
  test_images::write_file(garbage, std::vector<std::uint8_t>(4096, 0x5a));
  testing::expect_error(
      [&] { svhn_records_from_mat(garbage); },
      {garbage.string(), "not a readable MATLAB file", "`deepobs prepare-data svhn`"});
  test_images::write_file(garbage, {});
  testing::expect_error([&] { svhn_records_from_mat(garbage); },
                        {garbage.string(), "empty", "prepare-data svhn"});
  testing::expect_error([&] { svhn_records_from_mat(dir / "missing.mat"); },
                        {"missing.mat", "no such file", "prepare-data svhn"});
  const fs::path mat = dir / "train_32x32.mat";
  test_images::write_svhn_mat(mat, {1, 2});
  testing::expect_error([&] { svhn_records_from_mat(mat, 73257); },
                        {mat.string(), "2 images, expected 73257"});
  test_images::write_svhn_mat(mat, {1, 11});
  testing::expect_error([&] { svhn_records_from_mat(mat); }, {mat.string(), "label 11 of image 1"});
  // A MATLAB file without SVHN's variables.
  mat_t* m = Mat_CreateVer(mat.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(m, nullptr);
  double one = 1;
  std::size_t dims[2] = {1, 1};
  matvar_t* v = Mat_VarCreate("Z", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, &one, 0);
  Mat_VarWrite(m, v, MAT_COMPRESSION_NONE);
  Mat_VarFree(v);
  Mat_Close(m);
  testing::expect_error([&] { svhn_records_from_mat(mat); },
                        {mat.string(), "no readable variable 'X'", "prepare-data svhn"});
}
#else
TEST(SvhnMat, NeedsLibmatio) {
  EXPECT_FALSE(svhn_mat_supported());
  GTEST_SKIP() << "built without libmatio (-DDEEPOBS_MATIO=OFF)";
}
#endif

}  // namespace
}  // namespace deepobs::datasets
