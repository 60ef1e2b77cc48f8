// prepare-data for CIFAR-10, CIFAR-100 and SVHN (declared in datasets/prepare_data.h).
#include <algorithm>
#include <fstream>
#include <system_error>

#include "core/error.h"
#include "datasets/image_data_set.h"
#include "datasets/image_records.h"
#include "datasets/md5.h"
#include "datasets/prepare_data.h"
#include "datasets/prepare_detail.h"
#include "datasets/svhn_mat.h"
#include "datasets/tar_reader.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using prepare_detail::say;

ImageSource make_cifar10_source() {
  ImageSource s;
  // The CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html) lists the MD5.
  s.downloads = {{"cifar-10-binary.tar.gz", 170052171, "c32a1d4ab5d03f1284b67883e8d87530"}};
  for (int k = 1; k <= 5; ++k)
    s.outputs.push_back({cat("data_batch_", k, ".bin"), kCifar10BatchFileRecords});
  s.outputs.push_back({"test_batch.bin", kCifarTestSize});
  return s;
}

ImageSource make_cifar100_source() {
  ImageSource s;
  s.downloads = {{"cifar-100-binary.tar.gz", 168513733, "03b5dce01913d631647c71ecec9e9cb8"}};
  s.outputs = {{"train.bin", kCifarTrainSize}, {"test.bin", kCifarTestSize}};
  return s;
}

ImageSource make_svhn_source() {
  ImageSource s;
  // Sizes and MD5s as torchvision's SVHN class and other loaders list them.
  s.downloads = {{"train_32x32.mat", 182040794, "e26dedcc434d2e4c54c9b2d4a06d8373"},
                 {"test_32x32.mat", 64275384, "eb5a983be6a315427106f1b164d9cef3"}};
  for (int k = 0; k < kSvhnBatchFiles; ++k)
    s.outputs.push_back({cat("data_batch_", k, ".bin"), kSvhnDeepobsTrainSize / kSvhnBatchFiles});
  s.outputs.push_back({"test_batch.bin", kSvhnTestSize});
  s.outputs.push_back({kSvhnTailFile, kSvhnTrainSize - kSvhnDeepobsTrainSize});
  return s;
}

// The SVHN output made from test_32x32.mat; every other one comes from train_32x32.mat.
bool is_svhn_test_output(const RecordFile& r) {
  return r.name == "test_batch.bin";
}

// Record layout used to verify an output (CIFAR-100: the labels sit at bytes 0 and 1 whatever
// the offset; the fine label is checked).
RecordFormat output_format(std::string_view name) {
  if (name == "cifar10") return cifar10_format();
  if (name == "cifar100") return cifar100_format(Cifar100Offset::Fixed);
  return svhn_format();
}

FileVerifier source_verifier(const SourceFile& f) {
  return [f](const fs::path& p) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(p, ec);
    DEEPOBS_CHECK(!ec, p.string(), ": cannot read its size (", ec.message(), ")");
    DEEPOBS_CHECK(size == f.bytes, p.string(), ": ", size, " bytes, but the published ", f.name,
                  " has ", f.bytes, " (an incomplete download, or a different file)");
    const std::string md5 = md5_of_file(p);
    DEEPOBS_CHECK(md5 == f.md5, p.string(), ": MD5 ", md5, ", but the published ", f.name, " has ",
                  f.md5, " (a corrupt download, or a different file)");
    return cat(f.bytes, " bytes, MD5 ", f.md5);
  };
}

FileVerifier output_verifier(std::string_view name, const RecordFile& r) {
  const RecordFormat format = output_format(name);
  return [format, r](const fs::path& p) { return verify_image_records(p, format, r.records); };
}

// What to do without a network, for the message of a failed download: bring `files` by hand.
std::string offline_hint(std::string_view name, const std::vector<SourceFile>& files,
                         const std::string& base, const fs::path& dir, const DataRoot& root) {
  std::string list;
  for (const auto& f : files)
    list +=
        cat(list.empty() ? "" : " and ", base, f.name, " (", f.bytes, " bytes, MD5 ", f.md5, ")");
  return cat("offline? fetch ", list, " elsewhere and copy ", files.size() == 1 ? "it" : "them",
             " into ", dir.string(), "/, then run `deepobs prepare-data ", name,
             root.source == DataRoot::Source::Default ? "" : " --data_dir " + root.path.string(),
             "` again");
}

// Prefixes "<name>: " unless the message has it.
std::string with_name(std::string_view name, const std::string& message) {
  const std::string prefix = cat(name, ": ");
  return message.rfind(prefix, 0) == 0 ? message : prefix + message;
}

void write_bytes(const fs::path& path, const std::uint8_t* data, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  out.close();
  DEEPOBS_CHECK(!out.fail(), "cannot write ", path.string(), " (disk full?)");
}

// The record files of a CIFAR tarball: members "<top folder>/<output name>" (DeepOBS untars
// with --strip 1); other members are skipped.
void extract_cifar(std::string_view name, const fs::path& tarball, const fs::path& dir,
                   const ImageSource& source, const std::vector<bool>& needed,
                   const PrepareOptions& options) {
  std::vector<bool> done(source.outputs.size(), false);
  TarReader tar(tarball);
  while (tar.next()) {
    const std::size_t slash = tar.name().find('/');
    if (slash == std::string::npos) continue;
    const std::string inner = tar.name().substr(slash + 1);
    for (std::size_t i = 0; i < source.outputs.size(); ++i) {
      if (!needed[i] || done[i] || inner != source.outputs[i].name) continue;
      const fs::path dest = dir / source.outputs[i].name;
      const std::string what = write_verified(
          dest, [&](const fs::path& tmp) { tar.extract(tmp); },
          output_verifier(name, source.outputs[i]), cat("extracted from ", tarball.string()));
      say(options, cat(name, ": extracted ", tar.name(), " to ", dest.string(), " (", what, ")"));
      done[i] = true;
    }
  }
  for (std::size_t i = 0; i < source.outputs.size(); ++i)
    DEEPOBS_CHECK(!needed[i] || done[i], tarball.string(), ": the archive holds no <folder>/",
                  source.outputs[i].name, " (a different archive?)");
}

// The SVHN record files from the two .mat files, as _svhn_preprocess.py writes them.
void convert_svhn(std::string_view name, const std::vector<fs::path>& mats, const fs::path& dir,
                  const ImageSource& source, const std::vector<bool>& needed,
                  const PrepareOptions& options) {
  for (const bool test : {false, true}) {
    std::int64_t total = 0;
    bool any = false;
    for (std::size_t i = 0; i < source.outputs.size(); ++i) {
      if (is_svhn_test_output(source.outputs[i]) != test) continue;
      total += source.outputs[i].records;
      any = any || needed[i];
    }
    if (!any) continue;
    const fs::path& mat = mats.at(test ? 1 : 0);
    say(options, cat(name, ": converting ", mat.string()));
    const SvhnRecords records = svhn_records_from_mat(mat, total);
    std::int64_t at = 0;
    for (std::size_t i = 0; i < source.outputs.size(); ++i) {
      const RecordFile& out = source.outputs[i];
      if (is_svhn_test_output(out) != test) continue;
      if (needed[i]) {
        const std::size_t record = static_cast<std::size_t>(1 + kImageBytes);
        const std::uint8_t* first = records.bytes.data() + static_cast<std::size_t>(at) * record;
        const fs::path dest = dir / out.name;
        const std::string what = write_verified(
            dest,
            [&](const fs::path& tmp) {
              write_bytes(tmp, first, static_cast<std::size_t>(out.records) * record);
            },
            output_verifier(name, out), cat("converted from ", mat.string()));
        say(options, cat(name, ": wrote ", dest.string(), " (", what, ")"));
      }
      at += out.records;
    }
  }
}

void prepare_images(std::string_view name, const DataRoot& root, const PrepareOptions& options) {
  const ImageSource& source =
      options.image_source ? *options.image_source : official_image_source(name);
  const DataSetFiles* spec = data_set_files(name);
  DEEPOBS_CHECK(spec != nullptr, "no file table entry for ", name);
  const bool svhn = name == "svhn";
  DEEPOBS_CHECK(source.downloads.size() == (svhn ? 2u : 1u),
                "internal error: wrong number of downloads for ", name);
  const fs::path dir = root.path / spec->subdir;

  // What is there already. A present file is only trusted after a full verification.
  std::vector<bool> needed(source.outputs.size(), true);
  for (std::size_t i = 0; i < source.outputs.size(); ++i) {
    const fs::path p = dir / source.outputs[i].name;
    std::error_code ec;
    if (options.force || !fs::is_regular_file(p, ec)) continue;
    needed[i] = !prepare_detail::already_valid(name, p, output_verifier(name, source.outputs[i]),
                                               options, "making it again");
  }
  const auto ready = [&] { say(options, cat(name, ": ready in ", dir.string())); };
  if (std::find(needed.begin(), needed.end(), true) == needed.end()) {
    ready();
    return;
  }
  DEEPOBS_CHECK(!svhn || svhn_mat_supported(),
                "this deepobs was built without libmatio, which converting SVHN's .mat files "
                "needs (install libmatio-dev and reconfigure with -DDEEPOBS_MATIO=ON)");

  // Which downloads the missing outputs need: CIFAR the tarball; SVHN the training and/or the
  // test .mat.
  std::vector<bool> want(source.downloads.size(), !svhn);
  if (svhn)
    for (std::size_t i = 0; i < source.outputs.size(); ++i)
      if (needed[i]) want[is_svhn_test_output(source.outputs[i]) ? 1 : 0] = true;

  const prepare_detail::RemoveIfCreatedEmpty cleanup({dir, root.path});
  std::vector<fs::path> paths;
  std::vector<SourceFile> to_fetch;  // wanted, without a valid copy in `dir`
  std::vector<bool> fetch_it(source.downloads.size(), false);
  for (std::size_t k = 0; k < source.downloads.size(); ++k) {
    const SourceFile& f = source.downloads[k];
    paths.push_back(dir / f.name);
    if (!want[k]) continue;
    std::error_code ec;
    if (!options.force && fs::is_regular_file(paths[k], ec)) {
      try {
        const std::string what = source_verifier(f)(paths[k]);
        say(options, cat(name, ": using ", paths[k].string(), " (", what, ")"));
        continue;
      } catch (const Error& e) {
        say(options, cat(name, ": ", e.what(), "; downloading it again"));
      }
    }
    fetch_it[k] = true;
    to_fetch.push_back(f);
  }
  if (!to_fetch.empty()) {
    // Found once, before the first "downloading" line.
    const FetchOptions fetch = prepare_detail::fetch_options(name, options);
    const std::vector<std::string> bases = prepare_detail::url_bases(name, options);
    const std::string hint = offline_hint(name, to_fetch, bases.front(), dir, root);
    for (std::size_t k = 0; k < source.downloads.size(); ++k)
      if (fetch_it[k])
        prepare_detail::download_from_mirrors(name, source.downloads[k].name, paths[k], bases,
                                              fetch, source_verifier(source.downloads[k]), options,
                                              hint);
  }

  if (svhn) {
    convert_svhn(name, paths, dir, source, needed, options);
  } else {
    extract_cifar(name, paths[0], dir, source, needed, options);
  }
  // As DeepOBS's script: the archives go once their contents are in place (a copy brought by
  // hand stays; a failed extraction keeps them for the next attempt).
  for (std::size_t k = 0; k < paths.size(); ++k) {
    if (!fetch_it[k]) continue;
    std::error_code ec;
    fs::remove(paths[k], ec);
    say(options, ec ? cat(name, ": could not delete ", paths[k].string(), ": ", ec.message())
                    : cat(name, ": deleted ", paths[k].string(), " (no longer needed)"));
  }
  ready();
}

}  // namespace

const ImageSource& official_image_source(std::string_view name) {
  static const ImageSource cifar10 = make_cifar10_source();
  static const ImageSource cifar100 = make_cifar100_source();
  static const ImageSource svhn = make_svhn_source();
  if (name == "cifar10") return cifar10;
  if (name == "cifar100") return cifar100;
  if (name == "svhn") return svhn;
  throw Error(cat("official_image_source: '", name, "' is not cifar10, cifar100 or svhn"));
}

void prepare_image_data_set(std::string_view name, const DataRoot& root,
                            const PrepareOptions& options) {
  try {
    prepare_images(name, root, options);
  } catch (const DownloadError& e) {
    throw DownloadError(e.kind(), with_name(name, e.what()));
  } catch (const Error& e) {
    throw Error(with_name(name, e.what()));
  }
}

}  // namespace deepobs::datasets
