// `deepobs prepare-data` without a network: the downloader fetches file:// URLs of IDX files that
// the tests write (full-size MNIST-format files, so the real verification runs), loopback ports
// that refuse connections, and a FIFO that never delivers. curl is needed for file:// URLs (wget
// has no file:// support); the tests that need it skip without it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/data_dir.h"
#include "datasets/download.h"
#include "datasets/prepare_data.h"
#include "datasets/svhn_mat.h"
#include "runner/prepare_data_command.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::curl;
using test_util::entries;
using test_util::file_url;
using test_util::idx_bytes;
using test_util::read_raw;
using test_util::run_prepare;
using test_util::TempDir;
using test_util::write_gz;
using test_util::write_raw;

const std::vector<std::string> kFiles = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

std::vector<std::uint8_t> images(std::uint32_t n, std::uint32_t side = 28) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n) * side * side);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<std::uint8_t>((i / (side * side)) * 3 + i % 5);
  return idx_bytes({n, side, side}, pixels);
}

std::vector<std::uint8_t> labels(std::uint32_t n) {
  std::vector<std::uint8_t> values(n);
  for (std::uint32_t i = 0; i < n; ++i)
    values[i] = static_cast<std::uint8_t>(i % 10);
  return idx_bytes({n}, values);
}

// Writes a valid MNIST-format data set (60,000 + 10,000 examples) into `dir`. Level-1 gzip keeps
// this fast; the files are still 47 MB of pixels after decompression, as the real ones.
void write_valid_set(const fs::path& dir) {
  fs::create_directories(dir);
  write_gz(dir / kFiles[0], images(60000), "wb1");
  write_gz(dir / kFiles[1], labels(60000), "wb1");
  write_gz(dir / kFiles[2], images(10000), "wb1");
  write_gz(dir / kFiles[3], labels(10000), "wb1");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A valid source set shared by all tests of the suite (writing it takes about a second).
class PrepareData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = std::make_unique<TempDir>();
    write_valid_set(source_->path());
  }
  static void TearDownTestSuite() { source_.reset(); }

  static const fs::path& source() { return source_->path(); }

  PrepareOptions options() {
    PrepareOptions o;
    o.url_bases = {file_url(source())};
    o.fetch.downloader = curl();
    o.fetch.time_limit = std::chrono::seconds(60);
    o.system_dirs = std::vector<fs::path>{};
    o.log = [this](const std::string& line) {
      EXPECT_EQ(line.find('\n'), std::string::npos) << line;
      log_ += line + "\n";
    };
    return o;
  }

  DataRoot root() const { return {root_.path() / "data", DataRoot::Source::Explicit}; }

  // Runs prepare_data_set and returns the DownloadError's message ("" when it succeeded).
  std::string prepare_error(const std::string& name, const PrepareOptions& o,
                            DownloadError::Kind expected_kind) {
    try {
      prepare_data_set(name, root(), o);
    } catch (const DownloadError& e) {
      EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(expected_kind)) << e.what();
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      return msg;
    }
    ADD_FAILURE() << "prepare_data_set(" << name << ") did not throw";
    return "";
  }

  static std::unique_ptr<TempDir> source_;
  TempDir root_;
  std::string log_;
};

std::unique_ptr<TempDir> PrepareData::source_;

TEST_F(PrepareData, DownloadsVerifiesAndPlacesTheFiles) {
  REQUIRE_CURL();
  prepare_data_set("mnist", root(), options());
  const fs::path dir = root().path / "mnist";
  // Exactly the four files, byte for byte, and no temporary file left over.
  std::vector<std::string> sorted = kFiles;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(entries(dir), sorted);
  for (const auto& f : kFiles)
    EXPECT_EQ(read_raw(dir / f), read_raw(source() / f)) << f;
  EXPECT_TRUE(contains(log_, "mnist: downloading " + file_url(source()) + kFiles[0])) << log_;
  EXPECT_TRUE(
      contains(log_, "mnist: " + (dir / kFiles[0]).string() + " verified (60000 images of 28x28)"))
      << log_;
  EXPECT_TRUE(contains(log_, (dir / kFiles[3]).string() + " verified (10000 labels in 0..9)"))
      << log_;
  EXPECT_TRUE(contains(log_, "mnist: ready in " + dir.string())) << log_;
  // The loader finds them where it looks first.
  EXPECT_EQ(find_data_set("mnist", root()).dir, dir);
}

TEST_F(PrepareData, AlreadyPresentFilesAreNotFetchedAgain) {
  REQUIRE_CURL();
  prepare_data_set("mnist", root(), options());
  const fs::path dir = root().path / "mnist";

  // Any fetch from here on would fail, so success proves that nothing was fetched.
  PrepareOptions o = options();
  o.url_bases = {"file:///nonexistent-deepobs-source/"};
  log_.clear();
  prepare_data_set("mnist", root(), o);
  for (const auto& f : kFiles)
    EXPECT_TRUE(contains(log_, (dir / f).string() + " already present (")) << log_;
  EXPECT_TRUE(contains(log_, "already present (60000 images of 28x28)")) << log_;
  EXPECT_FALSE(contains(log_, "downloading")) << log_;

  // A decompressed copy counts too (the loader accepts it).
  fs::remove(dir / kFiles[3]);
  write_raw(dir / "t10k-labels-idx1-ubyte", labels(10000));
  log_.clear();
  prepare_data_set("mnist", root(), o);
  EXPECT_TRUE(contains(log_, (dir / "t10k-labels-idx1-ubyte").string() + " already present"))
      << log_;

  // --force fetches even valid files; when that fails the present files are untouched.
  o.force = true;
  const std::string msg = prepare_error("mnist", o, DownloadError::Kind::Network);
  EXPECT_TRUE(contains(msg, "mnist: cannot reach file:///nonexistent-deepobs-source/" + kFiles[0]))
      << msg;
  EXPECT_EQ(read_raw(dir / kFiles[0]), read_raw(source() / kFiles[0]));
  EXPECT_EQ(entries(dir).size(), 4u);
}

TEST_F(PrepareData, AnInvalidPresentFileIsFetchedAgain) {
  REQUIRE_CURL();
  const fs::path dir = root().path / "mnist";
  fs::create_directories(dir);
  write_gz(dir / kFiles[1], labels(59999));
  prepare_data_set("mnist", root(), options());
  EXPECT_TRUE(contains(log_, (dir / kFiles[1]).string() +
                                 ": expected 60000 labels (IDX shape [60000]), the IDX header "
                                 "says [59999]; fetching it again"))
      << log_;
  EXPECT_EQ(read_raw(dir / kFiles[1]), read_raw(source() / kFiles[1]));
}

TEST_F(PrepareData, CorruptDownloadsAreRejectedAndLeaveNothing) {
  REQUIRE_CURL();
  struct Case {
    std::string file;
    std::vector<std::uint8_t> bytes;  // written gzip-compressed unless `raw`
    bool raw;
    std::string expected;  // part of the message after the file's path
  };
  std::vector<std::uint8_t> bad_label = labels(10000);
  bad_label[8 + 3] = 10;
  std::vector<std::uint8_t> truncated;
  {
    TempDir tmp;
    write_gz(tmp / "t.gz", labels(10000));
    truncated = read_raw(tmp / "t.gz");
    truncated.resize(truncated.size() / 2);
  }
  const std::string html = "<html><body>404 Not Found</body></html>\n";
  const std::vector<Case> cases = {
      {kFiles[3], bad_label, false, ": label 10 of example 3 is not a class index 0..9"},
      {kFiles[3], labels(9999), false,
       ": expected 10000 labels (IDX shape [10000]), the IDX header says [9999]"},
      {kFiles[2], images(10000, 27), false,
       ": expected 10000 images of 28x28 (IDX shape [10000,28,28]), the IDX header says "
       "[10000,27,27]"},
      {kFiles[2], labels(10000), false, "the IDX header says [10000]"},
      {kFiles[3], truncated, true, ""},
      {kFiles[3], std::vector<std::uint8_t>(html.begin(), html.end()), true, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected.empty() ? "raw bytes" : c.expected);
    TempDir bad;
    if (c.raw) {
      write_raw(bad / c.file, c.bytes);
    } else {
      write_gz(bad / c.file, c.bytes);
    }
    const std::string url = file_url(bad.path()) + c.file;
    const fs::path dest = root().path / "mnist" / c.file;
    const bool images_file = c.file == kFiles[2];
    try {
      download_verified(
          url, dest,
          [&](const fs::path& p) {
            return verify_mnist_file(p, images_file ? MnistFileKind::Images : MnistFileKind::Labels,
                                     10000);
          },
          options().fetch);
      ADD_FAILURE() << "accepted";
    } catch (const DownloadError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.kind(), DownloadError::Kind::Invalid) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      // The message names the file by its final name, not the temporary one.
      EXPECT_TRUE(msg.starts_with(dest.string() + ":")) << msg;
      EXPECT_FALSE(contains(msg, ".part-")) << msg;
      EXPECT_TRUE(contains(msg, c.expected)) << msg;
      EXPECT_TRUE(msg.ends_with("(downloaded from " + url + "; deleted)")) << msg;
    }
    EXPECT_TRUE(entries(root().path / "mnist").empty());
  }

  // Through prepare_data_set: the valid files before the bad one are kept (they are verified),
  // the bad one is not, and the error names it.
  TempDir bad;
  for (const auto& f : kFiles)
    fs::copy_file(source() / f, bad / f);
  write_gz(bad / kFiles[1], labels(59999));
  PrepareOptions o = options();
  o.url_bases = {file_url(bad.path())};
  const std::string msg = prepare_error("mnist", o, DownloadError::Kind::Invalid);
  EXPECT_TRUE(msg.starts_with("mnist: " + (root().path / "mnist" / kFiles[1]).string() +
                              ": expected 60000 labels"))
      << msg;
  EXPECT_EQ(entries(root().path / "mnist"), std::vector<std::string>{kFiles[0]});
}

TEST_F(PrepareData, UnreachableUrlIsAOneLineErrorAndLeavesNothing) {
  REQUIRE_CURL();
  PrepareOptions o = options();
  o.url_bases = {"file:///nonexistent"};  // the missing '/' is added
  const std::string msg = prepare_error("mnist", o, DownloadError::Kind::Network);
  EXPECT_TRUE(msg.starts_with("mnist: cannot reach file:///nonexistent/" + kFiles[0] +
                              ": the file cannot be read (it does not exist?) [curl exit code 37"))
      << msg;
  // Not even the folders it created stay behind.
  EXPECT_FALSE(fs::exists(root().path));
}

TEST_F(PrepareData, MirrorsAreTriedInOrder) {
  REQUIRE_CURL();
  TempDir bad;
  write_gz(bad / kFiles[0], labels(10));
  PrepareOptions o = options();
  o.url_bases = {"file:///nonexistent-a/", file_url(bad.path()), file_url(source())};
  prepare_data_set("mnist", root(), o);
  EXPECT_TRUE(contains(log_, "mnist: cannot reach file:///nonexistent-a/" + kFiles[0] + ": "))
      << log_;
  EXPECT_TRUE(contains(log_, "; trying the mirror " + file_url(bad.path()))) << log_;
  EXPECT_TRUE(contains(log_, "; trying the mirror " + file_url(source()))) << log_;
  EXPECT_EQ(entries(root().path / "mnist").size(), 4u);

  // When all fail, the error lists every attempt.
  o.url_bases = {"file:///nonexistent-a/", file_url(bad.path())};
  o.force = true;
  const std::string msg = prepare_error("mnist", o, DownloadError::Kind::Invalid);
  EXPECT_TRUE(msg.starts_with("mnist: cannot reach file:///nonexistent-a/" + kFiles[0])) << msg;
  EXPECT_TRUE(contains(msg, "; mirror: " + (root().path / "mnist" / kFiles[0]).string() +
                                ": expected 60000 images of 28x28"))
      << msg;
}

TEST_F(PrepareData, FashionMnistFromTheSystemFolderNeedsNoDownload) {
  REQUIRE_CURL();
  PrepareOptions o = options();
  o.system_dirs = std::vector<fs::path>{source()};
  o.url_bases = {"file:///nonexistent-deepobs-source/"};
  prepare_data_set("fmnist", root(), o);
  EXPECT_TRUE(contains(
      log_, "fmnist: no download needed: " + source().string() + " holds all four files, valid"))
      << log_;
  EXPECT_FALSE(fs::exists(root().path / "fmnist"));

  // --copy puts verified copies into the data root.
  o.copy = true;
  log_.clear();
  prepare_data_set("fmnist", root(), o);
  for (const auto& f : kFiles)
    EXPECT_EQ(read_raw(root().path / "fmnist" / f), read_raw(source() / f)) << f;
  EXPECT_TRUE(contains(log_, "fmnist: copied " + (source() / kFiles[0]).string())) << log_;

  // --force downloads even then (and fails here, proving it tried).
  fs::remove_all(root().path);
  o.copy = false;
  o.force = true;
  prepare_error("fmnist", o, DownloadError::Kind::Network);

  // A system folder with a bad file is not used.
  TempDir broken;
  for (const auto& f : kFiles)
    fs::copy_file(source() / f, broken / f);
  write_gz(broken / kFiles[3], labels(10));
  o.force = false;
  o.system_dirs = std::vector<fs::path>{broken.path()};
  o.url_bases = {file_url(source())};
  log_.clear();
  prepare_data_set("fmnist", root(), o);
  EXPECT_TRUE(contains(log_, (broken / kFiles[3]).string() + ": expected 10000 labels")) << log_;
  EXPECT_TRUE(contains(log_, "(not used)")) << log_;
  EXPECT_TRUE(contains(log_, "fmnist: downloading")) << log_;

  // --copy without a usable system folder.
  o.copy = true;
  o.force = true;
  try {
    prepare_data_set("fmnist", root(), o);
    ADD_FAILURE() << "--copy from a broken folder succeeded";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(
        e.what(), "fmnist: --copy: no complete, valid set of files in " + broken.path().string()))
        << e.what();
  }
}

TEST_F(PrepareData, DiskErrorsNameThePath) {
  REQUIRE_CURL();
  // The data root is a regular file, so no folder can be created below it.
  write_raw(root().path, {1, 2, 3});
  const std::string msg = prepare_error("mnist", options(), DownloadError::Kind::Disk);
  EXPECT_TRUE(
      msg.starts_with("mnist: cannot create directory " + (root().path / "mnist").string() + ": "))
      << msg;
}

TEST_F(PrepareData, WithoutADownloaderNothingIsTried) {
  TempDir empty;
  ScopedEnv path("PATH", empty.path().string());
  PrepareOptions o = options();
  o.fetch.downloader.reset();
  const std::string msg = prepare_error("mnist", o, DownloadError::Kind::NoDownloader);
  EXPECT_EQ(msg,
            "mnist: cannot download: neither curl nor wget is installed (install one: apt-get "
            "install curl)");
  EXPECT_FALSE(contains(log_, "downloading")) << log_;
  EXPECT_FALSE(fs::exists(root().path));
}

TEST(PrepareDataFetch, ConnectionRefusedOnLoopback) {
  // Port 1 on the loopback interface: refused at once, no network needed.
  TempDir dir;
  const std::string url = "http://127.0.0.1:1/train-images-idx3-ubyte.gz";
  int tried = 0;
  for (const char* name : {"curl", "wget"}) {
    std::optional<Downloader> tool;
    for (const char* prefix : {"/usr/bin/", "/bin/", "/usr/local/bin/"}) {
      if (::access((std::string(prefix) + name).c_str(), X_OK) == 0) {
        tool = Downloader{
            std::string(name) == "curl" ? Downloader::Kind::Curl : Downloader::Kind::Wget,
            std::string(prefix) + name};
        break;
      }
    }
    if (!tool) continue;
    ++tried;
    SCOPED_TRACE(name);
    try {
      fetch_url(url, dir / "out", {tool, std::chrono::seconds(30)});
      ADD_FAILURE() << "fetched from a closed port";
    } catch (const DownloadError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.kind(), DownloadError::Kind::Network) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_TRUE(msg.starts_with("cannot reach " + url + ": ")) << msg;
      EXPECT_TRUE(contains(
          msg, tool->kind == Downloader::Kind::Curl ? "[curl exit code 7" : "[wget exit code 4"))
          << msg;
    }
  }
  if (tried == 0) GTEST_SKIP() << "neither curl nor wget is installed (apt-get install curl)";
}

TEST(PrepareDataFetch, TimeLimitStopsAStalledTransfer) {
  REQUIRE_CURL();
  // Opening a FIFO with no writer blocks forever: only the time limit can end this transfer.
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  try {
    fetch_url("file://" + (dir / "fifo").string(), dir / "out", {curl(), std::chrono::seconds(1)});
    ADD_FAILURE() << "a FIFO without writer was fetched";
  } catch (const DownloadError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), DownloadError::Kind::Network) << msg;
    EXPECT_TRUE(contains(msg, "no complete transfer within 1 s") || contains(msg, "timed out"))
        << msg;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(PrepareDataFetch, FindsTheDownloaderOnPathOrSaysHowToInstallOne) {
  TempDir a, b;
  {
    ScopedEnv path("PATH", a.path().string());
    EXPECT_FALSE(find_downloader().has_value());
    try {
      fetch_url("file:///x", a / "out");
      ADD_FAILURE() << "fetched without a downloader";
    } catch (const DownloadError& e) {
      EXPECT_EQ(e.kind(), DownloadError::Kind::NoDownloader);
      EXPECT_EQ(std::string(e.what()),
                "neither curl nor wget is installed (install one: apt-get install curl)");
    }
  }
  // A non-executable "curl" does not count; an executable "wget" later in PATH does.
  write_raw(a / "curl", {'#', '!'});
  ::chmod((a / "curl").c_str(), 0644);
  write_raw(b / "wget", {'#', '!'});
  ::chmod((b / "wget").c_str(), 0755);
  {
    ScopedEnv path("PATH", a.path().string() + "::" + b.path().string());
    const auto d = find_downloader();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->kind, Downloader::Kind::Wget);
    EXPECT_EQ(d->program, b / "wget");
  }
  ::chmod((a / "curl").c_str(), 0755);
  {
    ScopedEnv path("PATH", a.path().string() + ":" + b.path().string());
    const auto d = find_downloader();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->kind, Downloader::Kind::Curl);
  }
}

// `deepobs prepare-data`: exit codes and the exact lines a user sees.

// Every line of `text` is one message with the command's prefix.
void expect_prefixed_lines(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    EXPECT_TRUE(line.starts_with("deepobs prepare-data: ")) << line;
}

TEST(PrepareDataCommand, UsageErrorsExitWithTwo) {
  auto r = run_prepare({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("usage: deepobs prepare-data <name>...")) << r.out;

  r = run_prepare({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: no data set named (supported: mnist, fmnist, cifar10, "
            "cifar100, svhn, tolstoi); see 'deepobs prepare-data --help'\n");

  r = run_prepare({"mnsit"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(
      r.err,
      "deepobs prepare-data: unknown data set 'mnsit' (did you mean 'mnist'?); prepare-data "
      "supports mnist, fmnist, cifar10, cifar100, svhn, tolstoi (from your own copy: imagenet)\n");
  EXPECT_EQ(r.out, "");

  r = run_prepare({"mnist", "--froce"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: unknown option '--froce' (did you mean --force?); see 'deepobs "
            "prepare-data --help'\n");

  r = run_prepare({"mnist", "--data_dir"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "deepobs prepare-data: --data_dir needs a value\n");

  r = run_prepare({"mnist", "--timeout=0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: --timeout needs a whole number of seconds from 1 to 86400, got "
            "'0'\n");

  r = run_prepare({"mnist", "--copy"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: --copy applies to fmnist only (mnist has no system folder to "
            "copy from)\n");
}

TEST(PrepareDataCommand, ImageNetWithoutACopyAndInMemoryOnes) {
  TempDir dir;
  {
    // No --source and no <root>/imagenet: one line saying why nothing can be downloaded.
    const auto r = run_prepare({"imagenet", "--data_dir", dir.path().string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(r.err.starts_with("deepobs prepare-data: imagenet: " +
                                  (dir.path() / "imagenet").string() + " is not a folder; "))
        << r.err;
    EXPECT_NE(r.err.find("registration at image-net.org"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto r = run_prepare({"quadratic", "two_d"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            "deepobs prepare-data: quadratic: generated in memory from fixed seeds; nothing to "
            "prepare\n"
            "deepobs prepare-data: two_d: generated in memory from fixed seeds; nothing to "
            "prepare\n");
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(PrepareDataCommand, ImageDataSetsNamesAndOfflineMessage) {
  auto r = run_prepare({"cifar1000"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "deepobs prepare-data: unknown data set 'cifar1000' (did you mean 'cifar100'?); "
            "prepare-data supports mnist, fmnist, cifar10, cifar100, svhn, tolstoi (from your own "
            "copy: imagenet)\n");
  if (!svhn_mat_supported()) GTEST_SKIP() << "built without libmatio";
  TempDir dir;
  r = run_prepare({"svhn", "--data_dir", dir.path().string(), "--url_base", "http://127.0.0.1:1/",
                   "--timeout", "10"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(contains(r.err, "deepobs prepare-data: svhn: cannot reach ")) << r.err;
  EXPECT_TRUE(contains(r.err,
                       "offline? fetch http://127.0.0.1:1/train_32x32.mat (182040794 bytes, MD5 "
                       "e26dedcc434d2e4c54c9b2d4a06d8373) and http://127.0.0.1:1/test_32x32.mat "
                       "(64275384 bytes, MD5 eb5a983be6a315427106f1b164d9cef3) elsewhere"))
      << r.err;
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST_F(PrepareData, CommandDownloadsAndReportsFailures) {
  REQUIRE_CURL();
  const std::string data_dir = root().path.string();
  auto r = run_prepare({"mnist", "--data_dir", data_dir, "--url_base", file_url(source())});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  expect_prefixed_lines(r.out);
  EXPECT_TRUE(r.out.ends_with("deepobs prepare-data: mnist: ready in " + data_dir + "/mnist\n"))
      << r.out;
  EXPECT_EQ(entries(root().path / "mnist").size(), 4u);

  r = run_prepare({"mnist", "--data_dir=" + data_dir, "--url_base=file:///nonexistent"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;
  EXPECT_TRUE(contains(r.out, "already present")) << r.out;

  r = run_prepare(
      {"mnist", "--force", "--data_dir", data_dir, "--url_base", "file:///nonexistent"});
  EXPECT_EQ(r.code, 1);
  expect_prefixed_lines(r.out);
  EXPECT_TRUE(r.err.starts_with("deepobs prepare-data: mnist: cannot reach file:///nonexistent/" +
                                kFiles[0] + ": "))
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(PrepareDataCommand, InstalledFashionMnistPackageNeedsNoDownload) {
  const fs::path system = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(system / kFiles[0])) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const auto r = run_prepare({"fmnist", "--data_dir", dir.path().string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deepobs prepare-data: fmnist: no download needed: " + system.string() +
                       " holds all four files, valid (as installed by `apt-get install "
                       "dataset-fashion-mnist`), and deepobs reads them when " +
                       (dir.path() / "fmnist").string() +
                       " lacks them; --copy copies them there, --force downloads anyway\n");
  EXPECT_TRUE(entries(dir.path()).empty());
}

}  // namespace
}  // namespace deepobs::datasets
