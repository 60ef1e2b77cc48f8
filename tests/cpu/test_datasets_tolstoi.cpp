// Tolstoi (datasets/tolstoi.h): DeepOBS's text preparation on a fixture text written here (65,007
// lines like the real download, so the three sed deletions act as on it) with hand-derived ids
// and vocabulary order, loading train.npy/test.npy written byte by byte, `deepobs prepare-data
// tolstoi` through file:// URLs and offline, and every bad input a one-line error naming the file
// and `deepobs prepare-data tolstoi`. The batching itself: test_datasets_sequence.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/data_dir.h"
#include "datasets/npy.h"
#include "datasets/tolstoi.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::curl;
using test_util::file_url;
using test_util::ints;
using test_util::npy_file;
using test_util::read_raw;
using test_util::TempDir;
using test_util::write_raw;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string utf8(std::u32string_view text) {
  std::string out;
  for (const char32_t c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {  // the fixture's non-ASCII characters are all below U+0800
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// ---- the fixture text ----
//
// 65,007 lines (the real download's count), each ending in "\r\n". Deleting lines 1–29, then 5–775
// of what is left, then 63,850–64,207 of what is left keeps the original lines 30–33 and
// 805–64,649 (63,849 lines): 1–29 go first; lines 5–775 of the rest are the original 34–804; the
// rest's line p >= 5 is then original line p + 800, so 63,850–64,207 are the original
// 64,650–65,007. The deleted lines hold what must never reach the vocabulary: a BOM, foreign
// characters and a byte that is not UTF-8. Kept are:
//   line 30: the 81 characters of DeepOBS's vocabulary other than '\r' and '\n', once each, in
//            reverse id order (so their first occurrences run from 'ä' down to ' ');
//   line 31: "ee", line 32: "tt", line 33: "ä"; lines 805–64,649: empty.
// Counts: '\r' and '\n' 63,849 each, 't' and 'e' 3 each, 'ä' 2, the other 78 characters 1 each.
constexpr int kRawLines = 65007;
constexpr std::int64_t kKeptBlank = 64649 - 805 + 1;

bool kept(int line) {
  return (line >= 30 && line <= 33) || (line >= 805 && line <= 64649);
}

std::u32string line30() {
  std::u32string chars;
  for (const char32_t c : tolstoi_vocabulary())
    if (c != U'\r' && c != U'\n') chars += c;
  std::reverse(chars.begin(), chars.end());
  return chars;
}

struct FixtureOptions {
  std::string line31 = "ee";
  std::string line32 = "tt";
};

std::string fixture_text(const FixtureOptions& o = {}) {
  const std::string first = utf8(line30());
  std::string text;
  for (int n = 1; n <= kRawLines; ++n) {
    if (!kept(n)) {
      if (n == 1) text += "\xef\xbb\xbf";  // the e-book's BOM
      text += "#~\xff ";
      text += std::to_string(n);
    } else if (n == 30) {
      text += first;
    } else if (n == 31) {
      text += o.line31;
    } else if (n == 32) {
      text += o.line32;
    } else if (n == 33) {
      text += "\xc3\xa4";  // ä
    }
    text += "\r\n";
  }
  return text;
}

// The text the three deletions leave of fixture_text().
std::string kept_text() {
  std::string text = utf8(line30()) + "\r\nee\r\ntt\r\n\xc3\xa4\r\n";
  for (std::int64_t i = 0; i < kKeptBlank; ++i)
    text += "\r\n";
  return text;
}

// Its vocabulary: by count '\r', '\n' (tied; '\r' comes first in every line), 't', 'e' (tied;
// 't' occurs first on line 30), 'ä', then the characters seen once in the order of line 30.
std::u32string kept_vocabulary() {
  std::u32string v = U"\r\nte\u00e4";
  for (const char32_t c : line30())
    if (v.find(c) == std::u32string::npos) v += c;
  return v;
}

constexpr std::int64_t kKeptChars = 81 + 2 + 2 + 1 + 2 * 63849;  // 127,784
constexpr std::int64_t kKeptTrain = 102228;                      // ceil(0.8 · 127,784 = 102,227.2)

// ---- text preparation ----

TEST(TolstoiText, DeleteLinesIsSed) {
  const std::string t = "1\n2\r\n3\n4\n5";  // the last line has no '\n'
  EXPECT_EQ(delete_lines(t, {1, 1}), "2\r\n3\n4\n5");
  EXPECT_EQ(delete_lines(t, {2, 3}), "1\n4\n5");
  EXPECT_EQ(delete_lines(t, {4, 9}), "1\n2\r\n3\n");  // past the end: to the end
  EXPECT_EQ(delete_lines(t, {5, 5}), "1\n2\r\n3\n4\n");
  EXPECT_EQ(delete_lines(t, {6, 9}), t);               // beyond the last line: nothing
  EXPECT_EQ(delete_lines(t, {3, 1}), "1\n2\r\n4\n5");  // last < first: only `first`
  EXPECT_EQ(delete_lines("", {1, 29}), "");
  EXPECT_THROW(delete_lines(t, {0, 1}), Error);
}

TEST(TolstoiText, TheThreeDeletionsActInOrderOnTheShrinkingFile) {
  EXPECT_EQ(kTolstoiLineDeletions.size(), 3u);
  std::string numbered;
  for (int n = 1; n <= kRawLines; ++n)
    numbered += std::to_string(n) + "\r\n";
  std::string text = numbered;
  for (const auto& d : kTolstoiLineDeletions)
    text = delete_lines(text, d);
  std::string expected;
  for (int n = 1; n <= kRawLines; ++n)
    if (kept(n)) expected += std::to_string(n) + "\r\n";
  EXPECT_EQ(text, expected);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 63849);
}

TEST(TolstoiText, DecodesUtf8AsPythonStrictly) {
  EXPECT_EQ(decode_utf8("a\r\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            (std::u32string{U'a', U'\r', U'\n', 0xe9, 0x20ac, 0x1f600}));
  EXPECT_EQ(decode_utf8("\xef\xbb\xbfx"), (std::u32string{0xfeff, U'x'}));  // a BOM is a char
  EXPECT_EQ(decode_utf8("\xf4\x8f\xbf\xbf"), std::u32string(1, 0x10ffff));
  const auto error = [](const std::string& bytes) {
    try {
      decode_utf8(bytes);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error("ab\n\ncd\xff"), "invalid UTF-8: byte 0xff at byte offset 6 (line 3)");
  EXPECT_EQ(error("\x80"), "invalid UTF-8: byte 0x80 at byte offset 0 (line 1)");
  EXPECT_EQ(error("\xc0\xaf"), "invalid UTF-8: byte 0xc0 at byte offset 0 (line 1)");  // overlong
  EXPECT_EQ(error("\xe0\x80\xaf"), "invalid UTF-8: byte 0x80 at byte offset 1 (line 1)");
  EXPECT_EQ(error("\xed\xa0\x80"), "invalid UTF-8: byte 0xa0 at byte offset 1 (line 1)");  // D800
  EXPECT_EQ(error("\xf4\x90\x80\x80"), "invalid UTF-8: byte 0x90 at byte offset 1 (line 1)");
  EXPECT_EQ(error("\xf5\x80\x80\x80"), "invalid UTF-8: byte 0xf5 at byte offset 0 (line 1)");
  EXPECT_EQ(error("x\xc3"), "invalid UTF-8: byte 0xc3 at byte offset 1 (line 1)");  // truncated
  EXPECT_EQ(error("\xe2\x82x"), "invalid UTF-8: byte 0x78 at byte offset 2 (line 1)");
}

TEST(TolstoiText, VocabularyByDescendingCountTiesByFirstOccurrence) {
  // "hello world": l×3, o×2, then h, e, ' ', w, r, d once each, in the order they first occur.
  const CharacterIds h = character_ids(U"hello world");
  EXPECT_EQ(h.vocabulary, U"lohe wrd");
  EXPECT_EQ(h.ids, (std::vector<std::int64_t>{2, 3, 0, 0, 1, 4, 5, 1, 6, 0, 7}));
  // All tied: first occurrence decides; '\r' before '\n' as in CRLF text; non-ASCII characters
  // are characters, not bytes.
  const CharacterIds t = character_ids(U"b\u00e9\r\n\u00e9b\n\r");
  EXPECT_EQ(t.vocabulary, U"b\u00e9\r\n");
  EXPECT_EQ(t.ids, (std::vector<std::int64_t>{0, 1, 2, 3, 1, 0, 3, 2}));
  EXPECT_TRUE(character_ids(U"").vocabulary.empty());
}

TEST(TolstoiText, TrainSizeIsNumpysCeil) {
  EXPECT_EQ(tolstoi_train_size(kTolstoiCharacters), kTolstoiTrainSize);
  EXPECT_EQ(kTolstoiCharacters - kTolstoiTrainSize, kTolstoiTestSize);
  EXPECT_EQ(tolstoi_train_size(kKeptChars), kKeptTrain);
  EXPECT_EQ(tolstoi_train_size(1), 1);
  EXPECT_EQ(tolstoi_train_size(5), 4);
  EXPECT_EQ(tolstoi_train_size(6), 5);
  EXPECT_EQ(tolstoi_train_size(10), 8);
  EXPECT_EQ(tolstoi_train_size(11), 9);
}

TEST(TolstoiText, DeepObsVocabulary) {
  const std::u32string_view v = tolstoi_vocabulary();
  ASSERT_EQ(static_cast<std::int64_t>(v.size()), kTolstoiVocabularySize);
  EXPECT_EQ(v[0], U' ');
  EXPECT_EQ(v[1], U'e');
  EXPECT_EQ(v[13], U'\r');  // tied with '\n' at 63,849
  EXPECT_EQ(v[14], U'\n');
  EXPECT_EQ(v.substr(59, 2), U"()");            // tied at 650
  EXPECT_EQ(v.substr(81, 2), U"\u00e9\u00e4");  // tied at 1
  std::u32string sorted(v);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(TolstoiText, PreprocessTheFixtureText) {
  const PreparedTolstoi p = preprocess_tolstoi(fixture_text(), "war-and-peace.txt");
  EXPECT_EQ(p.text, kept_text());
  const std::u32string vocab = kept_vocabulary();
  ASSERT_EQ(vocab.size(), 83u);
  EXPECT_EQ(p.ids.vocabulary, vocab);
  EXPECT_EQ(p.ids.vocabulary.substr(0, 6), U"\r\nte\u00e4\u00e9");
  EXPECT_EQ(p.ids.vocabulary.back(), U' ');
  ASSERT_EQ(static_cast<std::int64_t>(p.ids.ids.size()), kKeptChars);
  EXPECT_EQ(p.train_size, kKeptTrain);
  // Line 30 is ids 5, 6, …: 'ä' is id 4 (count 2), 'é' id 5; then "\r\n" = 0, 1; "ee\r\n" …
  EXPECT_EQ(p.ids.ids[0], 4);
  EXPECT_EQ(p.ids.ids[1], 5);
  EXPECT_EQ(p.ids.ids[80], 82);  // ' ', last of line 30 and of the vocabulary
  const std::vector<std::int64_t> next(p.ids.ids.begin() + 81, p.ids.ids.begin() + 95);
  EXPECT_EQ(next, (std::vector<std::int64_t>{0, 1, 3, 3, 0, 1, 2, 2, 0, 1, 4, 0, 1, 0}));
  EXPECT_FALSE(p.is_deepobs_text());
}

TEST(TolstoiText, BadTextsAreOneLineErrors) {
  const auto error = [](const std::string& raw) {
    try {
      preprocess_tolstoi(raw, "/d/war-and-peace.txt");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  FixtureOptions o;
  o.line31 = "e\xff";
  std::string msg = error(fixture_text(o));
  EXPECT_TRUE(
      msg.starts_with("/d/war-and-peace.txt: not UTF-8 text after DeepOBS's line "
                      "deletions: invalid UTF-8: byte 0xff at byte offset 88 (line 2); "))
      << msg;
  EXPECT_TRUE(contains(msg, "`deepobs prepare-data tolstoi` needs")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  o = {};
  o.line32 = "t#";  // an 84th character
  msg = error(fixture_text(o));
  EXPECT_TRUE(
      msg.starts_with("/d/war-and-peace.txt: the text after DeepOBS's line deletions has "
                      "84 distinct characters, not the 83 tolstoi_char_rnn is built for "
                      "(not in DeepOBS's text: '#'); `deepobs prepare-data tolstoi`"))
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  // The whole raw file is short of lines: the deletions leave (almost) nothing.
  msg = error("just one line\n");
  EXPECT_TRUE(contains(msg, "has 0 distinct characters")) << msg;
}

DataSetOptions opts(std::int64_t batch) {
  DataSetOptions o;
  o.batch_size = batch;
  return o;
}

// ---- train.npy / test.npy ----

// Ids covering 0..82 (id i % 83), as npy files written byte by byte.
std::vector<std::int64_t> cover(std::int64_t n, std::int64_t offset = 0) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    v[static_cast<std::size_t>(i)] = (i + offset) % kTolstoiVocabularySize;
  return v;
}

std::string shape(std::size_t n) {
  return "(" + std::to_string(n) + ",)";
}

void write_npy(const fs::path& path, const std::vector<std::int64_t>& ids,
               const std::string& descr = "<i8") {
  const int width = descr == "<i4" ? 4 : 8;
  write_raw(path, npy_file("{'descr': '" + descr +
                               "', 'fortran_order': False, 'shape': " + shape(ids.size()) + ", }",
                           ints(ids, width)));
}

class TolstoiFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir());
    write_npy(dir() / "train.npy", cover(5101));
    write_npy(dir() / "test.npy", cover(2600, 7));
  }
  fs::path dir() const { return root_.path() / "tolstoi"; }
  DataRoot root() const { return {root_.path(), DataRoot::Source::Explicit}; }
  std::string how() const {
    return "`deepobs prepare-data tolstoi --data_dir " + root_.path().string() + "`";
  }

  // The one-line error make_tolstoi_data_set throws.
  std::string load_error() {
    try {
      make_tolstoi_data_set(root(), opts(50));
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      return msg;
    }
    ADD_FAILURE() << "loaded";
    return "";
  }

  TempDir root_;
};

TEST_F(TolstoiFiles, LoadsAndBatches) {
  EXPECT_TRUE(data_set_present("tolstoi", root()));
  const auto d = make_tolstoi_data_set(root(), opts(50));
  EXPECT_EQ(d->name(), "tolstoi");
  EXPECT_EQ(d->sequence_length(), 50);
  EXPECT_EQ(d->vocabulary_size(), 83);
  EXPECT_EQ(d->batches(Phase::Train), 2);  // floor(5100 / 2500)
  EXPECT_EQ(d->batches(Phase::TrainEval), 2);
  EXPECT_EQ(d->batches(Phase::Test), 1);  // floor(2599 / 2500)
  d->start(Phase::Test);
  Batch b;
  ASSERT_TRUE(d->next(b));
  EXPECT_EQ(b.inputs.shape(), (Shape{50, 50}));
  EXPECT_EQ(b.labels.shape(), (Shape{50, 50}));
  EXPECT_EQ(b.inputs.to_vector<std::int64_t>()[0], 7);
  EXPECT_EQ(b.labels.to_vector<std::int64_t>()[0], 8);
  // DeepOBS's files prepared with numpy's int32 default integer load alike.
  write_npy(dir() / "test.npy", cover(2600, 7), "<i4");
  EXPECT_EQ(make_tolstoi_data_set(root(), opts(50))->batches(Phase::Test), 1);
}

TEST_F(TolstoiFiles, MissingFolder) {
  fs::remove_all(dir());
  EXPECT_FALSE(data_set_present("tolstoi", root()));
  const std::string msg = load_error();
  EXPECT_TRUE(msg.starts_with("tolstoi: data set files not found")) << msg;
  EXPECT_TRUE(contains(msg, dir().string() + " (no such directory)")) << msg;
  EXPECT_TRUE(contains(msg, how())) << msg;
}

TEST_F(TolstoiFiles, TruncatedNpy) {
  auto bytes = read_raw(dir() / "train.npy");
  bytes.resize(bytes.size() - 100);
  write_raw(dir() / "train.npy", bytes);
  const std::string msg = load_error();
  EXPECT_TRUE(msg.starts_with((dir() / "train.npy").string() + ": truncated .npy file")) << msg;
  EXPECT_TRUE(msg.ends_with("; run " + how() + " to prepare it again")) << msg;
}

TEST_F(TolstoiFiles, WrongDtypeNpy) {
  write_raw(dir() / "test.npy",
            npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2600,), }",
                     std::vector<std::uint8_t>(2600 * 8, 0)));
  const std::string msg = load_error();
  EXPECT_TRUE(msg.starts_with((dir() / "test.npy").string() + ": .npy dtype '<f8'")) << msg;
  EXPECT_TRUE(contains(msg, how())) << msg;
}

TEST_F(TolstoiFiles, VocabularyOtherThan83) {
  // 84 characters: an id 83.
  std::vector<std::int64_t> ids = cover(5101);
  ids[4000] = 83;
  write_npy(dir() / "train.npy", ids);
  std::string msg = load_error();
  EXPECT_TRUE(msg.starts_with((dir() / "train.npy").string() +
                              ": character id 83 at position 4000 is outside 0..82 (the "
                              "vocabulary is not the 83 characters of DeepOBS's text); run " +
                              how()))
      << msg;
  // 82 characters: no file has id 82.
  std::vector<std::int64_t> train = cover(5101), test = cover(2600, 7);
  for (auto* v : {&train, &test})
    for (auto& id : *v)
      if (id == 82) id = 0;
  write_npy(dir() / "train.npy", train);
  write_npy(dir() / "test.npy", test);
  msg = load_error();
  EXPECT_TRUE(msg.starts_with((dir() / "train.npy").string() + " and " +
                              (dir() / "test.npy").string() +
                              ": only 82 of the 83 character ids occur (id 82 never does)"))
      << msg;
  EXPECT_TRUE(contains(msg, how())) << msg;
}

// ---- deepobs prepare-data tolstoi ----

class PrepareTolstoi : public ::testing::Test {
 protected:
  void SetUp() override {
    write_raw(source_ / std::string(kTolstoiSourceFile),
              std::vector<std::uint8_t>(text_.begin(), text_.end()));
  }

  DataRoot root() const { return {root_.path() / "data", DataRoot::Source::Explicit}; }
  fs::path dir() const { return root().path / "tolstoi"; }

  PrepareOptions options() {
    PrepareOptions o;
    o.url_bases = {file_url(source_.path())};
    o.fetch.downloader = curl();
    o.fetch.time_limit = std::chrono::seconds(60);
    o.log = [this](const std::string& line) {
      EXPECT_EQ(line.find('\n'), std::string::npos) << line;
      log_ += line + "\n";
    };
    return o;
  }

  // The one-line DownloadError prepare_data_set throws.
  std::string prepare_error(const PrepareOptions& o, DownloadError::Kind kind) {
    try {
      prepare_data_set("tolstoi", root(), o);
    } catch (const DownloadError& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_TRUE(msg.starts_with("tolstoi: ")) << msg;
      return msg;
    }
    ADD_FAILURE() << "prepared";
    return "";
  }

  static inline const std::string text_ = fixture_text();
  TempDir source_;
  TempDir root_;
  std::string log_;
};

TEST_F(PrepareTolstoi, DownloadsAndConvertsAsDeepObs) {
  REQUIRE_CURL();
  prepare_data_set("tolstoi", root(), options());
  const std::string url = file_url(source_.path()) + "war-and-peace.txt";
  EXPECT_TRUE(contains(log_, "tolstoi: downloading " + url + "\n")) << log_;
  EXPECT_TRUE(contains(log_, "tolstoi: note: " + url + " is not the text DeepOBS uses")) << log_;
  EXPECT_TRUE(log_.ends_with("tolstoi: ready in " + dir().string() + "\n")) << log_;
  // DeepOBS's folder: the text after the deletions as input.txt, the arrays; the download kept.
  const auto input = read_raw(dir() / "input.txt");
  EXPECT_EQ(std::string(input.begin(), input.end()), kept_text());
  EXPECT_EQ(read_raw(dir() / "war-and-peace.txt").size(), text_.size());
  const CharacterIds expected = character_ids(decode_utf8(kept_text()));
  ASSERT_EQ(expected.vocabulary, kept_vocabulary());
  const std::vector<std::int64_t> train(expected.ids.begin(), expected.ids.begin() + kKeptTrain);
  const std::vector<std::int64_t> test(expected.ids.begin() + kKeptTrain, expected.ids.end());
  EXPECT_EQ(read_npy_int_vector(dir() / "train.npy").to_vector<std::int64_t>(), train);
  EXPECT_EQ(read_npy_int_vector(dir() / "test.npy").to_vector<std::int64_t>(), test);
  // Byte for byte what numpy writes.
  const auto npy = read_raw(dir() / "test.npy");
  EXPECT_EQ(std::string(npy.begin(), npy.end()), npy_int64_bytes(test));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"input.txt", "test.npy", "train.npy", "war-and-peace.txt"}));
  // The data set loads from what was written: 102,228 / (50·50) → 40 batches, test 25,556 → 10.
  const auto d = make_tolstoi_data_set(root(), opts(50));
  EXPECT_EQ(d->batches(Phase::Train), 40);
  EXPECT_EQ(d->batches(Phase::Test), 10);

  // Again: nothing to do.
  log_.clear();
  PrepareOptions o = options();
  o.url_bases = {"file:///nonexistent/"};
  prepare_data_set("tolstoi", root(), o);
  EXPECT_TRUE(contains(log_,
                       "already present (102228 training and 25556 test character ids, 83 "
                       "characters)"))
      << log_;
}

TEST_F(PrepareTolstoi, TheTextInTheFolderNeedsNoDownload) {
  fs::create_directories(dir());
  fs::copy_file(source_ / std::string(kTolstoiSourceFile), dir() / "war-and-peace.txt");
  PrepareOptions o = options();
  o.url_bases = {"http://127.0.0.1:1/"};
  o.fetch.downloader = std::nullopt;
  prepare_data_set("tolstoi", root(), o);
  EXPECT_FALSE(contains(log_, "downloading")) << log_;
  EXPECT_TRUE(
      contains(log_, "tolstoi: using the text in " + (dir() / "war-and-peace.txt").string()))
      << log_;
  EXPECT_EQ(read_npy_int_vector(dir() / "train.npy").numel(), kKeptTrain);
}

TEST_F(PrepareTolstoi, OfflineIsOneLineSayingWhatToDo) {
  if (!find_downloader()) GTEST_SKIP() << "neither curl nor wget is installed";
  PrepareOptions o = options();
  o.url_bases = {"http://127.0.0.1:1/"};  // refused at once, no network needed
  o.fetch.downloader = find_downloader();
  const std::string msg = prepare_error(o, DownloadError::Kind::Network);
  EXPECT_TRUE(msg.starts_with("tolstoi: cannot reach http://127.0.0.1:1/war-and-peace.txt: "))
      << msg;
  EXPECT_TRUE(msg.ends_with(
      "; without internet: download "
      "https://github.com/AllenDowney/fluent-python-notebooks/raw/master/attic/sequences/"
      "war-and-peace.txt elsewhere, put it at " +
      (dir() / "war-and-peace.txt").string() +
      " and run `deepobs prepare-data tolstoi --data_dir " + root().path.string() + "` again"))
      << msg;
  EXPECT_FALSE(fs::exists(root().path));  // no empty folders left behind
}

TEST_F(PrepareTolstoi, NotUtf8AndWrongVocabularyLeaveNothing) {
  REQUIRE_CURL();
  FixtureOptions f;
  f.line31 = "e\xff";
  std::string bad = fixture_text(f);
  write_raw(source_ / "war-and-peace.txt", std::vector<std::uint8_t>(bad.begin(), bad.end()));
  std::string msg = prepare_error(options(), DownloadError::Kind::Invalid);
  EXPECT_TRUE(msg.starts_with("tolstoi: " + (dir() / "war-and-peace.txt").string() +
                              ": not UTF-8 text after DeepOBS's line deletions: invalid UTF-8: "
                              "byte 0xff"))
      << msg;
  EXPECT_TRUE(contains(msg, "`deepobs prepare-data tolstoi` needs")) << msg;
  EXPECT_TRUE(
      msg.ends_with("(downloaded from " + file_url(source_.path()) + "war-and-peace.txt; deleted)"))
      << msg;
  EXPECT_FALSE(fs::exists(root().path));

  f = {};
  f.line32 = "t#";
  bad = fixture_text(f);
  write_raw(source_ / "war-and-peace.txt", std::vector<std::uint8_t>(bad.begin(), bad.end()));
  msg = prepare_error(options(), DownloadError::Kind::Invalid);
  EXPECT_TRUE(contains(msg, "has 84 distinct characters, not the 83")) << msg;
  EXPECT_FALSE(fs::exists(root().path));
}

TEST_F(PrepareTolstoi, BrokenFilesArePreparedAgain) {
  REQUIRE_CURL();
  prepare_data_set("tolstoi", root(), options());
  auto bytes = read_raw(dir() / "train.npy");
  bytes.resize(1000);
  write_raw(dir() / "train.npy", bytes);
  log_.clear();
  prepare_data_set("tolstoi", root(), options());
  EXPECT_TRUE(contains(log_, (dir() / "train.npy").string() + ": truncated .npy file")) << log_;
  EXPECT_TRUE(contains(log_, "; preparing them again")) << log_;
  EXPECT_TRUE(contains(log_, "tolstoi: using the text in ")) << log_;  // no second download
  EXPECT_EQ(read_npy_int_vector(dir() / "train.npy").numel(), kKeptTrain);
}

TEST_F(PrepareTolstoi, Command) {
  REQUIRE_CURL();
  const std::string data_dir = root().path.string();
  const auto r = test_util::run_prepare(
      {"tolstoi", "--data_dir", data_dir, "--url_base", file_url(source_.path())});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.starts_with("deepobs prepare-data: tolstoi: ")) << line;
  EXPECT_TRUE(r.out.ends_with("deepobs prepare-data: tolstoi: ready in " + data_dir + "/tolstoi\n"))
      << r.out;
  EXPECT_TRUE(data_set_present("tolstoi", root()));
}

}  // namespace
}  // namespace deepobs::datasets
