#include "datasets/imagenet_index.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace deepobs::datasets {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMagic = "deepobs-imagenet-index 1";
constexpr const char* kRerun = "run `deepobs prepare-data imagenet --source DIR` again";

void write_split(std::ostream& out, const char* name, const ImageNetSplit& split) {
  out << "split " << name << ' ' << split.files.size() << ' ' << split.entries.size() << '\n';
  for (const auto& f : split.files)
    out << f << '\n';
  for (const auto& e : split.entries)
    out << e.file << ' ' << e.label << ' ' << e.offset << ' ' << e.length << '\n';
}

// Line-by-line reading with the position for messages.
class Lines {
 public:
  explicit Lines(const fs::path& path) : path_(path), in_(path) {
    DEEPOBS_CHECK(in_.good(), "imagenet: no index at ", path.string(),
                  " (ImageNet must be indexed first: ", kRerun, ")");
  }
  std::string next() {
    std::string line;
    if (!std::getline(in_, line)) fail("the file ends early");
    ++number_;
    return line;
  }
  // "<word> <value>": returns value.
  std::string field(const std::string& word) {
    const std::string line = next();
    if (line.rfind(word + " ", 0) != 0) fail(cat("expected '", word, " …'"));
    return line.substr(word.size() + 1);
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(
        cat(path_.string(), ":", number_, ": malformed ImageNet index (", problem, "); ", kRerun));
  }

 private:
  fs::path path_;
  std::ifstream in_;
  std::int64_t number_ = 0;
};

template <class T>
const char* parse_number(const char* p, const char* end, T& value, Lines& lines) {
  while (p < end && *p == ' ')
    ++p;
  const auto [q, ec] = std::from_chars(p, end, value);
  if (ec != std::errc()) lines.fail("expected a number");
  return q;
}

std::int64_t count(const std::string& s, Lines& lines) {
  std::int64_t v = 0;
  parse_number(s.data(), s.data() + s.size(), v, lines);
  if (v < 0 || v > std::numeric_limits<std::int32_t>::max()) lines.fail("implausible count");
  return v;
}

void read_split(Lines& lines, const char* name, ImageNetSplit& split, std::int64_t synsets) {
  const std::string head = lines.field(cat("split ", name));
  const std::size_t space = head.find(' ');
  if (space == std::string::npos) lines.fail("expected '<files> <entries>'");
  const std::int64_t files = count(head.substr(0, space), lines);
  const std::int64_t entries = count(head.substr(space + 1), lines);
  split.files.reserve(static_cast<std::size_t>(files));
  for (std::int64_t i = 0; i < files; ++i)
    split.files.push_back(lines.next());
  split.entries.resize(static_cast<std::size_t>(entries));
  const std::int64_t max_label = synsets > 0 ? synsets : kImageNetSynsets;
  for (auto& e : split.entries) {
    const std::string line = lines.next();
    const char* p = line.data();
    const char* end = p + line.size();
    p = parse_number(p, end, e.file, lines);
    p = parse_number(p, end, e.label, lines);
    p = parse_number(p, end, e.offset, lines);
    p = parse_number(p, end, e.length, lines);
    if (p != end) lines.fail("trailing characters");
    if (e.file < 0 || e.file >= files) lines.fail("file number out of range");
    if (e.label < 1 || e.label > max_label)
      lines.fail(cat("label ", e.label, " outside 1..", max_label));
  }
}

}  // namespace

fs::path imagenet_index_path(const DataRoot& root) {
  return root.path / "imagenet" / kImageNetIndexFile;
}

void write_imagenet_index(const ImageNetIndex& index, const fs::path& path) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    DEEPOBS_CHECK(out.good(), "imagenet: cannot write ", tmp.string(),
                  " (is the data root writable?)");
    out << kMagic << '\n'
        << "layout " << (index.layout == ImageNetLayout::Folders ? "folders" : "tfrecord") << '\n'
        << "sizes " << (index.official_sizes ? "official" : "any") << '\n'
        << "source " << index.source.string() << '\n'
        << "synsets " << index.synsets.size() << '\n';
    for (const auto& s : index.synsets)
      out << s << '\n';
    write_split(out, "train", index.train);
    write_split(out, "validation", index.validation);
    out << "end\n";
    out.flush();
    if (!out.good()) {
      out.close();
      fs::remove(tmp);
      throw Error(cat("imagenet: writing ", tmp.string(), " failed (disk full?)"));
    }
  }
  fs::rename(tmp, path);
}

ImageNetIndex read_imagenet_index(const fs::path& path) {
  Lines lines(path);
  if (lines.next() != kMagic) lines.fail(cat("the first line is not '", kMagic, "'"));
  ImageNetIndex index;
  const std::string layout = lines.field("layout");
  if (layout != "folders" && layout != "tfrecord") lines.fail("unknown layout");
  index.layout = layout == "folders" ? ImageNetLayout::Folders : ImageNetLayout::TFRecord;
  const std::string sizes = lines.field("sizes");
  if (sizes != "official" && sizes != "any") lines.fail("sizes must be official or any");
  index.official_sizes = sizes == "official";
  index.source = lines.field("source");
  const std::int64_t synsets = count(lines.field("synsets"), lines);
  for (std::int64_t i = 0; i < synsets; ++i)
    index.synsets.push_back(lines.next());
  read_split(lines, "train", index.train, synsets);
  read_split(lines, "validation", index.validation, synsets);
  if (lines.next() != "end") lines.fail("expected 'end'");
  return index;
}

}  // namespace deepobs::datasets
