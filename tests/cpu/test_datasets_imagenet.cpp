// The ImageNet data set end to end on a tiny copy written by the test: both layouts (JPEG folders
// and TFRecord shards) indexed by prepare-data and loaded to identical batches; labels; what
// prepare-data reports for an incomplete copy; corrupt files; determinism across thread counts
// and the data orders; --data_sizes any.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/imagenet.h"
#include "datasets/imagenet_prepare.h"
#include "imagenet_jpeg_fixture.h"
#include "test_datasets_util.h"
#include "tests/common/expect_error.h"

namespace deepobs::datasets {
namespace {

using test_util::ImageNetFixture;
using test_util::TempDir;
namespace fs = std::filesystem;

const ImageNetFixture& fixture() {
  static const ImageNetFixture f;
  return f;
}

DataRoot root_at(const fs::path& p) {
  return {p, DataRoot::Source::Explicit};
}

// Indexes `source` into <root>/imagenet with --data_sizes any.
void prepare(const fs::path& root, const fs::path& source) {
  PrepareOptions o;
  o.source = source;
  o.official_sizes = false;
  prepare_imagenet(root_at(root), o);
}

std::unique_ptr<DataSet> open(const fs::path& root, std::int64_t batch, int threads,
                              DataOrder order = DataOrder::Tf1, std::uint64_t seed = 42) {
  DataSetOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.order = order;
  ImageNetOptions in;
  in.official_sizes = false;
  in.threads = threads;
  in.prefetch = 2;
  return make_imagenet_data_set(root_at(root), o, in);
}

std::vector<Batch> pass(DataSet& data, Phase phase) {
  std::vector<Batch> out;
  data.start(phase);
  for (Batch b; data.next(b);)
    out.push_back(b);
  return out;
}

// Bit-identical tensors (f32 inputs or i64 labels).
bool same(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const auto n = static_cast<std::size_t>(a.numel());
  if (a.dtype() == DType::F32)
    return std::memcmp(a.data<float>(), b.data<float>(), n * sizeof(float)) == 0;
  return std::memcmp(a.data<std::int64_t>(), b.data<std::int64_t>(), n * 8) == 0;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i].inputs, b[i].inputs) || !same(a[i].labels, b[i].labels)) return false;
  return true;
}

std::vector<std::int64_t> labels_of(const std::vector<Batch>& batches) {
  std::vector<std::int64_t> out;
  for (const auto& b : batches)
    for (std::int64_t i = 0; i < b.labels.numel(); ++i)
      out.push_back(b.labels.data<std::int64_t>()[i]);
  return out;
}

// The two layouts, prepared once per test that needs them.
struct BothLayouts {
  TempDir tmp;
  fs::path folders_root = tmp / "root_folders";
  fs::path shards_root = tmp / "root_shards";
  BothLayouts() {
    fixture().write_folders(tmp / "ilsvrc");
    fixture().write_shards(tmp / "shards");
    prepare(folders_root, tmp / "ilsvrc");
    prepare(shards_root, tmp / "shards");
  }
};

TEST(ImageNetData, FoldersAndShardsGiveIdenticalBatches) {
  BothLayouts l;
  const auto folders = open(l.folders_root, 4, 2);
  const auto shards = open(l.shards_root, 4, 2);
  EXPECT_EQ(folders->name(), "imagenet");
  EXPECT_EQ(folders->batches(Phase::Train), 3);  // 12 training images
  EXPECT_EQ(folders->batches(Phase::TrainEval), 3);
  EXPECT_EQ(folders->batches(Phase::Test), 1);  // 4 validation images
  EXPECT_FALSE(folders->has_phase(Phase::Valid));
  for (const Phase p : {Phase::Test, Phase::Train}) {
    const auto a = pass(*folders, p);
    const auto b = pass(*shards, p);
    ASSERT_EQ(a.size(), static_cast<std::size_t>(folders->batches(p)));
    EXPECT_EQ(a[0].inputs.shape(), (Shape{4, 3, 224, 224}));
    EXPECT_EQ(a[0].labels.dtype(), DType::I64);
    EXPECT_TRUE(same_batches(a, b)) << phase_name(p);
  }
  // Test: the validation images in file-name order with the labels of the ground-truth file;
  // labels are 1 + the wnid's index in sorted order.
  const auto test = pass(*folders, Phase::Test);
  std::vector<std::int64_t> want;
  for (const auto& im : fixture().validation)
    want.push_back(im.label);
  EXPECT_EQ(labels_of(test), want);
  EXPECT_EQ(want, (std::vector<std::int64_t>{1, 3, 2, 1}));
  // Train: a permutation of all 12 images, so each class's 4 labels appear.
  std::vector<std::int64_t> train = labels_of(pass(*folders, Phase::Train));
  std::sort(train.begin(), train.end());
  EXPECT_EQ(train, (std::vector<std::int64_t>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  // Every image is standardised: mean 0 per image.
  const float* x = test[0].inputs.data<float>();
  double mean = 0;
  for (std::int64_t k = 0; k < 3 * 224 * 224; ++k)
    mean += x[k];
  EXPECT_NEAR(mean / (3 * 224 * 224), 0.0, 1e-5);
}

TEST(ImageNetData, DeterministicAcrossThreadsAndDataOrders) {
  BothLayouts l;
  const auto one = open(l.folders_root, 4, 1);
  const auto three = open(l.folders_root, 4, 3);
  const auto epoch1 = pass(*one, Phase::Train);
  EXPECT_TRUE(same_batches(epoch1, pass(*three, Phase::Train)));
  // Tf1: the same order and the same crops and flips in every epoch; train_eval is the first
  // batches of that pass.
  EXPECT_TRUE(same_batches(epoch1, pass(*one, Phase::Train)));
  EXPECT_TRUE(same_batches(epoch1, pass(*one, Phase::TrainEval)));
  // Another seed: another order or other crops.
  EXPECT_FALSE(
      same_batches(epoch1, pass(*open(l.folders_root, 4, 2, DataOrder::Tf1, 7), Phase::Train)));
  // Reshuffle: epoch 2 differs from epoch 1, and both are reproducible for the seed.
  const auto re = open(l.folders_root, 4, 2, DataOrder::Reshuffle);
  const auto r1 = pass(*re, Phase::Train);
  const auto r2 = pass(*re, Phase::Train);
  EXPECT_FALSE(same_batches(r1, r2));
  const auto re3 = open(l.folders_root, 4, 3, DataOrder::Reshuffle);
  EXPECT_TRUE(same_batches(r1, pass(*re3, Phase::Train)));
  EXPECT_TRUE(same_batches(r2, pass(*re3, Phase::Train)));
  // The test phase is never augmented: identical across every data set.
  EXPECT_TRUE(same_batches(pass(*one, Phase::Test), pass(*re, Phase::Test)));
  // A pass abandoned midway restarts cleanly.
  one->start(Phase::Train);
  Batch b;
  ASSERT_TRUE(one->next(b));
  EXPECT_TRUE(same_batches(epoch1, pass(*one, Phase::Train)));
}

TEST(ImageNetData, OfficialSizesAndMissingIndex) {
  BothLayouts l;
  DataSetOptions o;
  o.batch_size = 4;
  testing::expect_error(
      [&] { make_imagenet_data_set(root_at(l.folders_root), o); },
      {"indexes 12 training and 4 validation images, ILSVRC-2012 has 1281167 and 50000",
       "--data_sizes any"});
  TempDir empty;
  testing::expect_error([&] { make_imagenet_data_set(root_at(empty.path()), o); },
                        {"imagenet: no index at", "registration at image-net.org",
                         "deepobs prepare-data imagenet --source DIR"});
  o.batch_size = 5;  // 4 validation images: no test batch
  ImageNetOptions any;
  any.official_sizes = false;
  testing::expect_error([&] { make_imagenet_data_set(root_at(l.folders_root), o, any); },
                        {"imagenet: phase test has 4 images, fewer than one batch of 5"});
}

TEST(ImageNetData, CorruptFilesNameTheFile) {
  BothLayouts l;
  // A JPEG damaged after prepare-data (header intact, scan data gone): the run stops with an
  // error naming the file, one line.
  const auto& im = fixture().validation[2];
  const fs::path bad = l.tmp / "ilsvrc" / "val" / im.name;
  test_util::write_file(bad, "\xFF\xD8\xFF\xE0" + std::string(400, '\x13'));
  const auto data = open(l.folders_root, 4, 2);
  data->start(Phase::Test);
  Batch b;
  try {
    data->next(b);
    FAIL() << "no error for a corrupt JPEG";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find(bad.string() + ": "), 0u) << msg;
    EXPECT_NE(msg.find("replace the file with a good copy"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // A shard truncated after prepare-data: the error names the shard and the record.
  const fs::path shard = l.tmp / "shards" / "validation-00000-of-00001";
  const auto size = fs::file_size(shard);
  fs::resize_file(shard, size - 7);
  const auto from_shards = open(l.shards_root, 4, 1);
  from_shards->start(Phase::Test);
  testing::expect_error([&] { from_shards->next(b); },
                        {shard.string() + ": TFRecord at byte", "truncated shard"});
  // prepare-data itself refuses the truncated shard and a file that is not a JPEG, listing both
  // (and writes nothing).
  test_util::write_file(l.tmp / "ilsvrc" / "train" / "n01000002" / "n01000002_9.JPEG",
                        "\x89PNG\r\n\x1a\n");
  TempDir fresh;
  PrepareOptions o;
  o.official_sizes = false;
  o.source = l.tmp / "shards";
  testing::expect_error([&] { prepare_imagenet(root_at(fresh.path()), o); },
                        {"is not ready (1 problem; nothing was written):\n  " + shard.string() +
                         ": TFRecord at byte"});
  o.source = l.tmp / "ilsvrc";
  testing::expect_error([&] { prepare_imagenet(root_at(fresh.path()), o); },
                        {"not JPEG files", "train/n01000002/n01000002_9.JPEG"});
  EXPECT_FALSE(fs::exists(imagenet_index_path(root_at(fresh.path()))));
}

TEST(ImageNetData, PrepareReportsWhatIsMissing) {
  TempDir tmp;
  const fs::path src = tmp / "ilsvrc";
  fixture().write_folders(src);
  PrepareOptions o;
  o.source = src;
  // Official sizes on the small copy: one line per problem.
  try {
    prepare_imagenet(root_at(tmp / "root"), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg,
              "imagenet: " + src.string() +
                  " is not ready (3 problems; nothing was written):\n"
                  "  train/ has 3 class folders, ILSVRC-2012 has 1000 (put "
                  "imagenet_lsvrc_2015_synsets.txt into " +
                  src.string() +
                  " to have the missing ones named)\n"
                  "  train/: 12 images, ILSVRC-2012 has 1,281,167 (1,281,155 missing); use "
                  "--data_sizes any to index a subset\n"
                  "  val/: 4 images, ILSVRC-2012 has 50,000 (49,996 missing); use --data_sizes "
                  "any to index a subset");
  }
  // With TF's synset list the missing class folders are named; a flat val/ without ground
  // truth is reported too.
  test_util::write_file(src / "imagenet_lsvrc_2015_synsets.txt",
                        "n01000001\nn01000002\nn01000003\nn01000004\nn01000005\n");
  fs::remove(src / "imagenet_2012_validation_synset_labels.txt");
  o.official_sizes = false;
  try {
    prepare_imagenet(root_at(tmp / "root"), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("\n  " + (src / "val").string() +
                       " holds images without class folders, and no ground truth: put "
                       "imagenet_2012_validation_synset_labels.txt (TF inception) or "
                       "LOC_val_solution.csv (Kaggle) into"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("\n  no validation images found"), std::string::npos) << msg;
  }
  o.official_sizes = true;
  try {
    prepare_imagenet(root_at(tmp / "root"), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("\n  train/ lacks 2 of the 5 class folders of "
                       "imagenet_lsvrc_2015_synsets.txt: n01000004, n01000005\n"),
              std::string::npos)
        << msg;
  }
  EXPECT_FALSE(fs::exists(tmp / "root" / "imagenet"));
}

TEST(ImageNetData, LabelsFollowTheSynsetListAndKaggleGroundTruth) {
  TempDir tmp;
  const fs::path src = tmp / "ilsvrc";
  fixture().write_folders(src);
  // Labels are 1 + the position in TF's synset list (which lists classes this copy lacks).
  test_util::write_file(src / "imagenet_lsvrc_2015_synsets.txt",
                        "n01000000\nn01000001\nn01000002\nn01000003\n");
  // Kaggle's ground truth instead of TF's.
  fs::remove(src / "imagenet_2012_validation_synset_labels.txt");
  std::string csv = "ImageId,PredictionString\n";
  for (const auto& im : fixture().validation)
    csv += im.name.substr(0, im.name.size() - 5) + "," + im.wnid + " 1 2 3 4 \n";
  test_util::write_file(src / "LOC_val_solution.csv", csv);
  prepare(tmp / "root", src);
  const auto data = open(tmp / "root", 4, 1);
  std::vector<std::int64_t> want;
  for (const auto& im : fixture().validation)
    want.push_back(im.label + 1);
  EXPECT_EQ(labels_of(pass(*data, Phase::Test)), want);
}

TEST(ImageNetData, PrepareDataCommandLine) {
  TempDir tmp;
  fixture().write_shards(tmp / "shards");
  auto r = test_util::run_prepare({"imagenet", "--data_dir", (tmp / "root").string(), "--source",
                                   (tmp / "shards").string(), "--data_sizes", "any"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("imagenet: ready: 12 training and 4 validation images (TFRecord shards) "
                       "indexed in "),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::exists(tmp / "root" / "imagenet" / kImageNetIndexFile));
  // `deepobs list` and find_data_set see the index as the data set's one file.
  ASSERT_NE(data_set_files("imagenet"), nullptr);
  EXPECT_EQ(data_set_files("imagenet")->files, std::vector<std::string>{kImageNetIndexFile});
  EXPECT_TRUE(data_set_present("imagenet", root_at(tmp / "root")));
  EXPECT_FALSE(data_set_present("imagenet", root_at(tmp / "elsewhere")));
  r = test_util::run_prepare({"mnist", "--source", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: --source and --data_sizes apply to imagenet only (not "
            "mnist)\n");
}

// deepobs run --resume (runner/checkpoint.h): the pass counts saved between epochs make a freshly
// opened set continue with the uninterrupted run's next pass (Reshuffle: a new order per epoch).
TEST(ImageNetData, PassStateResumesTheNextEpoch) {
  BothLayouts l;
  const auto run = open(l.folders_root, 4, 2, DataOrder::Reshuffle);
  pass(*run, Phase::Train);
  pass(*run, Phase::Test);
  const std::vector<std::int64_t> saved = run->pass_state();
  const auto epoch2 = pass(*run, Phase::Train);
  const auto resumed = open(l.folders_root, 4, 1, DataOrder::Reshuffle);
  resumed->restore_pass_state(saved);
  EXPECT_TRUE(same_batches(epoch2, pass(*resumed, Phase::Train)));
  testing::expect_error(
      [&] {
        resumed->restore_pass_state({1, 2});
      },
      {"imagenet", "it belongs to another problem"});
  testing::expect_error(
      [&] {
        resumed->restore_pass_state({1, -1, 0, 0});
      },
      {"imagenet", "negative pass count"});
}

}  // namespace
}  // namespace deepobs::datasets
