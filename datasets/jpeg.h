// JPEG decoding (and, for fixtures and the bench, encoding) with libjpeg-turbo's TurboJPEG API.
//
// Every JPEG comes out as 8-bit RGB, as TF's decode_jpeg(channels=3) gives it: grayscale images
// are replicated into three channels; CMYK and YCCK images are decoded to CMYK and converted as
// TF's jpeg_mem.cc does — with an Adobe APP14 marker (inverted CMYK, what Photoshop writes)
// R = C·K/255, else R = (255−C)(255−K)/255, likewise G from M and B from Y (integer division).
// DCT and upsampling are libjpeg's defaults (accurate integer DCT, fancy upsampling), TF's too.
//
// Error policy: a buffer that is not a JPEG, or whose decoding fails, throws deepobs::Error
// naming `what` (the file). libjpeg's warnings (e.g. "extraneous bytes before marker", which a
// few ILSVRC images trigger) are accepted, as TF accepts them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deepobs::datasets {

// An 8-bit RGB image, HWC row-major: pixels[(y·width + x)·3 + c].
struct RgbImage {
  int height = 0;
  int width = 0;
  std::vector<std::uint8_t> pixels;
};

// The colour model a JPEG was written in (its SOF/Adobe markers, as libjpeg reports it).
enum class JpegColor { Rgb, Gray, Cmyk };

struct JpegHeader {
  int height = 0;
  int width = 0;
  JpegColor color = JpegColor::Rgb;  // YCbCr and RGB JPEGs are Rgb; CMYK and YCCK Cmyk
};

// One TurboJPEG decompressor (not thread-safe: one per thread). Movable, not copyable.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(JpegDecoder&& other) noexcept;
  JpegDecoder& operator=(JpegDecoder&& other) noexcept;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // The JPEG's size and colour model from its headers (cheap: no pixel is decoded).
  JpegHeader header(std::string_view jpeg, std::string_view what);
  // Decodes to RGB into `image` (its buffer is reused across calls).
  void decode(std::string_view jpeg, std::string_view what, RgbImage& image);

 private:
  void* handle_ = nullptr;
  std::vector<std::uint8_t> cmyk_;  // scratch for CMYK images
};

// Encodes `pixels` (height×width HWC with 3 channels for Rgb, 1 for Gray, 4 (C,M,Y,K as stored,
// i.e. inverted when `adobe` readers apply) for Cmyk) at `quality` (1..100) with 4:2:0 chroma
// subsampling (4:4:4 for Cmyk, none for Gray). Throws deepobs::Error when libjpeg-turbo fails.
std::string encode_jpeg(const std::uint8_t* pixels, int height, int width, JpegColor color,
                        int quality = 90);

}  // namespace deepobs::datasets
