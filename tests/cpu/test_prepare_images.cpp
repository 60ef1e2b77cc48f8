// `deepobs prepare-data cifar10|cifar100|svhn` without a network: small fixture archives and .mat
// files in the real formats, with their own sizes and MD5s (PrepareOptions::image_source), taken
// from the data folder (the offline route: files brought by hand) or fetched from file:// URLs
// (needs curl), unreachable loopback addresses for the offline message; plus MD5 and the tar
// reader on their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/download.h"
#include "datasets/image_data_set.h"
#include "datasets/md5.h"
#include "datasets/prepare_data.h"
#include "datasets/svhn_mat.h"
#include "datasets/tar_reader.h"
#include "test_datasets_util.h"
#include "tests/common/expect_error.h"
#include "tests/common/image_fixtures.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::entries;
using test_util::read_raw;
using test_util::TempDir;

std::string md5_of(const std::string& text) {
  Md5 m;
  m.update(text.data(), text.size());
  return m.hex_digest();
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(
      md5_of("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
      "57edf4a22be3c955ac49da2e2107b67a");
  // Pieces of any size give the digest of the whole.
  const std::string text(1000, 'x');
  Md5 pieces;
  for (std::size_t at = 0, n = 1; at < text.size(); at += n, n = n % 97 + 1)
    pieces.update(text.data() + at, std::min(n, text.size() - at));
  EXPECT_EQ(pieces.hex_digest(), md5_of(text));
  TempDir dir;
  test_images::write_file(dir / "f", std::vector<std::uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(md5_of_file(dir / "f"), md5_of(text));
  testing::expect_error([&] { md5_of_file(dir / "missing"); }, {"missing", "cannot open"});
}

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

TEST(TarReader, ReadsFilesAndLongNamesSkipsTheRest) {
  TempDir dir;
  const std::string long_name = "top/" + std::string(110, 'n') + ".bin";
  std::vector<std::uint8_t> big(1300);
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<std::uint8_t>(i * 31);
  const std::vector<test_images::TarMember> members = {
      {"top/", {}, '5'}, {"top/a.bin", bytes_of("abc")}, {long_name, big}, {"top/empty", {}}};
  for (const bool gz : {true, false}) {
    const fs::path archive = dir / (gz ? "a.tar.gz" : "a.tar");
    if (gz) {
      test_images::write_tar_gz(archive, members);
    } else {
      test_images::write_file(archive, test_images::tar_bytes(members));
    }
    TarReader tar(archive);
    std::vector<std::string> names;
    while (tar.next()) {
      names.push_back(tar.name());
      if (tar.name() == long_name) {
        EXPECT_EQ(tar.size(), big.size());
        tar.extract(dir / "big");
        EXPECT_EQ(read_raw(dir / "big"), big);
      }
    }
    EXPECT_EQ(names, (std::vector<std::string>{"top/a.bin", long_name, "top/empty"}));
  }
}

TEST(TarReader, GarbageAndTruncationAreErrorsNamingTheArchive) {
  TempDir dir;
  const fs::path garbage = dir / "g.tar.gz";
  test_images::write_file(garbage, std::vector<std::uint8_t>(2000, 'x'));
  testing::expect_error(
      [&] {
        TarReader t(garbage);
        t.next();
      },
      {garbage.string(), "not a tar archive"});
  auto tar = test_images::tar_bytes({{"top/a.bin", std::vector<std::uint8_t>(5000, 7)}});
  tar.resize(2048);
  const fs::path cut = dir / "cut.tar";
  test_images::write_file(cut, tar);
  testing::expect_error(
      [&] {
        TarReader t(cut);
        ASSERT_TRUE(t.next());
        t.extract(dir / "out");
      },
      {cut.string(), "ends in the middle of a member"});
  testing::expect_error([&] { TarReader t(dir / "none.tar"); }, {"none.tar", "cannot open"});
}

// A CIFAR tarball fixture: <top>/<file> for each record file, plus the files DeepOBS also
// unpacks but never reads, and the matching ImageSource.
ImageSource cifar_fixture(const std::string& name, const fs::path& archive, int per_file,
                          bool drop_test = false) {
  const ImageSource& official = official_image_source(name);
  const std::string top = name == "cifar10" ? "cifar-10-batches-bin/" : "cifar-100-binary/";
  std::vector<test_images::TarMember> members = {{top, {}, '5'},
                                                 {top + "readme.html", bytes_of("<html/>")}};
  ImageSource s;
  int e = 0;
  for (const auto& out : official.outputs) {
    const bool test = out.name.rfind("test", 0) == 0;
    const int n = test ? 3 : per_file;
    s.outputs.push_back({out.name, n});
    if (!(test && drop_test)) members.push_back({top + out.name, test_images::records(name, e, n)});
    e += n;
  }
  test_images::write_tar_gz(archive, members);
  s.downloads = {
      {official.downloads[0].name, test_images::file_bytes(archive), md5_of_file(archive)}};
  return s;
}

class PrepareImages : public ::testing::Test {
 protected:
  DataRoot root() const { return {root_.path() / "data", DataRoot::Source::Explicit}; }

  PrepareOptions options(const ImageSource& source) {
    PrepareOptions o;
    o.image_source = source;
    o.url_bases = {"http://127.0.0.1:1/"};  // refused at once: never a real download
    o.fetch.time_limit = std::chrono::seconds(30);
    o.log = [this](const std::string& line) {
      EXPECT_EQ(line.find('\n'), std::string::npos) << line;
      log_ += line + "\n";
    };
    return o;
  }

  bool logged(const std::string& part) const { return log_.find(part) != std::string::npos; }

  TempDir root_;
  TempDir source_;
  std::string log_;
};

TEST_F(PrepareImages, Cifar10FromAnArchiveBroughtByHand) {
  const fs::path dir = root().path / "cifar-10";
  const ImageSource s = cifar_fixture("cifar10", dir / "cifar-10-binary.tar.gz", 4);
  prepare_data_set("cifar10", root(), options(s));
  EXPECT_EQ(entries(dir),
            (std::vector<std::string>{"cifar-10-binary.tar.gz", "data_batch_1.bin",
                                      "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                      "data_batch_5.bin", "test_batch.bin"}))
      << "only the record files are extracted; the archive brought by hand stays";
  EXPECT_TRUE(logged("cifar10: using " + (dir / "cifar-10-binary.tar.gz").string())) << log_;
  EXPECT_TRUE(logged("cifar10: extracted cifar-10-batches-bin/data_batch_3.bin to ")) << log_;
  EXPECT_TRUE(logged("cifar10: ready in " + dir.string())) << log_;
  EXPECT_EQ(read_raw(dir / "data_batch_2.bin"), test_images::records("cifar10", 4, 4));
  // The data set loads from them.
  ImageDataOptions image;
  image.official_sizes = false;
  DataSetOptions small;
  small.batch_size = 2;
  auto data = make_cifar10_data_set(root(), small, image);
  EXPECT_EQ(data->examples(datasets::Phase::Train).size(), 20);
  // Second run: everything verified, nothing fetched or extracted.
  log_.clear();
  prepare_data_set("cifar10", root(), options(s));
  EXPECT_TRUE(logged("data_batch_1.bin already present (4 records of 32x32x3 images")) << log_;
  EXPECT_FALSE(logged("using")) << log_;
  EXPECT_FALSE(logged("extracted")) << log_;
}

TEST_F(PrepareImages, Cifar100DownloadedExtractedAndTheArchiveDeleted) {
  if (!find_downloader() || find_downloader()->kind != Downloader::Kind::Curl)
    GTEST_SKIP() << "file:// downloads need curl (apt-get install curl)";
  const ImageSource s = cifar_fixture("cifar100", source_ / "cifar-100-binary.tar.gz", 6);
  PrepareOptions o = options(s);
  o.url_bases = {"file://" + source_.path().string() + "/"};
  prepare_data_set("cifar100", root(), o);
  const fs::path dir = root().path / "cifar-100";
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"test.bin", "train.bin"}));
  EXPECT_TRUE(logged("cifar100: deleted " + (dir / "cifar-100-binary.tar.gz").string())) << log_;
  EXPECT_EQ(read_raw(dir / "train.bin"), test_images::records("cifar100", 0, 6));
  // A present file that fails verification is made again.
  test_images::write_file(dir / "test.bin", {1, 2, 3});
  log_.clear();
  prepare_data_set("cifar100", root(), o);
  EXPECT_TRUE(logged("not a whole number of 3074-byte records")) << log_;
  EXPECT_TRUE(logged("making it again")) << log_;
  EXPECT_EQ(read_raw(dir / "test.bin"), test_images::records("cifar100", 6, 3));
  // A download with another MD5 is rejected and leaves nothing behind.
  ImageSource wrong = s;
  wrong.downloads[0].md5 = std::string(32, '0');
  PrepareOptions w = o;
  w.image_source = wrong;
  w.force = true;
  try {
    prepare_data_set("cifar100", root(), w);
    ADD_FAILURE() << "a wrong MD5 was accepted";
  } catch (const DownloadError& e) {
    EXPECT_EQ(e.kind(), DownloadError::Kind::Invalid);
    EXPECT_NE(std::string(e.what()).find("MD5 " + s.downloads[0].md5 + ", but the published"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"test.bin", "train.bin"}));
}

TEST_F(PrepareImages, OfflineIsOneLineSayingWhatToCopyWhere) {
  const ImageSource s = cifar_fixture("cifar10", source_ / "x.tar.gz", 2);
  try {
    prepare_data_set("cifar10", root(), options(s));
    ADD_FAILURE() << "no error without a network";
  } catch (const DownloadError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.kind(), DownloadError::Kind::Network);
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_TRUE(m.starts_with("cifar10: cannot reach http://127.0.0.1:1/cifar-10-binary.tar.gz"))
        << m;
    EXPECT_NE(m.find("; offline? fetch http://127.0.0.1:1/cifar-10-binary.tar.gz (" +
                     std::to_string(s.downloads[0].bytes) + " bytes, MD5 " + s.downloads[0].md5 +
                     ") elsewhere and copy it into " + (root().path / "cifar-10").string() +
                     "/, then run `deepobs prepare-data cifar10 --data_dir " +
                     root().path.string() + "` again"),
              std::string::npos)
        << m;
  }
  EXPECT_TRUE(entries(root_.path()).empty()) << "no empty folders left behind";
}

TEST_F(PrepareImages, AnArchiveWithoutARecordFileIsAnError) {
  const fs::path dir = root().path / "cifar-10";
  const ImageSource s = cifar_fixture("cifar10", dir / "cifar-10-binary.tar.gz", 2, true);
  testing::expect_error(
      [&] { prepare_data_set("cifar10", root(), options(s)); },
      {"cifar10: ", (dir / "cifar-10-binary.tar.gz").string(), "holds no <folder>/test_batch.bin"});
}

#if DEEPOBS_WITH_MATIO
ImageSource svhn_fixture(const fs::path& dir, const std::vector<double>& train,
                         const std::vector<double>& test, int per_file) {
  test_images::write_svhn_mat(dir / "train_32x32.mat", train);
  test_images::write_svhn_mat(dir / "test_32x32.mat", test);
  ImageSource s;
  for (const char* f : {"train_32x32.mat", "test_32x32.mat"})
    s.downloads.push_back({f, test_images::file_bytes(dir / f), md5_of_file(dir / f)});
  for (int k = 0; k < 5; ++k)
    s.outputs.push_back({"data_batch_" + std::to_string(k) + ".bin", per_file});
  s.outputs.push_back({"test_batch.bin", static_cast<std::int64_t>(test.size())});
  s.outputs.push_back({kSvhnTailFile, static_cast<std::int64_t>(train.size()) - 5 * per_file});
  return s;
}

TEST_F(PrepareImages, SvhnMatFilesBecomeDeepobsRecordsTruncatedAndTail) {
  // 13 training images, "DeepOBS's first 64,000" scaled down to the first 10 (2 per file).
  const fs::path dir = root().path / "svhn";
  const std::vector<double> train = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 3, 4};
  const ImageSource s = svhn_fixture(dir, train, {10, 9, 8}, 2);
  prepare_data_set("svhn", root(), options(s));
  EXPECT_EQ(entries(dir),
            (std::vector<std::string>{"data_batch_0.bin", "data_batch_1.bin", "data_batch_2.bin",
                                      "data_batch_3.bin", "data_batch_4.bin", "test_32x32.mat",
                                      "test_batch.bin", "train_32x32.mat", kSvhnTailFile}));
  const auto b4 = read_raw(dir / "data_batch_4.bin");
  ASSERT_EQ(b4.size(), 2u * 3073);
  EXPECT_EQ(b4[0], 9);
  EXPECT_EQ(b4[3073], 0) << "label 10 → 0";
  EXPECT_EQ(b4[3073 + 1 + 5], test_images::pixel(9, 5)) << "HWC image of training image 9";
  EXPECT_EQ(read_raw(dir / "test_batch.bin")[0], 0);
  ImageDataOptions image;
  image.official_sizes = false;
  DataSetOptions small;
  small.batch_size = 2;
  auto first = make_svhn_data_set(root(), small, image);
  const Examples& ten = first->examples(Phase::Train);
  ASSERT_EQ(ten.size(), 10);
  EXPECT_EQ(ten.labels.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 0}));
  image.svhn_train = SvhnTrain::Full;
  auto full = make_svhn_data_set(root(), small, image);
  EXPECT_EQ(full->examples(Phase::Train).labels.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 3, 4}));
  // Deleting only the tail (a folder DeepOBS's script prepared) converts the training file again.
  fs::remove(dir / kSvhnTailFile);
  log_.clear();
  prepare_data_set("svhn", root(), options(s));
  EXPECT_TRUE(logged("svhn: converting " + (dir / "train_32x32.mat").string())) << log_;
  EXPECT_FALSE(logged("converting " + (dir / "test_32x32.mat").string())) << log_;
  EXPECT_TRUE(fs::exists(dir / kSvhnTailFile));
}

TEST_F(PrepareImages, GarbageMatIsAnErrorNamingTheFile) {
  const fs::path dir = root().path / "svhn";
  ImageSource s = svhn_fixture(dir, {1, 2, 3, 4, 5, 6}, {1}, 1);
  test_images::write_file(dir / "train_32x32.mat", std::vector<std::uint8_t>(5000, 0x33));
  s.downloads[0].bytes = 5000;
  s.downloads[0].md5 = md5_of_file(dir / "train_32x32.mat");
  testing::expect_error([&] { prepare_data_set("svhn", root(), options(s)); },
                        {"svhn: ", (dir / "train_32x32.mat").string(), "not a readable MATLAB file",
                         "`deepobs prepare-data svhn`"});
}
#endif

TEST(PrepareImagesSources, OfficialFilesMatchTheLoadersTable) {
  for (const std::string name : {"cifar10", "cifar100", "svhn"}) {
    const ImageSource& s = official_image_source(name);
    const DataSetFiles* files = data_set_files(name);
    ASSERT_GE(s.outputs.size(), files->files.size());
    for (std::size_t i = 0; i < files->files.size(); ++i)
      EXPECT_EQ(s.outputs[i].name, files->files[i]) << name;
  }
  std::int64_t svhn_train = 0;
  for (const auto& o : official_image_source("svhn").outputs)
    if (o.name != "test_batch.bin") svhn_train += o.records;
  EXPECT_EQ(svhn_train, 73257);
  EXPECT_EQ(official_image_source("cifar10").downloads[0].bytes, 170052171u);
  EXPECT_EQ(official_image_source("cifar100").downloads[0].md5, "03b5dce01913d631647c71ecec9e9cb8");
}

}  // namespace
}  // namespace deepobs::datasets
