#include "datasets/jpeg.h"

#include <turbojpeg.h>

#include <utility>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string tj_error(void* handle) {
  return tjGetErrorStr2(static_cast<tjhandle>(handle));
}

// Whether the JPEG has an Adobe APP14 marker before its first scan: Adobe's CMYK is stored
// inverted (0 = full ink), which changes the CMYK→RGB formula (jpeg_mem.cc's saw_Adobe_marker).
bool has_adobe_marker(std::string_view jpeg) {
  std::size_t pos = 2;  // after SOI
  while (pos + 4 <= jpeg.size()) {
    if (static_cast<unsigned char>(jpeg[pos]) != 0xFF) return false;
    const auto marker = static_cast<unsigned char>(jpeg[pos + 1]);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return false;  // start of scan / end of image
    const std::size_t length = std::size_t{static_cast<unsigned char>(jpeg[pos + 2])} << 8 |
                               static_cast<unsigned char>(jpeg[pos + 3]);
    if (marker == 0xEE && length >= 7 && pos + 4 + 5 <= jpeg.size() &&
        jpeg.substr(pos + 4, 5) == "Adobe")
      return true;
    pos += 2 + length;
  }
  return false;
}

}  // namespace

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  DEEPOBS_CHECK(handle_ != nullptr, "libjpeg-turbo: cannot create a decompressor (",
                tjGetErrorStr2(nullptr), ")");
}

JpegDecoder::~JpegDecoder() {
  if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
}

JpegDecoder::JpegDecoder(JpegDecoder&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), cmyk_(std::move(other.cmyk_)) {}

JpegDecoder& JpegDecoder::operator=(JpegDecoder&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
    handle_ = std::exchange(other.handle_, nullptr);
    cmyk_ = std::move(other.cmyk_);
  }
  return *this;
}

JpegHeader JpegDecoder::header(std::string_view jpeg, std::string_view what) {
  DEEPOBS_CHECK(jpeg.size() >= 3 && static_cast<unsigned char>(jpeg[0]) == 0xFF &&
                    static_cast<unsigned char>(jpeg[1]) == 0xD8,
                what, ": not a JPEG file (no JPEG start marker); convert it to JPEG or remove it");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const int rc = tjDecompressHeader3(static_cast<tjhandle>(handle_), bytes_of(jpeg),
                                     static_cast<unsigned long>(jpeg.size()), &width, &height,
                                     &subsampling, &colorspace);
  // libjpeg-turbo can return success without a frame header on garbage; no size is no image.
  DEEPOBS_CHECK(rc == 0 && width > 0 && height > 0, what, ": unreadable JPEG header (",
                rc == 0 ? std::string("no image size") : tj_error(handle_),
                "); replace the file with a good copy");
  JpegHeader h;
  h.width = width;
  h.height = height;
  h.color = colorspace == TJCS_GRAY                                ? JpegColor::Gray
            : (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) ? JpegColor::Cmyk
                                                                   : JpegColor::Rgb;
  return h;
}

void JpegDecoder::decode(std::string_view jpeg, std::string_view what, RgbImage& image) {
  const JpegHeader h = header(jpeg, what);
  auto* handle = static_cast<tjhandle>(handle_);
  const std::size_t pixels = static_cast<std::size_t>(h.width) * static_cast<std::size_t>(h.height);
  image.height = h.height;
  image.width = h.width;
  image.pixels.resize(pixels * 3);
  const auto fail_unless_ok = [&](int rc) {
    // Warnings (TJERR_WARNING) leave a usable image; only fatal errors fail the decode.
    DEEPOBS_CHECK(rc == 0 || tjGetErrorCode(handle) == TJERR_WARNING, what, ": corrupt JPEG (",
                  tj_error(handle_), "); replace the file with a good copy");
  };
  if (h.color != JpegColor::Cmyk) {
    // libjpeg converts YCbCr and grayscale to RGB itself.
    fail_unless_ok(tjDecompress2(handle, bytes_of(jpeg), static_cast<unsigned long>(jpeg.size()),
                                 image.pixels.data(), h.width, 0, h.height, TJPF_RGB, 0));
    return;
  }
  cmyk_.resize(pixels * 4);
  fail_unless_ok(tjDecompress2(handle, bytes_of(jpeg), static_cast<unsigned long>(jpeg.size()),
                               cmyk_.data(), h.width, 0, h.height, TJPF_CMYK, 0));
  const bool adobe = has_adobe_marker(jpeg);
  for (std::size_t i = 0; i < pixels; ++i) {
    const int k = cmyk_[4 * i + 3];
    for (int c = 0; c < 3; ++c) {
      const int ink = cmyk_[4 * i + static_cast<std::size_t>(c)];
      image.pixels[3 * i + static_cast<std::size_t>(c)] =
          static_cast<std::uint8_t>(adobe ? ink * k / 255 : (255 - ink) * (255 - k) / 255);
    }
  }
}

std::string encode_jpeg(const std::uint8_t* pixels, int height, int width, JpegColor color,
                        int quality) {
  DEEPOBS_CHECK(height > 0 && width > 0 && quality >= 1 && quality <= 100,
                "encode_jpeg: bad arguments (", height, "x", width, ", quality ", quality, ")");
  tjhandle handle = tjInitCompress();
  DEEPOBS_CHECK(handle != nullptr, "libjpeg-turbo: cannot create a compressor (",
                tjGetErrorStr2(nullptr), ")");
  const int format = color == JpegColor::Gray   ? TJPF_GRAY
                     : color == JpegColor::Cmyk ? TJPF_CMYK
                                                : TJPF_RGB;
  const int subsampling = color == JpegColor::Gray   ? TJSAMP_GRAY
                          : color == JpegColor::Cmyk ? TJSAMP_444
                                                     : TJSAMP_420;
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(handle, pixels, width, 0, height, format, &out, &size, subsampling, quality, 0);
  std::string jpeg;
  std::string error;
  if (rc == 0)
    jpeg.assign(reinterpret_cast<const char*>(out), size);
  else
    error = tjGetErrorStr2(handle);
  tjFree(out);
  tjDestroy(handle);
  DEEPOBS_CHECK(rc == 0, "libjpeg-turbo: encoding failed (", error, ")");
  return jpeg;
}

}  // namespace deepobs::datasets
