#include "datasets/image_records.h"

#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kPlane = kImageSide * kImageSide;
// Records read per chunk: a few MB, so a 225 MB file is never held twice.
constexpr std::int64_t kChunkRecords = 2048;

std::string hint(const RecordFormat& f) {
  return cat("; get the data with `deepobs prepare-data ", f.data_set, "`");
}

// Copies one record's image into HWC order.
void image_to_hwc(const std::uint8_t* image, bool planar, std::uint8_t* out) {
  if (!planar) {
    std::memcpy(out, image, static_cast<std::size_t>(kImageBytes));
    return;
  }
  for (std::int64_t p = 0; p < kPlane; ++p)
    for (std::int64_t c = 0; c < 3; ++c)
      out[p * 3 + c] = image[c * kPlane + p];
}

// Reads the file record by record; `sink(i, record)` sees each one. Returns the record count.
template <class Sink>
std::int64_t for_each_record(const fs::path& path, const RecordFormat& f,
                             std::int64_t expected_records, Sink&& sink) {
  std::error_code ec;
  DEEPOBS_CHECK(fs::is_regular_file(path, ec), path.string(), ": no such file", hint(f));
  const std::uintmax_t bytes = fs::file_size(path, ec);
  DEEPOBS_CHECK(!ec, path.string(), ": cannot read its size (", ec.message(), ")", hint(f));
  const auto record = static_cast<std::uintmax_t>(f.record_bytes);
  DEEPOBS_CHECK(bytes > 0, path.string(), ": the file is empty", hint(f));
  DEEPOBS_CHECK(bytes % record == 0, path.string(), ": ", bytes, " bytes is not a whole number of ",
                record, "-byte records (", bytes / record, " records and ", bytes % record,
                " bytes: a truncated or different file?)", hint(f));
  const auto n = static_cast<std::int64_t>(bytes / record);
  DEEPOBS_CHECK(expected_records < 0 || n == expected_records, path.string(), ": ", n,
                " records, expected ", expected_records, " (", bytes, " bytes instead of ",
                expected_records * f.record_bytes, ": an incomplete or different file?)", hint(f));
  std::ifstream in(path, std::ios::binary);
  DEEPOBS_CHECK(in.good(), path.string(), ": cannot open it (", std::strerror(errno), ")", hint(f));
  std::vector<std::uint8_t> chunk(static_cast<std::size_t>(kChunkRecords * f.record_bytes));
  for (std::int64_t i = 0; i < n; i += kChunkRecords) {
    const std::int64_t m = std::min(kChunkRecords, n - i);
    in.read(reinterpret_cast<char*>(chunk.data()),
            static_cast<std::streamsize>(m * f.record_bytes));
    DEEPOBS_CHECK(in.gcount() == m * f.record_bytes, path.string(), ": read error after record ", i,
                  " (the file shrank while being read?)", hint(f));
    for (std::int64_t k = 0; k < m; ++k) {
      const std::uint8_t* r = chunk.data() + k * f.record_bytes;
      DEEPOBS_CHECK(r[f.label_at] < f.classes, path.string(), ": label ", int{r[f.label_at]},
                    " of record ", i + k, " is not a class index 0..", f.classes - 1,
                    " (a different data set, or a corrupt file?)", hint(f));
      sink(i + k, r);
    }
  }
  return n;
}

}  // namespace

std::string_view cifar100_offset_name(Cifar100Offset offset) {
  return offset == Cifar100Offset::Legacy ? "legacy" : "fixed";
}

Cifar100Offset parse_cifar100_offset(std::string_view name) {
  if (name == "legacy") return Cifar100Offset::Legacy;
  if (name == "fixed") return Cifar100Offset::Fixed;
  throw Error(cat("unknown CIFAR-100 offset '", name,
                  "' (legacy: the image read from byte 1 as DeepOBS 1.1 and its baselines did; "
                  "fixed: from byte 2, the images as stored)"));
}

std::string_view svhn_train_name(SvhnTrain train) {
  return train == SvhnTrain::First64000 ? "64000" : "full";
}

SvhnTrain parse_svhn_train(std::string_view name) {
  if (name == "64000") return SvhnTrain::First64000;
  if (name == "full") return SvhnTrain::Full;
  throw Error(cat("unknown SVHN training set '", name,
                  "' (64000: the first 64,000 images, as DeepOBS 1.1 and its baselines; full: all "
                  "73,257)"));
}

RecordFormat cifar10_format() {
  return {"cifar10", 1 + kImageBytes, 0, 1, true, 10};
}

RecordFormat cifar100_format(Cifar100Offset offset) {
  return {"cifar100", 2 + kImageBytes, 1, offset == Cifar100Offset::Legacy ? 1 : 2, true, 100};
}

RecordFormat svhn_format() {
  return {"svhn", 1 + kImageBytes, 0, 1, false, 10};
}

Examples read_image_records(const fs::path& path, const RecordFormat& format,
                            std::int64_t expected_records) {
  // The size is known before reading, so the tensors are allocated once.
  std::error_code ec;
  const std::uintmax_t bytes = fs::file_size(path, ec);
  const std::int64_t capacity =
      ec ? 0 : static_cast<std::int64_t>(bytes / static_cast<std::uintmax_t>(format.record_bytes));
  Examples out;
  out.inputs = Tensor::empty({capacity, kImageSide, kImageSide, 3}, DType::U8);
  out.labels = Tensor::empty({capacity}, DType::I64);
  std::uint8_t* images = out.inputs.data<std::uint8_t>();
  std::int64_t* labels = out.labels.data<std::int64_t>();
  const std::int64_t n =
      for_each_record(path, format, expected_records, [&](std::int64_t i, const std::uint8_t* r) {
        DEEPOBS_CHECK(i < capacity, path.string(), ": the file grew while being read");
        labels[i] = r[format.label_at];
        image_to_hwc(r + format.image_at, format.planar, images + i * kImageBytes);
      });
  DEEPOBS_CHECK(n == capacity, path.string(), ": the file changed while being read");
  return out;
}

std::string verify_image_records(const fs::path& path, const RecordFormat& format,
                                 std::int64_t expected_records) {
  const std::int64_t n =
      for_each_record(path, format, expected_records, [](std::int64_t, const std::uint8_t*) {});
  return cat(n, " records of 32x32x3 images, labels 0..", format.classes - 1);
}

Examples concat_examples(const std::vector<Examples>& parts) {
  DEEPOBS_CHECK(!parts.empty(), "concat_examples: nothing to concatenate");
  if (parts.size() == 1) return parts.front();
  std::int64_t n = 0;
  for (const auto& p : parts)
    n += p.size();
  Shape shape = parts.front().inputs.shape();
  const std::int64_t row = parts.front().inputs.numel() / std::max<std::int64_t>(1, shape[0]);
  shape[0] = n;
  Examples out;
  out.inputs = Tensor::empty(shape, DType::U8);
  out.labels = Tensor::empty({n}, DType::I64);
  std::int64_t at = 0;
  for (const auto& p : parts) {
    DEEPOBS_CHECK(p.inputs.dtype() == DType::U8 && p.inputs.numel() == p.size() * row &&
                      p.labels.defined() && p.labels.size(0) == p.size(),
                  "concat_examples: parts of different shapes or types");
    std::memcpy(out.inputs.data<std::uint8_t>() + at * row, p.inputs.data<std::uint8_t>(),
                static_cast<std::size_t>(p.size() * row));
    std::memcpy(out.labels.data<std::int64_t>() + at, p.labels.data<std::int64_t>(),
                static_cast<std::size_t>(p.size()) * sizeof(std::int64_t));
    at += p.size();
  }
  return out;
}

}  // namespace deepobs::datasets
