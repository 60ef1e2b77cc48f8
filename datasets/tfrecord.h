// TFRecord files (TF's tf.io.TFRecordWriter format), read and written without TensorFlow.
//
// A file is a sequence of records, each
//   u64 length (little-endian) | u32 masked_crc32c(the 8 length bytes) | length data bytes |
//   u32 masked_crc32c(data)
// (datasets/crc32c.h). Both checksums are verified on every read; a file that ends inside a
// record, or whose checksum does not match, is reported with the file, the record's byte offset
// and what is wrong, in one line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace deepobs::datasets {

// Where one record lies in its file: `offset` is the byte position of its length field, `length`
// the size of its data.
struct RecordSpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// Appends one framed record holding `data` to `out` (for writing shards: the tests, the bench).
void append_tfrecord(std::string& out, std::string_view data);

// Reads every record of `path` in order, verifying both checksums, and calls visit(span, data)
// for each (data valid during the call only). Returns the number of records. Throws
// deepobs::Error naming the file and the offset for a truncated record, a checksum mismatch or a
// read failure; records visited before that were visited.
std::int64_t for_each_tfrecord(
    const std::filesystem::path& path,
    const std::function<void(const RecordSpan& span, std::string_view data)>& visit);

// Reads the record at `span` of `path` (as for_each_tfrecord found it) into `data`, verifying
// that its length field still says span.length and both checksums. Throws deepobs::Error naming
// the file and offset otherwise (e.g. the shard changed after `deepobs prepare-data imagenet`).
void read_tfrecord(const std::filesystem::path& path, const RecordSpan& span, std::string& data);

}  // namespace deepobs::datasets
