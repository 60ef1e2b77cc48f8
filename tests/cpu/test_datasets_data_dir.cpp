// Data-root resolution (--data_dir, then $DEEPOBS_DATA_DIR, then ./data_deepobs) and the lookup
// of a data set's files with its one-line "not found" message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "core/error.h"
#include "datasets/data_dir.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::TempDir;

// Sets (or unsets, for nullopt) $DEEPOBS_DATA_DIR for one test and restores it afterwards.
class ScopedDataDirEnv {
 public:
  explicit ScopedDataDirEnv(const std::optional<std::string>& value) {
    if (const char* old = std::getenv(kDataDirEnv)) old_ = old;
    if (value) {
      setenv(kDataDirEnv, value->c_str(), 1);
    } else {
      unsetenv(kDataDirEnv);
    }
  }
  ~ScopedDataDirEnv() {
    if (old_) {
      setenv(kDataDirEnv, old_->c_str(), 1);
    } else {
      unsetenv(kDataDirEnv);
    }
  }

 private:
  std::optional<std::string> old_;
};

const std::vector<std::string> kMnistFiles = {
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz"};

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  test_util::write_raw(p, {0});
}

std::string find_error(std::string_view name, const DataRoot& root) {
  try {
    find_data_set(name, root);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "find_data_set(" << name << ") did not throw";
  return "";
}

TEST(DataDir, ExplicitBeatsEnvironmentBeatsDefault) {
  {
    ScopedDataDirEnv env("/from/env");
    const DataRoot r = resolve_data_root("/from/flag");
    EXPECT_EQ(r.path, fs::path("/from/flag"));
    EXPECT_EQ(r.source, DataRoot::Source::Explicit);
    EXPECT_EQ(r.describe(), "/from/flag (from --data_dir)");
    const DataRoot e = resolve_data_root("");
    EXPECT_EQ(e.path, fs::path("/from/env"));
    EXPECT_EQ(e.source, DataRoot::Source::Environment);
    EXPECT_EQ(e.describe(), "/from/env (from $DEEPOBS_DATA_DIR)");
  }
  {
    ScopedDataDirEnv env(std::nullopt);
    const DataRoot d = resolve_data_root();
    EXPECT_EQ(d.path, fs::path("data_deepobs"));
    EXPECT_EQ(d.source, DataRoot::Source::Default);
    EXPECT_EQ(d.describe(), "data_deepobs (the default)");
  }
  {
    ScopedDataDirEnv env("");  // set but empty counts as unset
    EXPECT_EQ(resolve_data_root().source, DataRoot::Source::Default);
  }
}

TEST(DataDir, FindsFilesInTheSubfolderInTableOrder) {
  TempDir dir;
  for (const auto& f : kMnistFiles)
    touch(dir / "mnist" / f);
  const FoundDataSet found = find_data_set("mnist", {dir.path(), DataRoot::Source::Explicit});
  EXPECT_EQ(found.dir, dir / "mnist");
  ASSERT_EQ(found.files.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(found.files[i], dir / "mnist" / kMnistFiles[i]);
  EXPECT_TRUE(data_set_present("mnist", {dir.path(), DataRoot::Source::Explicit}));
}

TEST(DataDir, AcceptsDecompressedFilesForGzNames) {
  TempDir dir;
  touch(dir / "mnist" / "train-images-idx3-ubyte");  // as torchvision or gunzip leave them
  touch(dir / "mnist" / "train-labels-idx1-ubyte.gz");
  touch(dir / "mnist" / "t10k-images-idx3-ubyte");
  touch(dir / "mnist" / "t10k-labels-idx1-ubyte");
  const FoundDataSet found = find_data_set("mnist", {dir.path(), DataRoot::Source::Explicit});
  EXPECT_EQ(found.files[0], dir / "mnist" / "train-images-idx3-ubyte");
  EXPECT_EQ(found.files[1], dir / "mnist" / "train-labels-idx1-ubyte.gz");
}

TEST(DataDir, MissingDataSaysWhereItLookedAndHowToGetIt) {
  TempDir dir;
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  std::string msg = find_error("mnist", root);
  EXPECT_NE(msg.find((dir / "mnist").string() + " (no such directory)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("`deepobs prepare-data mnist --data_dir " + dir.path().string() + "`"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("(from --data_dir)"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_FALSE(data_set_present("mnist", root));

  // A partial folder names the missing files.
  touch(dir / "mnist" / kMnistFiles[0]);
  touch(dir / "mnist" / kMnistFiles[1]);
  msg = find_error("mnist", root);
  EXPECT_NE(msg.find("(missing t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)"),
            std::string::npos)
      << msg;
  EXPECT_FALSE(data_set_present("mnist", root));

  // With the default root the advice has no --data_dir.
  msg = find_error("cifar10", {dir.path(), DataRoot::Source::Default});
  EXPECT_NE(msg.find("`deepobs prepare-data cifar10`"), std::string::npos) << msg;
  EXPECT_NE(msg.find((dir / "cifar-10").string()), std::string::npos) << msg;
}

TEST(DataDir, FashionMnistFallsBackToTheDebianPackage) {
  TempDir dir;
  const DataRoot root{dir.path(), DataRoot::Source::Environment};
  const fs::path system = "/usr/share/datasets/fashion-mnist";
  bool installed = true;
  for (const auto& f : kMnistFiles)
    installed = installed && fs::exists(system / f);
  if (installed) {
    const FoundDataSet found = find_data_set("fmnist", root);
    EXPECT_EQ(found.dir, system);
    EXPECT_TRUE(data_set_present("fmnist", root));
  } else {
    const std::string msg = find_error("fmnist", root);
    EXPECT_NE(msg.find((dir / "fmnist").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(system.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("`apt-get install dataset-fashion-mnist`"), std::string::npos) << msg;
    EXPECT_NE(msg.find("`deepobs prepare-data fmnist --data_dir"), std::string::npos) << msg;
    EXPECT_FALSE(data_set_present("fmnist", root));
  }
  // A copy under the data root wins over the system folder.
  for (const auto& f : kMnistFiles)
    touch(dir / "fmnist" / f);
  EXPECT_EQ(find_data_set("fmnist", root).dir, dir / "fmnist");
}

TEST(DataDir, GeneratedAndUnknownNames) {
  TempDir dir;
  const DataRoot root{dir.path(), DataRoot::Source::Explicit};
  EXPECT_EQ(data_set_files("quadratic"), nullptr);
  EXPECT_EQ(data_set_files("two_d"), nullptr);
  EXPECT_TRUE(data_set_present("quadratic", root));
  EXPECT_TRUE(data_set_present("two_d", root));
  EXPECT_THROW(find_data_set("two_d", root), Error);
  ASSERT_NE(data_set_files("fmnist"), nullptr);
  EXPECT_EQ(data_set_files("cifar100")->subdir, "cifar-100");
  try {
    data_set_present("mnsit", root);
    ADD_FAILURE() << "no error for an unknown name";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown data set 'mnsit' (known: mnist, fmnist"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace deepobs::datasets
