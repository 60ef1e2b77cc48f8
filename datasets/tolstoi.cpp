#include "datasets/tolstoi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>

#include "core/error.h"
#include "datasets/download.h"
#include "datasets/npy.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

constexpr const char* kName = "tolstoi";
constexpr std::u32string_view kVocabulary =
    U" etaonihsrdlu\r\ncmwfgy,pb.vk\"'IT-APH!xBNM?SWRqzjDFECOYGK;:VL()XJ1*U802Z365Q794\u00ea\u00e0/"
    U"=\u00e9\u00e4";
static_assert(kVocabulary.size() == kTolstoiVocabularySize);

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string{"0x"} + kDigits[b >> 4] + kDigits[b & 15];
}

// "`deepobs prepare-data tolstoi`", with --data_dir when the root is not the default one.
std::string prepare_command(const DataRoot& root) {
  std::string how = "`deepobs prepare-data tolstoi";
  if (root.source != DataRoot::Source::Default) how += " --data_dir " + root.path.string();
  return how + "`";
}

void say(const PrepareOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

std::string read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  DEEPOBS_CHECK(in.good(), path.string(), ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A character for a message: printable ASCII as is, the rest as U+XXXX.
std::string shown(char32_t c) {
  if (c >= 0x20 && c < 0x7f) return cat("'", static_cast<char>(c), "'");
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// Verifies a written .npy file by reading it back.
FileVerifier npy_verifier(std::int64_t expected) {
  return [expected](const fs::path& p) {
    const Tensor t = read_npy_int_vector(p);
    DEEPOBS_CHECK(t.numel() == expected, p.string(), ": read back ", t.numel(), " ids, wrote ",
                  expected);
    return cat(expected, " character ids");
  };
}

}  // namespace

std::u32string_view tolstoi_vocabulary() {
  return kVocabulary;
}

std::string delete_lines(std::string_view text, LineDeletion lines) {
  DEEPOBS_CHECK(lines.first >= 1, "delete_lines: line numbers start at 1, got ", lines.first);
  const std::int64_t last = std::max(lines.first, lines.last);
  std::string out;
  out.reserve(text.size());
  std::int64_t line = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line < lines.first || line > last) out.append(text.substr(pos, end - pos));
    pos = end;
    ++line;
  }
  return out;
}

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  std::int64_t line = 1;
  const auto bad = [&](std::size_t at) {
    throw Error(cat("invalid UTF-8: byte ", hex_byte(static_cast<std::uint8_t>(bytes[at])),
                    " at byte offset ", at, " (line ", line, ")"));
  };
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b0 = static_cast<std::uint8_t>(bytes[i]);
    if (b0 < 0x80) {
      out += static_cast<char32_t>(b0);
      if (b0 == '\n') ++line;
      ++i;
      continue;
    }
    // The well-formed sequences of the Unicode standard (Table 3-7), which Python enforces: the
    // lead byte fixes the length and the range of the first continuation byte.
    int length = 0;
    std::uint8_t lo = 0x80, hi = 0xbf;
    char32_t c = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      length = 2;
      c = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      length = 3;
      c = b0 & 0x0f;
      if (b0 == 0xe0) lo = 0xa0;  // no overlong forms
      if (b0 == 0xed) hi = 0x9f;  // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      length = 4;
      c = b0 & 0x07;
      if (b0 == 0xf0) lo = 0x90;  // no overlong forms
      if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
      bad(i);
    }
    for (int k = 1; k < length; ++k) {
      if (i + k >= bytes.size()) bad(i);  // the text ends inside the sequence
      const auto b = static_cast<std::uint8_t>(bytes[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) bad(i + k);
      c = (c << 6) | (b & 0x3f);
    }
    out += c;
    i += length;
  }
  return out;
}

CharacterIds character_ids(std::u32string_view text) {
  // Counter(data): counts in the order of first occurrence; sorted(..., key=-count) is stable.
  std::unordered_map<char32_t, std::size_t> slot;
  std::vector<std::pair<char32_t, std::int64_t>> counts;
  for (const char32_t c : text) {
    const auto [it, inserted] = slot.try_emplace(c, counts.size());
    if (inserted) counts.emplace_back(c, 0);
    ++counts[it->second].second;
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  CharacterIds out;
  std::unordered_map<char32_t, std::int64_t> id;
  for (const auto& [c, n] : counts) {
    id.emplace(c, static_cast<std::int64_t>(out.vocabulary.size()));
    out.vocabulary += c;
  }
  out.ids.reserve(text.size());
  for (const char32_t c : text)
    out.ids.push_back(id.at(c));
  return out;
}

std::int64_t tolstoi_train_size(std::int64_t n) {
  const double test_size = 0.2;
  return static_cast<std::int64_t>(std::ceil((1.0 - test_size) * static_cast<double>(n)));
}

bool PreparedTolstoi::is_deepobs_text() const {
  return static_cast<std::int64_t>(ids.ids.size()) == kTolstoiCharacters &&
         ids.vocabulary == kVocabulary;
}

PreparedTolstoi preprocess_tolstoi(std::string_view raw, const std::string& name) {
  PreparedTolstoi out;
  out.text = std::string(raw);
  for (const LineDeletion& d : kTolstoiLineDeletions)
    out.text = delete_lines(out.text, d);
  std::u32string chars;
  try {
    chars = decode_utf8(out.text);
  } catch (const Error& e) {
    throw Error(cat(name, ": not UTF-8 text after DeepOBS's line deletions: ", e.what(),
                    "; `deepobs prepare-data tolstoi` needs the UTF-8 War and Peace of ",
                    kTolstoiUrlBase, kTolstoiSourceFile));
  }
  out.ids = character_ids(chars);
  const auto size = static_cast<std::int64_t>(out.ids.vocabulary.size());
  if (size != kTolstoiVocabularySize) {
    std::string extra;
    for (const char32_t c : out.ids.vocabulary)
      if (kVocabulary.find(c) == std::u32string_view::npos) extra += " " + shown(c);
    throw Error(cat(name, ": the text after DeepOBS's line deletions has ", size,
                    " distinct characters, not the ", kTolstoiVocabularySize,
                    " tolstoi_char_rnn is built for",
                    extra.empty() ? std::string() : cat(" (not in DeepOBS's text:", extra, ")"),
                    "; `deepobs prepare-data tolstoi` needs the War and Peace of ", kTolstoiUrlBase,
                    kTolstoiSourceFile));
  }
  out.train_size = tolstoi_train_size(static_cast<std::int64_t>(out.ids.ids.size()));
  return out;
}

TolstoiSplits load_tolstoi_splits(const fs::path& train_npy, const fs::path& test_npy,
                                  const DataRoot& root) {
  const std::string fix = cat("; run ", prepare_command(root), " to prepare it again");
  const auto load = [&](const fs::path& path) {
    Tensor ids;
    try {
      ids = read_npy_int_vector(path);
    } catch (const Error& e) {
      throw Error(e.what() + fix);
    }
    const std::int64_t* p = ids.data<std::int64_t>();
    for (std::int64_t i = 0; i < ids.numel(); ++i)
      DEEPOBS_CHECK(p[i] >= 0 && p[i] < kTolstoiVocabularySize, path.string(), ": character id ",
                    p[i], " at position ", i, " is outside 0..", kTolstoiVocabularySize - 1,
                    " (the vocabulary is not the ", kTolstoiVocabularySize,
                    " characters of DeepOBS's text)", fix);
    return ids;
  };
  TolstoiSplits out{load(train_npy), load(test_npy)};
  // The vocabulary is built from the whole text, so each of its ids occurs in one of the splits.
  std::array<bool, kTolstoiVocabularySize> used{};
  for (const Tensor* t : {&out.train, &out.test}) {
    const std::int64_t* p = t->data<std::int64_t>();
    for (std::int64_t i = 0; i < t->numel(); ++i)
      used[static_cast<std::size_t>(p[i])] = true;
  }
  const auto distinct = std::count(used.begin(), used.end(), true);
  if (distinct != kTolstoiVocabularySize) {
    const auto missing =
        static_cast<std::int64_t>(std::find(used.begin(), used.end(), false) - used.begin());
    throw Error(cat(train_npy.string(), " and ", test_npy.string(), ": only ", distinct, " of the ",
                    kTolstoiVocabularySize, " character ids occur (id ", missing,
                    " never does), so the vocabulary is not the ", kTolstoiVocabularySize,
                    " characters of DeepOBS's text", fix));
  }
  return out;
}

std::unique_ptr<SequenceDataSet> make_tolstoi_data_set(const DataRoot& root,
                                                       const DataSetOptions& options) {
  const FoundDataSet found = find_data_set(kName, root);
  // data_dir.cpp lists train.npy, then test.npy.
  TolstoiSplits splits = load_tolstoi_splits(found.files.at(0), found.files.at(1), root);
  SequenceSpec spec;
  spec.name = kName;
  spec.train = std::move(splits.train);
  spec.test = std::move(splits.test);
  spec.sequence_length = kTolstoiSequenceLength;
  spec.vocabulary_size = kTolstoiVocabularySize;
  spec.train_eval_size = kTolstoiTrainEvalSize;
  return std::make_unique<SequenceDataSet>(std::move(spec), options);
}

void prepare_tolstoi(const DataRoot& root, const PrepareOptions& options) {
  const fs::path dir = root.path / "tolstoi";
  const fs::path train_npy = dir / "train.npy", test_npy = dir / "test.npy";
  const fs::path source = dir / std::string(kTolstoiSourceFile);
  const auto tagged = [](DownloadError::Kind kind, const std::string& what) {
    return DownloadError(kind, cat(kName, ": ", what));
  };
  // A text from a source of the user's choosing is prepared whatever it is, with this note.
  const auto note_if_not_deepobs = [&](const PreparedTolstoi& p, const std::string& where) {
    if (p.is_deepobs_text()) return;
    say(options, cat(kName, ": note: ", where, " is not the text DeepOBS uses (", p.ids.ids.size(),
                     " characters after the line deletions instead of ", kTolstoiCharacters,
                     ", or another vocabulary order); preparing it anyway"));
  };
  DEEPOBS_CHECK(!options.copy, kName,
                ": --copy copies from a system folder, and tolstoi has none (only fmnist has one)");

  std::error_code ec;
  if (!options.force && fs::is_regular_file(train_npy, ec) && fs::is_regular_file(test_npy, ec)) {
    try {
      const TolstoiSplits s = load_tolstoi_splits(train_npy, test_npy, root);
      say(options, cat(kName, ": ", train_npy.string(), " and ", test_npy.string(),
                       " already present (", s.train.numel(), " training and ", s.test.numel(),
                       " test character ids, ", kTolstoiVocabularySize, " characters)"));
      say(options, cat(kName, ": ready in ", dir.string()));
      return;
    } catch (const Error& e) {
      say(options, cat(kName, ": ", e.what(), "; preparing them again"));
    }
  }

  // The text: a copy already in the folder, else a download.
  std::optional<PreparedTolstoi> prepared;
  if (!options.force && fs::is_regular_file(source, ec)) {
    try {
      prepared = preprocess_tolstoi(read_file_bytes(source), source.string());
      say(options, cat(kName, ": using the text in ", source.string()));
      note_if_not_deepobs(*prepared, source.string());
    } catch (const Error& e) {
      say(options, cat(kName, ": ", e.what(), "; downloading it again"));
    }
  }
  if (!prepared) {
    // Found once, before the first "downloading" line.
    FetchOptions fetch = options.fetch;
    if (!fetch.downloader) fetch.downloader = find_downloader();
    if (!fetch.downloader)
      throw tagged(DownloadError::Kind::NoDownloader,
                   "cannot download: neither curl nor wget is installed (install one: apt-get "
                   "install curl)");
    std::vector<std::string> bases = options.url_bases;
    if (bases.empty()) bases.emplace_back(kTolstoiUrlBase);
    std::string failures;
    for (std::size_t k = 0; k < bases.size() && !prepared; ++k) {
      std::string base = bases[k];
      if (!base.ends_with('/')) base += '/';
      const std::string url = base + std::string(kTolstoiSourceFile);
      const bool official = base == kTolstoiUrlBase;
      say(options, cat(kName, ": downloading ", url));
      std::optional<PreparedTolstoi> candidate;
      const FileVerifier verify = [&](const fs::path& p) {
        candidate = preprocess_tolstoi(read_file_bytes(p), p.string());
        DEEPOBS_CHECK(!official || candidate->is_deepobs_text(), p.string(),
                      ": not the text DeepOBS uses (", candidate->ids.ids.size(),
                      " characters after the line deletions instead of ", kTolstoiCharacters,
                      ", or another vocabulary order): the file at this address has changed; ",
                      "to prepare it anyway, download it yourself and put it at ", source.string());
        return cat(candidate->ids.ids.size(), " characters after the line deletions");
      };
      try {
        const std::string what = download_verified(url, source, verify, fetch);
        say(options, cat(kName, ": ", source.string(), " verified (", what, ")"));
        prepared = std::move(candidate);
        note_if_not_deepobs(*prepared, url);
      } catch (const DownloadError& e) {
        if (e.kind() == DownloadError::Kind::NoDownloader || e.kind() == DownloadError::Kind::Disk)
          throw tagged(e.kind(), e.what());
        failures += (failures.empty() ? "" : "; mirror: ") + std::string(e.what());
        if (k + 1 == bases.size()) {
          std::string what = failures;
          if (e.kind() == DownloadError::Kind::Network)
            what += cat("; without internet: download ", kTolstoiUrlBase, kTolstoiSourceFile,
                        " elsewhere, put it at ", source.string(), " and run ",
                        prepare_command(root), " again");
          throw tagged(e.kind(), what);
        }
        say(options, cat(kName, ": ", e.what(), "; trying the mirror ", bases[k + 1]));
      }
    }
  }

  // input.txt as DeepOBS leaves it, then the arrays (test first: train.npy completes the set).
  const std::vector<std::int64_t>& ids = prepared->ids.ids;
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t n_train = prepared->train_size;
  try {
    write_verified(dir / "input.txt", prepared->text,
                   [](const fs::path&) { return std::string("text"); });
    write_verified(test_npy,
                   npy_int64_bytes(std::span(ids).subspan(static_cast<std::size_t>(n_train))),
                   npy_verifier(n - n_train));
    write_verified(train_npy,
                   npy_int64_bytes(std::span(ids).first(static_cast<std::size_t>(n_train))),
                   npy_verifier(n_train));
  } catch (const DownloadError& e) {
    throw tagged(e.kind(), e.what());
  }
  say(options, cat(kName, ": wrote ", train_npy.string(), " (", n_train, " character ids) and ",
                   test_npy.string(), " (", n - n_train, "), vocabulary of ",
                   kTolstoiVocabularySize, " characters"));
  say(options, cat(kName, ": ready in ", dir.string()));
}

}  // namespace deepobs::datasets
