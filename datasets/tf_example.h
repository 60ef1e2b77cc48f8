// tf.train.Example protocol buffers, decoded and encoded by hand (no protobuf dependency): just
// what TFRecord image shards need.
//
//   Example  { Features features = 1; }
//   Features { map<string, Feature> feature = 1; }     (entries: key = 1, value = 2)
//   Feature  { oneof { BytesList bytes_list = 1; FloatList float_list = 2;
//                      Int64List int64_list = 3; } }
//   BytesList { repeated bytes value = 1; }  Int64List { repeated int64 value = 1; }  (packed or
//   not; both are accepted, as protobuf parsers must)
// Unknown fields are skipped by wire type; malformed input throws deepobs::Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deepobs::datasets {

// The features of one Example as views into the serialised bytes (which must outlive it).
class ExampleFeatures {
 public:
  // Parses a serialised Example; throws deepobs::Error("<what>: malformed tf.train.Example: …").
  ExampleFeatures(std::string_view serialized, std::string_view what);

  bool has(std::string_view key) const;
  // The first value of a BytesList feature; throws naming `what` and the key when the feature is
  // missing, of another kind, or empty.
  std::string_view bytes(std::string_view key) const;
  // The first value of an Int64List feature; throws likewise.
  std::int64_t int64(std::string_view key) const;

 private:
  struct Feature {
    int kind = 0;           // 1 bytes, 2 float, 3 int64 (Feature's field numbers)
    std::string_view list;  // the serialised list message
  };
  const Feature& find(std::string_view key, int kind) const;

  std::string what_;
  std::vector<std::pair<std::string_view, Feature>> features_;
};

// Builds a serialised Example (one value per feature), e.g. for writing ImageNet-style shards.
class ExampleBuilder {
 public:
  ExampleBuilder& add_bytes(std::string_view key, std::string_view value);
  ExampleBuilder& add_int64(std::string_view key, std::int64_t value);
  std::string serialize() const;

 private:
  std::string features_;  // serialised map entries
};

}  // namespace deepobs::datasets
