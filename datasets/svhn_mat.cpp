#include "datasets/svhn_mat.h"

#include <cmath>
#include <memory>
#include <string>
#include <system_error>

#include "core/error.h"
#include "datasets/image_records.h"

#if DEEPOBS_WITH_MATIO
#include <matio.h>
#endif

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHint = "; get the data with `deepobs prepare-data svhn`";

#if DEEPOBS_WITH_MATIO

// libmatio reports through a global log function (by default to stderr, aborting on its ERROR
// level); ours keeps the last message for our one-line error instead.
std::string& last_matio_message() {
  static std::string message;
  return message;
}

void keep_matio_message(int /*level*/, char* message) {
  last_matio_message() = message != nullptr ? message : "";
}

std::string matio_said() {
  const std::string& m = last_matio_message();
  return m.empty() ? std::string() : cat(" (libmatio: ", m, ")");
}

struct MatCloser {
  void operator()(mat_t* m) const { Mat_Close(m); }
};
struct VarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

MatVar read_variable(mat_t* mat, const char* name, const fs::path& path) {
  last_matio_message().clear();
  MatVar v(Mat_VarRead(mat, name));
  DEEPOBS_CHECK(v != nullptr, path.string(), ": no readable variable '", name,
                "' (SVHN's .mat files hold X and y)", matio_said(), kHint);
  DEEPOBS_CHECK(v->data != nullptr && !v->isComplex, path.string(), ": variable '", name,
                "' has no real numeric data", kHint);
  return v;
}

// Element i of a real numeric variable as a double (the labels' class varies between writers).
double numeric_at(const matvar_t* v, std::size_t i) {
  switch (v->class_type) {
    case MAT_C_DOUBLE:
      return static_cast<const double*>(v->data)[i];
    case MAT_C_SINGLE:
      return static_cast<const float*>(v->data)[i];
    case MAT_C_UINT8:
      return static_cast<const std::uint8_t*>(v->data)[i];
    case MAT_C_INT8:
      return static_cast<const std::int8_t*>(v->data)[i];
    case MAT_C_UINT16:
      return static_cast<const std::uint16_t*>(v->data)[i];
    case MAT_C_INT16:
      return static_cast<const std::int16_t*>(v->data)[i];
    case MAT_C_UINT32:
      return static_cast<const std::uint32_t*>(v->data)[i];
    case MAT_C_INT32:
      return static_cast<const std::int32_t*>(v->data)[i];
    default:
      return std::nan("");
  }
}

std::size_t element_size(const matvar_t* v) {
  switch (v->class_type) {
    case MAT_C_DOUBLE:
      return 8;
    case MAT_C_SINGLE:
    case MAT_C_UINT32:
    case MAT_C_INT32:
      return 4;
    case MAT_C_UINT16:
    case MAT_C_INT16:
      return 2;
    case MAT_C_UINT8:
    case MAT_C_INT8:
      return 1;
    default:
      return 0;
  }
}

#endif

}  // namespace

bool svhn_mat_supported() {
#if DEEPOBS_WITH_MATIO
  return true;
#else
  return false;
#endif
}

SvhnRecords svhn_records_from_mat(const fs::path& path, std::int64_t expected_count) {
#if DEEPOBS_WITH_MATIO
  std::error_code ec;
  DEEPOBS_CHECK(fs::is_regular_file(path, ec), path.string(), ": no such file", kHint);
  Mat_LogInitFunc("deepobs", keep_matio_message);
  last_matio_message().clear();
  DEEPOBS_CHECK(fs::file_size(path, ec) > 0 && !ec, path.string(), ": the file is empty", kHint);
  const MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  DEEPOBS_CHECK(mat != nullptr, path.string(), ": not a readable MATLAB file", matio_said(), kHint);
  // libmatio takes any file without a version-5 header for a headerless version-4 file; SVHN's
  // are version 5.
  const mat_ft version = Mat_GetVersion(mat.get());
  DEEPOBS_CHECK(version == MAT_FT_MAT5 || version == MAT_FT_MAT73, path.string(),
                ": not a readable MATLAB file (no MATLAB 5 header; SVHN's files have one)", kHint);

  const MatVar x = read_variable(mat.get(), "X", path);
  DEEPOBS_CHECK(x->class_type == MAT_C_UINT8 && x->rank == 4 && x->dims[0] == 32 &&
                    x->dims[1] == 32 && x->dims[2] == 3,
                path.string(), ": X must be a uint8 array of 32x32x3xN images, got rank ", x->rank,
                x->class_type == MAT_C_UINT8 ? "" : " of another class than uint8", kHint);
  const auto n = static_cast<std::int64_t>(x->dims[3]);
  DEEPOBS_CHECK(x->nbytes >= static_cast<std::size_t>(n) * kImageBytes, path.string(), ": X holds ",
                x->nbytes, " bytes, fewer than its ", n, " images need", kHint);
  DEEPOBS_CHECK(expected_count < 0 || n == expected_count, path.string(), ": ", n,
                " images, expected ", expected_count, " (an incomplete or different file?)", kHint);

  const MatVar y = read_variable(mat.get(), "y", path);
  const bool vector =
      y->rank == 2 && ((y->dims[0] == static_cast<std::size_t>(n) && y->dims[1] == 1) ||
                       (y->dims[0] == 1 && y->dims[1] == static_cast<std::size_t>(n)));
  DEEPOBS_CHECK(vector && element_size(y.get()) > 0 &&
                    y->nbytes >= static_cast<std::size_t>(n) * element_size(y.get()),
                path.string(), ": y must be a numeric vector of ", n, " labels", kHint);

  SvhnRecords out;
  out.count = n;
  const std::int64_t record = 1 + kImageBytes;
  out.bytes.resize(static_cast<std::size_t>(n * record));
  const auto* pixels = static_cast<const std::uint8_t*>(x->data);
  for (std::int64_t i = 0; i < n; ++i) {
    const double label = numeric_at(y.get(), static_cast<std::size_t>(i));
    DEEPOBS_CHECK(label >= 0.0 && label <= 10.0 && label == std::floor(label), path.string(),
                  ": label ", label, " of image ", i,
                  " is not a digit class 0..10 (10 stands for the digit 0)", kHint);
    std::uint8_t* r = out.bytes.data() + i * record;
    r[0] = static_cast<std::uint8_t>(label == 10.0 ? 0.0 : label);  // DeepOBS: 10 → 0
    // X(row, col, ch, i) sits at row + 32·col + 1024·ch + 3072·i (MATLAB is column-major).
    const std::uint8_t* image = pixels + i * kImageBytes;
    for (std::int64_t row = 0; row < 32; ++row)
      for (std::int64_t col = 0; col < 32; ++col)
        for (std::int64_t ch = 0; ch < 3; ++ch)
          r[1 + (row * 32 + col) * 3 + ch] = image[row + 32 * col + 1024 * ch];
  }
  return out;
#else
  (void)expected_count;
  throw Error(cat(path.string(),
                  ": this deepobs was built without libmatio and cannot read SVHN's .mat files "
                  "(install libmatio-dev and reconfigure with -DDEEPOBS_MATIO=ON)"));
#endif
}

}  // namespace deepobs::datasets
