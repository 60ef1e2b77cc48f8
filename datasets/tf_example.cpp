#include "datasets/tf_example.h"

#include "core/error.h"

namespace deepobs::datasets {
namespace {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kDelimited = 2, kFixed32 = 5 };

// A cursor over protobuf wire data; every read checks the bounds.
class Wire {
 public:
  Wire(std::string_view data, const std::string& what) : data_(data), what_(what) {}
  bool done() const { return pos_ >= data_.size(); }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      check(pos_ < data_.size(), "a varint runs past the end");
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= std::uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80u) == 0) return v;
    }
    fail("a varint is longer than 10 bytes");
  }
  std::string_view delimited() {
    const std::uint64_t n = varint();
    check(n <= data_.size() - pos_, "a length-delimited field runs past the end");
    const std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(std::uint32_t wire_type) {
    switch (wire_type) {
      case kVarint:
        varint();
        return;
      case kFixed64:
        advance(8);
        return;
      case kDelimited:
        delimited();
        return;
      case kFixed32:
        advance(4);
        return;
      default:
        fail(cat("unsupported wire type ", wire_type));
    }
  }
  void check(bool ok, const std::string& problem) const {
    if (!ok) fail(problem);
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(cat(what_, ": malformed tf.train.Example (", problem,
                    "); the shard is not in build_imagenet_data.py's format"));
  }

 private:
  void advance(std::size_t n) {
    check(n <= data_.size() - pos_, "a fixed-size field runs past the end");
    pos_ += n;
  }
  std::string_view data_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80u) {
    out.push_back(static_cast<char>((v & 0x7Fu) | 0x80u));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_delimited(std::string& out, std::uint32_t field, std::string_view bytes) {
  put_varint(out, (field << 3) | kDelimited);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// One `feature` field of Features: a map entry {key = 1, value = 2: Feature{kind: list}}.
std::string map_entry(std::string_view key, std::uint32_t kind, std::string_view list) {
  std::string feature, entry, field;
  put_delimited(feature, kind, list);
  put_delimited(entry, 1, key);
  put_delimited(entry, 2, feature);
  put_delimited(field, 1, entry);
  return field;
}

}  // namespace

ExampleFeatures::ExampleFeatures(std::string_view serialized, std::string_view what) : what_(what) {
  Wire example(serialized, what_);
  while (!example.done()) {
    const std::uint64_t tag = example.varint();
    if (tag != ((1u << 3) | kDelimited)) {
      example.skip(static_cast<std::uint32_t>(tag & 7u));
      continue;
    }
    Wire features(example.delimited(), what_);
    while (!features.done()) {
      const std::uint64_t ftag = features.varint();
      if (ftag != ((1u << 3) | kDelimited)) {
        features.skip(static_cast<std::uint32_t>(ftag & 7u));
        continue;
      }
      Wire entry(features.delimited(), what_);
      std::string_view key;
      Feature value;
      while (!entry.done()) {
        const std::uint64_t etag = entry.varint();
        if (etag == ((1u << 3) | kDelimited)) {
          key = entry.delimited();
        } else if (etag == ((2u << 3) | kDelimited)) {
          Wire feature(entry.delimited(), what_);
          while (!feature.done()) {
            const std::uint64_t t = feature.varint();
            const auto field = static_cast<int>(t >> 3);
            if ((t & 7u) == kDelimited && field >= 1 && field <= 3) {
              value.kind = field;
              value.list = feature.delimited();
            } else {
              feature.skip(static_cast<std::uint32_t>(t & 7u));
            }
          }
        } else {
          entry.skip(static_cast<std::uint32_t>(etag & 7u));
        }
      }
      features_.emplace_back(key, value);
    }
  }
}

bool ExampleFeatures::has(std::string_view key) const {
  for (const auto& [k, v] : features_)
    if (k == key) return true;
  return false;
}

const ExampleFeatures::Feature& ExampleFeatures::find(std::string_view key, int kind) const {
  // Protobuf semantics: for a map key given twice the last entry wins.
  const Feature* found = nullptr;
  for (const auto& [k, v] : features_)
    if (k == key) found = &v;
  DEEPOBS_CHECK(found != nullptr, what_, ": the tf.train.Example has no feature '", key,
                "' (not a build_imagenet_data.py shard?)");
  DEEPOBS_CHECK(found->kind == kind, what_, ": feature '", key, "' is a ",
                found->kind == 1   ? "bytes"
                : found->kind == 2 ? "float"
                : found->kind == 3 ? "int64"
                                   : "empty",
                " list, expected ", kind == 1 ? "bytes" : "int64");
  return *found;
}

std::string_view ExampleFeatures::bytes(std::string_view key) const {
  Wire list(find(key, 1).list, what_);
  while (!list.done()) {
    const std::uint64_t t = list.varint();
    if (t == ((1u << 3) | kDelimited)) return list.delimited();
    list.skip(static_cast<std::uint32_t>(t & 7u));
  }
  list.fail(cat("feature '", key, "' holds no value"));
}

std::int64_t ExampleFeatures::int64(std::string_view key) const {
  Wire list(find(key, 3).list, what_);
  while (!list.done()) {
    const std::uint64_t t = list.varint();
    if (t == ((1u << 3) | kVarint)) return static_cast<std::int64_t>(list.varint());
    if (t == ((1u << 3) | kDelimited)) {  // packed
      Wire packed(list.delimited(), what_);
      if (!packed.done()) return static_cast<std::int64_t>(packed.varint());
      continue;
    }
    list.skip(static_cast<std::uint32_t>(t & 7u));
  }
  list.fail(cat("feature '", key, "' holds no value"));
}

ExampleBuilder& ExampleBuilder::add_bytes(std::string_view key, std::string_view value) {
  std::string list;
  put_delimited(list, 1, value);
  features_ += map_entry(key, 1, list);
  return *this;
}

ExampleBuilder& ExampleBuilder::add_int64(std::string_view key, std::int64_t value) {
  std::string packed, list;
  put_varint(packed, static_cast<std::uint64_t>(value));
  put_delimited(list, 1, packed);  // packed, as TF writes repeated int64
  features_ += map_entry(key, 3, list);
  return *this;
}

std::string ExampleBuilder::serialize() const {
  std::string out;
  put_delimited(out, 1, features_);
  return out;
}

}  // namespace deepobs::datasets
