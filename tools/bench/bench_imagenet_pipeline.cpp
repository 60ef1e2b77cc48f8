// Throughput of the ImageNet input pipeline on the CPU (datasets/imagenet*.h): images per second
// for
//   BM_Decode               libjpeg-turbo decoding alone, one thread
//   BM_DecodePreprocess     decode + aspect-preserving resize + crop/flip + standardisation (the
//                           work per training image), one thread: the figure per CPU core
//   BM_DataSet/threads:T    the whole data set (file reads, decode, preprocessing, batching into
//                           [32,3,224,224] tensors) with T decode threads, Train phase
// on 64 generated JPEGs of ILSVRC's typical size 500×375 (quality 90, smooth colour fields plus
// noise; the run prints their mean size, ~110 KB like ILSVRC's photos). items/s = images per
// second: of CPU time for the one-thread rows (the figure per core), of wall time for BM_DataSet.
//
// Run: cmake --build build --target bench_imagenet_pipeline &&
//      build/tools/bench/bench_imagenet_pipeline
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "datasets/imagenet.h"
#include "datasets/imagenet_prepare.h"
#include "datasets/imagenet_preprocess.h"
#include "datasets/jpeg.h"

namespace {

namespace ds = deepobs::datasets;
namespace fs = std::filesystem;

constexpr int kImages = 64;
constexpr int kHeight = 375;
constexpr int kWidth = 500;

std::string make_photo(int seed) {
  std::mt19937 gen(static_cast<unsigned>(seed));
  std::normal_distribution<double> noise(0.0, 14.0);
  std::uniform_real_distribution<double> phase(0.0, 6.28);
  const double a = phase(gen), b = phase(gen), c = phase(gen);
  std::vector<std::uint8_t> p(static_cast<std::size_t>(kHeight * kWidth * 3));
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const double v = 128 + 60 * std::sin(x / 23.0 + a + ch) * std::cos(y / 17.0 + b) +
                         30 * std::sin((x + y) / 7.0 + c * ch) + noise(gen);
        p[static_cast<std::size_t>((y * kWidth + x) * 3 + ch)] =
            static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return ds::encode_jpeg(p.data(), kHeight, kWidth, ds::JpegColor::Rgb, 90);
}

const std::vector<std::string>& photos() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (int i = 0; i < kImages; ++i)
      out.push_back(make_photo(i));
    return out;
  }();
  return v;
}

void BM_Decode(benchmark::State& state) {
  ds::JpegDecoder decoder;
  ds::RgbImage image;
  std::int64_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& jpeg = photos()[static_cast<std::size_t>(i++ % kImages)];
    decoder.decode(jpeg, "bench", image);
    bytes += static_cast<std::int64_t>(jpeg.size());
    benchmark::DoNotOptimize(image.pixels.data());
  }
  state.SetItemsProcessed(i);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_Decode);

void BM_DecodePreprocess(benchmark::State& state) {
  ds::JpegDecoder decoder;
  ds::RgbImage image;
  std::vector<float> out(static_cast<std::size_t>(ds::kImageNetImageFloats));
  std::int64_t i = 0;
  for (auto _ : state) {
    decoder.decode(photos()[static_cast<std::size_t>(i % kImages)], "bench", image);
    const ds::ImageSize r = ds::aspect_preserving_size(image.height, image.width);
    const ds::CropWindow w = ds::train_window(r, 0.37, 0.61, i % 2 ? 0.2 : 0.8);
    ds::preprocess_image(image, r, w, out.data());
    benchmark::DoNotOptimize(out.data());
    ++i;
  }
  state.SetItemsProcessed(i);
}
BENCHMARK(BM_DecodePreprocess);

// A folder copy of the photos (16 per class, 4 classes, and 32 validation images), indexed.
const fs::path& prepared_root() {
  static const fs::path root = [] {
    const fs::path dir =
        fs::temp_directory_path() / ("deepobs_bench_imagenet_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    for (int i = 0; i < kImages; ++i) {
      const fs::path p = dir / "src" / "train" / ("n0100000" + std::to_string(i % 4)) /
                         ("img_" + std::to_string(i) + ".JPEG");
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary) << photos()[static_cast<std::size_t>(i)];
      const fs::path v = dir / "src" / "val" / ("n0100000" + std::to_string(i % 4)) /
                         ("val_" + std::to_string(i) + ".JPEG");
      fs::create_directories(v.parent_path());
      if (i < 32) std::ofstream(v, std::ios::binary) << photos()[static_cast<std::size_t>(i)];
    }
    ds::PrepareOptions o;
    o.source = dir / "src";
    o.official_sizes = false;
    ds::prepare_imagenet({dir / "root", ds::DataRoot::Source::Explicit}, o);
    return dir;
  }();
  return root;
}

void BM_DataSet(benchmark::State& state) {
  deepobs::datasets::DataSetOptions o;
  o.batch_size = 32;
  ds::ImageNetOptions in;
  in.official_sizes = false;
  in.threads = static_cast<int>(state.range(0));
  const auto data =
      ds::make_imagenet_data_set({prepared_root() / "root", ds::DataRoot::Source::Explicit}, o, in);
  std::int64_t images = 0;
  for (auto _ : state) {
    data->start(ds::Phase::Train);
    for (ds::Batch b; data->next(b);)
      images += b.labels.numel();
  }
  state.SetItemsProcessed(images);
}
BENCHMARK(BM_DataSet)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // Generated before any timing; their mean size is printed for the record.
  double kb = 0;
  for (const auto& p : photos())
    kb += static_cast<double>(p.size()) / 1024.0;
  std::printf("%d JPEGs of %dx%d, mean %.1f KB\n", kImages, kWidth, kHeight, kb / kImages);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(
      fs::temp_directory_path() / ("deepobs_bench_imagenet_" + std::to_string(::getpid())), ec);
  return 0;
}
