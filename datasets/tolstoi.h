// Tolstoi: War and Peace at the character level (SPEC §4.7), the data of tolstoi_char_rnn.
//
// Preparation (DeepOBS's deepobs_prepare_data.sh and _tolstoi_preprocess.py, reproduced by
// `deepobs prepare-data tolstoi`):
//   1. download the text (kTolstoiUrl: the Project Gutenberg e-book, UTF-8 with a BOM and CRLF
//      line ends);
//   2. delete lines 1–29, then lines 5–775, then lines 63,850–64,207 (sed, each on the file the
//      previous deletion left), which removes the Gutenberg header, the table of contents and
//      the licence; what is left is DeepOBS's input.txt;
//   3. decode it as UTF-8 (Python's strict decoder; the bytes are not otherwise changed: '\r'
//      stays a character, as codecs.open reads in binary mode);
//   4. vocabulary = the distinct characters by descending count, ties in the order of their
//      first occurrence (Python's Counter keeps insertion order and `sorted` is stable); a
//      character's id is its rank, so 0 is the most frequent (' ');
//   5. train = the first ceil(0.8·n) ids, test = the rest, saved as train.npy and test.npy
//      (int64, numpy's .npy format).
// DeepOBS's text gives n = 3,266,185 characters, 83 of them distinct (the model hard-codes 83),
// 2,612,948 training and 653,237 test ids.
//
// Loading: <data root>/tolstoi/train.npy and test.npy (DeepOBS's own files load too, see npy.h),
// checked to be 83-character data (every id in 0..82, each of the 83 ids used somewhere), and
// batched by SequenceDataSet with sequence length 50 and train_eval_size 653,237 (the size of
// the test split, DeepOBS's default). At batch 50: 1,045 training and 261 test batches; train_eval
// is the whole training split (DeepOBS 1.1, SPEC §10 #19); with the validation split the first
// 653,237 training ids are the validation set (261 batches), 1,959,711 remain for training (783
// batches) and train_eval is their first 261 batches (DeepOBS 1.2).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/data_dir.h"
#include "datasets/dataset.h"
#include "datasets/prepare_data.h"
#include "datasets/sequence.h"

namespace deepobs::datasets {

inline constexpr std::int64_t kTolstoiVocabularySize = 83;
inline constexpr std::int64_t kTolstoiSequenceLength = 50;
inline constexpr std::int64_t kTolstoiTrainEvalSize = 653237;
// DeepOBS's text after the line deletions, and its split.
inline constexpr std::int64_t kTolstoiCharacters = 3266185;
inline constexpr std::int64_t kTolstoiTrainSize = 2612948;
inline constexpr std::int64_t kTolstoiTestSize = 653237;

// Where DeepOBS's script gets the text (Project Gutenberg's e-book 2600 through a GitHub copy,
// "since gutenberg is currently geoblocked from germany"), and the file name it is kept under.
inline constexpr std::string_view kTolstoiUrlBase =
    "https://github.com/AllenDowney/fluent-python-notebooks/raw/master/attic/sequences/";
inline constexpr std::string_view kTolstoiSourceFile = "war-and-peace.txt";

// sed's `first,lastd`, lines counted from 1.
struct LineDeletion {
  std::int64_t first;
  std::int64_t last;
};
inline constexpr std::array<LineDeletion, 3> kTolstoiLineDeletions = {
    {{1, 29}, {5, 775}, {63850, 64207}}};

// The 83 characters of DeepOBS's text in id order (id 0 = ' ', 13 = '\r', 14 = '\n', ...).
std::u32string_view tolstoi_vocabulary();

// What `sed -i 'first,lastd'` leaves of `text`: lines are the runs of bytes ended by '\n' (a last
// line without one counts too); lines first..last are removed (only `first` when last < first;
// nothing when first is beyond the last line); every other byte is kept as it was.
std::string delete_lines(std::string_view text, LineDeletion lines);

// Decodes UTF-8 as Python's strict decoder does (no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence; a BOM is an ordinary character U+FEFF). Throws deepobs::Error
// "invalid UTF-8: byte 0x.. at byte offset N (line L)" for the first bad byte.
std::u32string decode_utf8(std::string_view bytes);

// A text as character ids (_tolstoi_preprocess.py, steps 4 and the mapping).
struct CharacterIds {
  std::u32string vocabulary;      // id → character: by descending count, ties by first occurrence
  std::vector<std::int64_t> ids;  // one per character of the text
};
CharacterIds character_ids(std::u32string_view text);

// int(np.ceil((1.0 - 0.2) * n)), computed with the same double operations numpy performs.
std::int64_t tolstoi_train_size(std::int64_t n);

// Steps 2–5 on the downloaded bytes: the text left after the deletions (what DeepOBS keeps as
// input.txt), its ids and the split point. Throws deepobs::Error starting with `name` (where the
// bytes came from) when the text is not UTF-8 or has a vocabulary of other than 83 characters.
struct PreparedTolstoi {
  std::string text;
  CharacterIds ids;
  std::int64_t train_size = 0;
  // Whether this is DeepOBS's text: 3,266,185 characters with exactly tolstoi_vocabulary().
  bool is_deepobs_text() const;
};
PreparedTolstoi preprocess_tolstoi(std::string_view raw, const std::string& name);

// Reads train.npy and test.npy and checks them: .npy format (npy.h), ids in 0..82, and all 83
// ids used by the two together. Every error is one line naming the file and saying to run
// `deepobs prepare-data tolstoi` (with --data_dir when the root is not the default). The results
// are i64 CPU tensors.
struct TolstoiSplits {
  Tensor train;
  Tensor test;
};
TolstoiSplits load_tolstoi_splits(const std::filesystem::path& train_npy,
                                  const std::filesystem::path& test_npy, const DataRoot& root);

// The Tolstoi data set from <root>/tolstoi (find_data_set: a missing folder or file is a one-line
// error saying how to prepare it), batched as SequenceDataSet with DeepOBS's settings above.
std::unique_ptr<SequenceDataSet> make_tolstoi_data_set(const DataRoot& root,
                                                       const DataSetOptions& options);

// `deepobs prepare-data tolstoi` (prepare_data_set calls it): makes <root>/tolstoi/train.npy and
// test.npy.
//  - Valid files already there are kept ("already present"), unless options.force.
//  - The text is <root>/tolstoi/war-and-peace.txt when that file is there (and not `force`): the
//    way to prepare the data on a machine without internet. Otherwise it is downloaded from
//    kTolstoiUrlBase + kTolstoiSourceFile (or options.url_bases + kTolstoiSourceFile, tried in
//    order) into that file, kept only when it preprocesses cleanly.
//  - Downloaded from DeepOBS's address, the text must be DeepOBS's (is_deepobs_text); from any
//    other source a text that is not is prepared anyway, with a note saying so.
//  - input.txt (the text after the deletions, as DeepOBS leaves it), test.npy and train.npy are
//    each written to a temporary file, verified by reading them back, and renamed into place.
// Throws DownloadError (one line starting with "tolstoi: ") for download, disk and text errors; a
// failed download says how to prepare the data without internet.
void prepare_tolstoi(const DataRoot& root, const PrepareOptions& options);

}  // namespace deepobs::datasets
