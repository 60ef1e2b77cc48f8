#include "datasets/imagenet_prepare.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "datasets/imagenet_records.h"
#include "datasets/prepare_detail.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"

namespace deepobs::datasets {
namespace fs = std::filesystem;
using prepare_detail::say;
namespace {

constexpr const char* kSynsetList = "imagenet_lsvrc_2015_synsets.txt";
constexpr const char* kTfValidationLabels = "imagenet_2012_validation_synset_labels.txt";
constexpr const char* kKaggleValidationLabels = "LOC_val_solution.csv";
// Problems listed one per line; beyond this many of one kind the rest are counted.
constexpr std::size_t kListed = 20;

// The problems found so far, one line each.
class Problems {
 public:
  void add(std::string line) { lines_.push_back(std::move(line)); }
  // Adds "<what>: a, b, c (and N more)" when `items` is not empty.
  void add_list(const std::string& what, const std::vector<std::string>& items) {
    if (items.empty()) return;
    std::string s = what + ": ";
    for (std::size_t i = 0; i < items.size() && i < kListed; ++i)
      s += (i ? ", " : "") + items[i];
    if (items.size() > kListed) s += cat(" (and ", items.size() - kListed, " more)");
    add(s);
  }
  void throw_if_any(const fs::path& source) const {
    if (lines_.empty()) return;
    std::string msg = cat("imagenet: ", source.string(), " is not ready (", lines_.size(),
                          lines_.size() == 1 ? " problem" : " problems", "; nothing was written):");
    for (const auto& l : lines_)
      msg += "\n  " + l;
    throw Error(msg);
  }

 private:
  std::vector<std::string> lines_;
};

bool is_jpeg_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpeg" || ext == ".jpg";
}

// Whether the file starts like a JPEG (SOI marker followed by another marker).
bool starts_like_jpeg(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  unsigned char b[3] = {0, 0, 0};
  in.read(reinterpret_cast<char*>(b), 3);
  return in.gcount() == 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

std::vector<fs::path> sorted_children(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (directories ? e.is_directory() : e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

void check_count(Problems& problems, const std::string& what, std::int64_t found,
                 std::int64_t official) {
  if (found == official) return;
  problems.add(cat(what, ": ", with_commas(found), " images, ILSVRC-2012 has ",
                   with_commas(official),
                   found < official ? cat(" (", with_commas(official - found), " missing)")
                                    : std::string(" (extra files?)"),
                   "; use --data_sizes any to index a subset"));
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::optional<fs::path> first_existing(const std::vector<fs::path>& candidates) {
  for (const auto& c : candidates)
    if (fs::is_regular_file(c)) return c;
  return std::nullopt;
}

// Adds the JPEG files of `dir` with `label` to `split`; non-JPEG contents become problems.
void add_image_files(const fs::path& source, const fs::path& dir, std::int32_t label,
                     ImageNetSplit& split, std::vector<std::string>& not_jpeg) {
  for (const auto& f : sorted_children(dir, false)) {
    if (!is_jpeg_name(f)) continue;
    const std::string rel = fs::relative(f, source).string();
    if (!starts_like_jpeg(f)) {
      not_jpeg.push_back(rel);
      continue;
    }
    split.entries.push_back({static_cast<std::int32_t>(split.files.size()), label, 0, 0});
    split.files.push_back(rel);
  }
}

// The flat validation folder's labels by file name, from a ground-truth file.
std::map<std::string, std::string> flat_validation_wnids(const fs::path& source,
                                                         const fs::path& val,
                                                         const std::vector<fs::path>& files,
                                                         Problems& problems) {
  std::map<std::string, std::string> wnid_of;
  if (auto tf = first_existing({source / kTfValidationLabels, val / kTfValidationLabels})) {
    const std::vector<std::string> wnids = read_lines(*tf);
    std::vector<fs::path> jpegs;
    for (const auto& f : files)
      if (is_jpeg_name(f)) jpegs.push_back(f);
    if (wnids.size() != jpegs.size()) {
      problems.add(cat(tf->string(), " has ", wnids.size(), " labels for ", jpegs.size(),
                       " images in ", val.string(), " (one line per image, in file-name order)"));
      return wnid_of;
    }
    for (std::size_t i = 0; i < jpegs.size(); ++i)
      wnid_of[jpegs[i].filename().string()] = wnids[i];
    return wnid_of;
  }
  if (auto csv =
          first_existing({source / kKaggleValidationLabels, val / kKaggleValidationLabels})) {
    for (const auto& line : read_lines(*csv)) {
      const std::size_t comma = line.find(',');
      if (comma == std::string::npos || line.rfind("ImageId", 0) == 0) continue;
      const std::string id = line.substr(0, comma);
      const std::string rest = line.substr(comma + 1);
      wnid_of[id + ".JPEG"] = rest.substr(0, rest.find(' '));
    }
    return wnid_of;
  }
  problems.add(cat(val.string(), " holds images without class folders, and no ground truth: put ",
                   kTfValidationLabels, " (TF inception) or ", kKaggleValidationLabels,
                   " (Kaggle) into ", source.string()));
  return wnid_of;
}

void scan_folders(const fs::path& source, bool official, ImageNetIndex& index, Problems& problems,
                  const PrepareOptions& options) {
  const fs::path train = source / "train";
  const std::vector<fs::path> class_dirs = sorted_children(train, true);
  std::vector<std::string> folders;
  for (const auto& d : class_dirs)
    folders.push_back(d.filename().string());

  if (auto list = first_existing({source / kSynsetList})) {
    index.synsets = read_lines(*list);
    const std::set<std::string> present(folders.begin(), folders.end());
    const std::set<std::string> listed(index.synsets.begin(), index.synsets.end());
    std::vector<std::string> missing, unlisted;
    for (const auto& s : index.synsets)
      if (!present.count(s)) missing.push_back(s);
    for (const auto& f : folders)
      if (!listed.count(f)) unlisted.push_back(f);
    if (official || !unlisted.empty())
      problems.add_list(cat("train/ lacks ", missing.size(), " of the ", index.synsets.size(),
                            " class folders of ", kSynsetList),
                        missing);
    problems.add_list(cat("train/ has folders that ", kSynsetList, " does not list"), unlisted);
    if (official && static_cast<std::int64_t>(index.synsets.size()) != kImageNetSynsets)
      problems.add(cat(list->string(), " lists ", index.synsets.size(), " synsets, not 1000"));
  } else {
    index.synsets = folders;
    if (official && static_cast<std::int64_t>(folders.size()) != kImageNetSynsets)
      problems.add(cat("train/ has ", folders.size(), " class folders, ILSVRC-2012 has 1000 (put ",
                       kSynsetList, " into ", source.string(), " to have the missing ones named)"));
  }
  DEEPOBS_CHECK(static_cast<std::int64_t>(index.synsets.size()) <= kImageNetSynsets,
                "imagenet: ", index.synsets.size(), " classes found, at most 1000 are possible");
  std::map<std::string, std::int32_t> label_of;
  for (std::size_t i = 0; i < index.synsets.size(); ++i)
    label_of[index.synsets[i]] = static_cast<std::int32_t>(i + 1);

  std::vector<std::string> not_jpeg, empty;
  say(options,
      cat("imagenet: indexing ", train.string(), " (", class_dirs.size(), " class folders)"));
  for (const auto& d : class_dirs) {
    const auto it = label_of.find(d.filename().string());
    if (it == label_of.end()) continue;  // reported above
    const std::size_t before = index.train.entries.size();
    add_image_files(source, d, it->second, index.train, not_jpeg);
    if (index.train.entries.size() == before) empty.push_back(d.filename().string());
  }
  problems.add_list("train/ class folders without images", empty);
  if (official)
    check_count(problems, "train/", static_cast<std::int64_t>(index.train.entries.size()),
                kImageNetTrainSize);

  fs::path val = source / "val";
  if (!fs::is_directory(val)) val = source / "validation";
  if (!fs::is_directory(val)) {
    problems.add(cat("no validation images: ", (source / "val").string(), " is missing"));
  } else {
    say(options, cat("imagenet: indexing ", val.string()));
    const std::vector<fs::path> val_dirs = sorted_children(val, true);
    std::vector<std::string> unknown;
    if (!val_dirs.empty()) {
      for (const auto& d : val_dirs) {
        const auto it = label_of.find(d.filename().string());
        if (it == label_of.end()) {
          unknown.push_back(d.filename().string());
          continue;
        }
        add_image_files(source, d, it->second, index.validation, not_jpeg);
      }
      problems.add_list("val/ class folders that train/ lacks", unknown);
    } else {
      const std::vector<fs::path> files = sorted_children(val, false);
      const auto wnid_of = flat_validation_wnids(source, val, files, problems);
      std::vector<std::string> unlabelled;
      for (const auto& f : files) {
        if (!is_jpeg_name(f)) continue;
        const std::string rel = fs::relative(f, source).string();
        const auto w = wnid_of.find(f.filename().string());
        if (w == wnid_of.end()) {
          if (!wnid_of.empty()) unlabelled.push_back(rel);
          continue;
        }
        const auto it = label_of.find(w->second);
        if (it == label_of.end()) {
          unknown.push_back(cat(rel, " (", w->second, ")"));
          continue;
        }
        if (!starts_like_jpeg(f)) {
          not_jpeg.push_back(rel);
          continue;
        }
        index.validation.entries.push_back(
            {static_cast<std::int32_t>(index.validation.files.size()), it->second, 0, 0});
        index.validation.files.push_back(rel);
      }
      problems.add_list("validation images without a ground-truth label", unlabelled);
      problems.add_list("validation images of classes train/ lacks", unknown);
    }
    if (official)
      check_count(problems, "val/", static_cast<std::int64_t>(index.validation.entries.size()),
                  kImageNetTestSize);
  }
  problems.add_list(
      "not JPEG files (convert them to JPEG, e.g. the PNG n02105855_2933.JPEG, "
      "or remove them)",
      not_jpeg);
}

// Indexes the records of the shards `prefix`-* of `source`.
void scan_shards(const fs::path& source, const std::string& prefix, ImageNetSplit& split,
                 Problems& problems, const PrepareOptions& options) {
  std::vector<fs::path> shards;
  for (const auto& f : sorted_children(source, false))
    if (f.filename().string().rfind(prefix + "-", 0) == 0) shards.push_back(f);
  if (shards.empty()) {
    problems.add(cat("no TFRecord shards ", (source / (prefix + "-*")).string()));
    return;
  }
  say(options, cat("imagenet: reading ", shards.size(), " shards ", prefix, "-* (every record is ",
                   "verified; this reads all of them)"));
  for (const auto& shard : shards) {
    const auto file = static_cast<std::int32_t>(split.files.size());
    split.files.push_back(shard.filename().string());
    try {
      for_each_tfrecord(shard, [&](const RecordSpan& span, std::string_view data) {
        const std::string what = cat(shard.string(), " record at byte ", span.offset);
        const ImageNetRecord record = parse_imagenet_record(data, what);
        split.entries.push_back({file, record.label, span.offset, span.length});
      });
    } catch (const Error& e) {
      problems.add(e.what());
    }
  }
}

}  // namespace

ImageNetIndex scan_imagenet_source(const fs::path& source, bool official_sizes,
                                   const PrepareOptions& options) {
  DEEPOBS_CHECK(fs::is_directory(source), "imagenet: ", source.string(),
                " is not a folder; ImageNet cannot be downloaded (its licence needs a ",
                "registration at image-net.org): download ILSVRC-2012 yourself and pass its ",
                "folder with --source DIR");
  ImageNetIndex index;
  index.official_sizes = official_sizes;
  index.source = fs::absolute(source).lexically_normal();
  Problems problems;
  bool has_shards = false;
  for (const auto& f : sorted_children(source, false))
    has_shards = has_shards || f.filename().string().rfind("train-", 0) == 0;
  if (fs::is_directory(source / "train")) {
    index.layout = ImageNetLayout::Folders;
    scan_folders(index.source, official_sizes, index, problems, options);
  } else if (has_shards) {
    index.layout = ImageNetLayout::TFRecord;
    scan_shards(index.source, "train", index.train, problems, options);
    scan_shards(index.source, "validation", index.validation, problems, options);
    if (official_sizes) {
      check_count(problems, "train-* shards", static_cast<std::int64_t>(index.train.entries.size()),
                  kImageNetTrainSize);
      check_count(problems, "validation-* shards",
                  static_cast<std::int64_t>(index.validation.entries.size()), kImageNetTestSize);
    }
  } else {
    throw Error(cat("imagenet: ", source.string(), " holds neither train/ (ILSVRC-2012 class ",
                    "folders) nor TFRecord shards train-*; ImageNet cannot be downloaded (its ",
                    "licence needs a registration at image-net.org): download it yourself and ",
                    "pass its folder with --source DIR"));
  }
  if (index.train.entries.empty()) problems.add("no training images found");
  if (index.validation.entries.empty()) problems.add("no validation images found");
  problems.throw_if_any(source);
  return index;
}

void prepare_imagenet(const DataRoot& root, const PrepareOptions& options) {
  const fs::path source = options.source.empty() ? root.path / "imagenet" : options.source;
  const ImageNetIndex index = scan_imagenet_source(source, options.official_sizes, options);
  const fs::path path = imagenet_index_path(root);
  write_imagenet_index(index, path);
  say(options, cat("imagenet: ready: ", index.train.entries.size(), " training and ",
                   index.validation.entries.size(), " validation images (",
                   index.layout == ImageNetLayout::Folders ? "JPEG folders" : "TFRecord shards",
                   ") indexed in ", path.string()));
}

}  // namespace deepobs::datasets
